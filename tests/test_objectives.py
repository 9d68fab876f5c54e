"""Every learning objective of every lesson is assessed somewhere (book/objectives.yml)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
LESSONS = sorted((REPO / "lessons").glob("*.md"))
MAPPING = yaml.safe_load((REPO / "book" / "objectives.yml").read_text("utf-8"))


def objectives(lesson: Path) -> int:
    text = lesson.read_text("utf-8")
    part = re.search(r"^## Learning objectives\n(.*?)(?=^## )", text, flags=re.M | re.S).group(1)
    return len(re.findall(r"^\d+\. ", part, flags=re.M))


def graded_ids(folder: str) -> set[str]:
    ids = set()
    for path in (REPO / "exercises" / folder).glob("*.ipynb"):
        for cell in json.loads(path.read_text("utf-8"))["cells"]:
            meta = cell["metadata"].get("nbgrader", {})
            if meta.get("grade"):
                ids.add(meta["grade_id"])
    return ids


def test_every_lesson_is_in_the_mapping():
    """Does the mapping cover exactly the course's lessons?"""
    assert sorted(MAPPING) == [p.stem for p in LESSONS]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_every_objective_is_mapped(lesson):
    """Is each numbered objective mapped to at least one item, and nothing else?"""
    mapped = MAPPING[lesson.stem]
    assert set(mapped) == set(range(1, objectives(lesson) + 1))
    for number, items in mapped.items():
        assert items, f"objective {number} has no assessed item"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_every_mapped_item_exists(lesson):
    """Is every widget shown by its lesson (and every quiz question in it), and every
    assignment item a graded cell of that assignment?"""
    text = lesson.read_text("utf-8")
    for number, items in MAPPING[lesson.stem].items():
        for item in items:
            (kind, target), = item.items()
            where = f"objective {number}: {target}"
            if kind == "widget":
                file, _, question = target.partition("#")
                assert f'load("{file}")' in text, f"{where}: the lesson does not show it"
                data = yaml.safe_load((REPO / "lessons" / file).read_text("utf-8"))
                if question:
                    assert data["widget"] == "quiz", where
                    assert question in {q["id"] for q in data["questions"]}, where
            else:
                assert kind == "assignment", where
                folder, _, grade_id = target.partition("#")
                assert grade_id in graded_ids(folder), f"{where}: no graded cell"


def test_assignment_1_assesses_definitions_and_transformation():
    """Are lesson 1's objectives 2 (definitions) and 6 (transformation) graded in assignment 1?"""
    lesson1 = MAPPING["01-what-is-social-innovation"]
    for number in (2, 6):
        assert any(i.get("assignment", "").startswith("01-concepts#") for i in lesson1[number])
