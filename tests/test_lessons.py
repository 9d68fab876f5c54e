"""Every lesson meets the course's content standard."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
LESSONS = sorted((REPO / "lessons").glob("*.md"))
SECTIONS = ["Learning objectives", "Practice", "Discussion", "Summary", "Key terms", "References"]


def section(text: str, title: str) -> str:
    match = re.search(rf"^## {title}\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    return match.group(1) if match else ""


def test_there_are_nine_lessons():
    """Is the full sequence of lessons present?"""
    assert [p.stem[:2] for p in LESSONS] == [f"{n:02d}" for n in range(1, 10)]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_has_every_part(lesson):
    """Objectives, reading time, practice, discussion, summary, key terms and references?"""
    text = lesson.read_text(encoding="utf-8")
    assert re.search(r"^\(lesson-\d\d\)=\n# \d\. ", text, flags=re.M), "label and numbered title"
    assert re.search(r"Estimated reading time: \d+", text)
    for title in SECTIONS:
        assert section(text, title).strip(), f"missing or empty section: {title}"
    assert len(re.findall(r"^\d\. ", section(text, "Learning objectives"), flags=re.M)) >= 4
    assert "{admonition}" in section(text, "Discussion")
    assert len(re.findall(r"^- ", section(text, "Summary"), flags=re.M)) >= 4
    assert len(re.findall(r"\{term\}`", section(text, "Key terms"))) >= 3
    assert "{bibliography}" in section(text, "References")
    assert len(re.findall(r"\{cite\}`", text)) >= 3


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_practice_has_a_quiz_and_two_other_widgets(lesson):
    """A self-check quiz and at least two sorting, ordering, matching or model tasks?"""
    text = lesson.read_text(encoding="utf-8")
    files = re.findall(r'load\("([^"]+\.yml)"\)', text)
    kinds = [yaml.safe_load((REPO / "lessons" / f).read_text(encoding="utf-8"))["widget"]
             for f in files]
    assert "quiz" in kinds, kinds
    assert len([k for k in kinds if k != "quiz"]) >= 2, f"two widgets besides the quiz: {kinds}"


def test_every_citation_key_is_in_the_bibliography():
    """Does every {cite} key in the lessons and book pages exist in references.bib?"""
    keys = set(re.findall(r"^@\w+\{([^,]+),", (REPO / "book" / "references.bib").read_text(),
                          flags=re.M))
    pages = LESSONS + sorted((REPO / "book").glob("*.md"))
    cited = {key.strip() for page in pages
             for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", page.read_text())
             for key in group.split(",")}
    assert cited, "no citations found"
    assert cited - keys == set()


WORDS_PER_MINUTE = 130  # study pace, as book/how-to-use.md says


def estimate(text: str) -> tuple[int, int]:
    found = re.search(r"Estimated reading time: (\d+) minutes, plus (\d+) minutes", text)
    assert found, "no 'Estimated reading time: N minutes, plus M minutes of practice'"
    return int(found.group(1)), int(found.group(2))


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_reading_time_fits_the_text(lesson):
    """Is the reading time within five minutes of the prose read at 130 words a minute?"""
    text = lesson.read_text(encoding="utf-8").split("---", 2)[2]
    prose = re.sub(r"```.*?```", "", text, flags=re.S)  # code cells
    prose = re.sub(r"\{[a-z:]+\}`[^`]*`", "X", prose)  # roles count as one word
    minutes = len(re.findall(r"\w+", prose)) / WORDS_PER_MINUTE
    assert abs(estimate(text)[0] - minutes) <= 5, f"{minutes:.0f} minutes of prose"


def test_the_workload_table_matches_the_lessons():
    """Does the table in "How to use this course" give each lesson's own estimates?"""
    page = (REPO / "book" / "how-to-use.md").read_text(encoding="utf-8")
    for lesson in LESSONS:
        reading, practice = estimate(lesson.read_text(encoding="utf-8"))
        row = f"| {{ref}}`lesson-{lesson.stem[:2]}` | {reading} min | {practice} min | " \
              f"{reading + practice} min |"
        assert row in page, row
