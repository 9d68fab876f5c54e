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
def test_lesson_practice_has_a_quiz_and_another_widget(lesson):
    """At least two widgets: a self-check quiz and one sorting, ordering, matching or model task?"""
    text = lesson.read_text(encoding="utf-8")
    files = re.findall(r'load\("([^"]+\.yml)"\)', text)
    kinds = [yaml.safe_load((REPO / "lessons" / f).read_text(encoding="utf-8"))["widget"]
             for f in files]
    assert len(kinds) >= 2, kinds
    assert "quiz" in kinds
    assert set(kinds) - {"quiz"}, "needs a widget other than the quiz"


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
