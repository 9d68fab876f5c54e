"""The science-shop method is defined once: lesson 6, its widget and assignment 4 agree."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
STEPS = REPO / "lessons" / "06-case-skane" / "science-shop-steps.yml"
LESSON = REPO / "lessons" / "06-case-skane.md"
ASSIGNMENT = REPO / "exercises" / "04-centres-and-skane" / "centres-and-skane.ipynb"


def squash(text: str) -> str:
    return " ".join(text.split())


def canonical() -> list[str]:
    return [squash(step["text"]) for step in yaml.safe_load(STEPS.read_text("utf-8"))["steps"]]


def test_the_method_has_the_four_steps_of_the_swedish_source():
    """Does the one definition have four steps, the first being the joint formulation?"""
    steps = canonical()
    assert len(steps) == 4, steps
    assert "formulate the questions together" in steps[0]


def test_the_lesson_lists_the_same_steps_in_the_same_order():
    """Does lesson 6's numbered list lead each item with the widget's step, word for word?"""
    text = LESSON.read_text("utf-8")
    part = text.split("### The method, step by step", 1)[1].split("\n\n")[2]
    items = re.split(r"^\d\. ", part, flags=re.M)[1:]
    leads = [squash(re.match(r"\*\*(.+?)\*\*", item, flags=re.S).group(1)) for item in items]
    assert leads == canonical()


def test_assignment_4_orders_the_same_steps():
    """Do question 3's options, taken in the key's order, give the widget's steps?"""
    cells = {c["metadata"].get("nbgrader", {}).get("grade_id"): "".join(c["source"])
             for c in json.loads(ASSIGNMENT.read_text("utf-8"))["cells"]}
    options = dict(re.findall(r"^- \*\*([A-Z])\.\*\* (.+?)(?=^- \*\*|\n\n|\Z)",
                              cells["q3-text"], flags=re.M | re.S))
    key = ast.literal_eval(re.search(r"answer_q3 = (\[.*?\])", cells["q3-answer"]).group(1))
    assert [squash(options[letter]) for letter in key] == canonical()
    assert len(options) == len(canonical())
