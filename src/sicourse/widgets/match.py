"""Match: pair each left-hand item with its right-hand text, checked in the browser.

YAML schema (``widget: match``)::

    widget: match
    title: Six principles of design thinking   # optional
    prompt: Match each principle to its meaning.   # optional
    left_label: Principle                      # optional column headings
    right_label: What it means
    pairs:                                     # at least 2
      - id: orientation
        left: Orientation
        right: Transform the whole organisation ...

Each left-hand item gets a drop-down list of all the right-hand texts, in a
shuffled order that depends only on the ids. No two pairs may have the same
right-hand (or left-hand) text, or the answer would be ambiguous. The score is
the number of left-hand items matched with their own right-hand text
(``score_of``, the same rule as ``check`` in ``static/widgets/match.js``).
"""

from __future__ import annotations

import traitlets

from sicourse.widgets.base import CourseWidget, bundle
from sicourse.widgets.content import Fields
from sicourse.widgets.sequence import shuffled


def _same(text: str) -> str:
    """Texts that differ only in case or spacing read as the same to a learner."""
    return " ".join(text.split()).casefold()


def score_of(pairs: list[dict], matches: dict) -> int:
    """The pairs matched right; ``matches`` is {left (pair) id: pair id of the text chosen}."""
    return sum(matches.get(pair["id"]) == pair["id"] for pair in pairs)


class Match(CourseWidget):
    """Pairs to match with drop-down lists, a score and a retry."""

    kind = "match"
    _esm = bundle("match.js")
    left_label = traitlets.Unicode("").tag(sync=True)
    right_label = traitlets.Unicode("").tag(sync=True)
    pairs = traitlets.List(traitlets.Dict()).tag(sync=True)
    # The pair ids in the order the right-hand texts are offered.
    right_order = traitlets.List(traitlets.Unicode()).tag(sync=True)
    # {left (pair) id: pair id of the right-hand text chosen}: written by the page at
    # each choice, or set in Python. The score (score_of the matches) follows it, whichever
    # side wrote it; checked says whether the page shows its verdicts (only the page sets it).
    matches = traitlets.Dict().tag(sync=True)
    score = traitlets.Int(0).tag(sync=True)
    checked = traitlets.Bool(False).tag(sync=True)

    @traitlets.observe("pairs", "matches")
    def _score(self, change: dict) -> None:
        self.score = score_of(self.pairs, self.matches)

    @classmethod
    def parse(cls, fields: Fields) -> dict:
        fields.only("widget", "title", "prompt", "left_label", "right_label", "pairs")
        pairs, seen = [], {"left": {}, "right": {}}
        for pair in fields.entries("pairs", minimum=2):
            pair.only("id", "left", "right")
            found = {"id": pair.ident(), "left": pair.text("left"), "right": pair.text("right")}
            for side in ("left", "right"):
                key = _same(found[side])
                if key in seen[side]:
                    raise pair.error(
                        side, f"the same text as pair '{seen[side][key]}': {found[side]!r}"
                    )
                seen[side][key] = found["id"]
            pairs.append(found)
        return {
            "title": fields.text("title", default=""),
            "prompt": fields.text("prompt", default=""),
            "left_label": fields.text("left_label", default=""),
            "right_label": fields.text("right_label", default=""),
            "pairs": pairs,
            "right_order": shuffled([p["id"] for p in pairs]),
        }
