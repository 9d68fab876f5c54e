"""Sequence: put shuffled steps back in order, checked in the browser.

YAML schema (``widget: sequence``)::

    widget: sequence
    title: The six stages of social innovation   # optional
    prompt: Put the stages in order.            # optional
    steps:                                      # at least 2, in the CORRECT order
      - id: prompts
        text: Prompts, inspirations and diagnoses
        feedback: Why it comes here.            # optional, shown when it is misplaced

The widget shows the steps in a shuffled order that depends only on the ids
(so every reader, and every build, sees the same puzzle) and is never already
solved. The learner moves steps with "Move up" and "Move down" buttons. The
score is the number of steps in their right place (``score_of``, the same rule
as ``placed`` in ``static/widgets/sequence.js``).
"""

from __future__ import annotations

import hashlib
import random

import traitlets

from sicourse.widgets.base import CourseWidget, bundle
from sicourse.widgets.content import Fields


def shuffled(ids: list[str]) -> list[str]:
    """The ids in an order seeded from the ids themselves, never the order given.

    Also used by Match for its right-hand column.
    """
    seed = int(hashlib.sha256("\x1f".join(ids).encode("utf-8")).hexdigest(), 16)
    order = list(ids)
    random.Random(seed).shuffle(order)
    if order == list(ids) and len(order) > 1:
        order = order[1:] + order[:1]
    return order


def score_of(steps: list[dict], order: list[str]) -> int:
    """The steps in their right place: where ``order`` (step ids) has the id of the step
    that comes there. The page only ever holds an order of all the step ids."""
    return sum(step["id"] == ident for step, ident in zip(steps, order, strict=False))


class Sequence(CourseWidget):
    """Steps to put in order, with keyboard-operable moves, a score and a retry."""

    kind = "sequence"
    _esm = bundle("sequence.js")
    # In the correct order.
    steps = traitlets.List(traitlets.Dict()).tag(sync=True)
    # The shuffled order the learner starts from (and returns to on "Try again").
    start = traitlets.List(traitlets.Unicode()).tag(sync=True)
    # The learner's order of step ids: written by the page at each move, or set in
    # Python. The score (score_of the order) follows it, whichever side wrote it;
    # checked says whether the page shows its verdicts (only the page sets it).
    order = traitlets.List(traitlets.Unicode()).tag(sync=True)
    score = traitlets.Int(0).tag(sync=True)
    checked = traitlets.Bool(False).tag(sync=True)

    @traitlets.observe("steps", "order")
    def _score(self, change: dict) -> None:
        self.score = score_of(self.steps, self.order)

    @classmethod
    def parse(cls, fields: Fields) -> dict:
        fields.only("widget", "title", "prompt", "steps")
        steps = []
        for step in fields.entries("steps", minimum=2):
            step.only("id", "text", "feedback")
            steps.append({
                "id": step.ident(),
                "text": step.text("text"),
                "feedback": step.text("feedback", default=""),
            })
        start = shuffled([s["id"] for s in steps])
        return {
            "title": fields.text("title", default=""),
            "prompt": fields.text("prompt", default=""),
            "steps": steps,
            "start": start,
            "order": list(start),
        }
