"""Interactive widgets for the lessons, each loaded from a YAML file.

>>> from sicourse.widgets import load
>>> load("01-what-is-social-innovation/quiz.yml")   # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from sicourse.widgets.base import CourseWidget
from sicourse.widgets.categorize import Categorize
from sicourse.widgets.content import ContentError, read
from sicourse.widgets.impact_bond import ImpactBondSimulator
from sicourse.widgets.match import Match
from sicourse.widgets.quiz import Quiz
from sicourse.widgets.sequence import Sequence
from sicourse.widgets.theory_of_change import TheoryOfChange

WIDGETS: dict[str, type[CourseWidget]] = {
    cls.kind: cls
    for cls in (Quiz, Categorize, Sequence, Match, ImpactBondSimulator, TheoryOfChange)
}

__all__ = [
    "Categorize", "ContentError", "CourseWidget", "ImpactBondSimulator", "Match", "Quiz",
    "Sequence", "TheoryOfChange", "WIDGETS", "load",
]


def load(path: str | Path) -> CourseWidget:
    """Build the widget a YAML file describes, picked by its ``widget:`` field."""
    kind = read(path).text("widget")
    if kind not in WIDGETS:
        raise ContentError(f"{path}: field 'widget': '{kind}' is not one of {', '.join(WIDGETS)}")
    return WIDGETS[kind].from_yaml(path)
