"""Categorize: sort items into named categories, checked in the browser.

YAML schema (``widget: categorize``)::

    widget: categorize
    title: Which of these are social innovations?   # optional
    prompt: Put each item in a category.            # optional
    categories:                                     # at least 2
      - id: si
        label: Social innovation
      - id: not
        label: Not a social innovation
    items:
      - id: library
        text: The first public lending libraries
        category: si                                # the id of one of the categories
        feedback: Why it belongs there.             # optional

Each item gets a drop-down list of the categories; "Check" says in words which
items are misplaced and shows their feedback. The score is the number of items
placed in their own category (``score_of``, the same rule as ``check`` in
``static/widgets/categorize.js``).
"""

from __future__ import annotations

import traitlets

from sicourse.widgets.base import CourseWidget, bundle
from sicourse.widgets.content import Fields


def reference(entry: Fields, field: str) -> str:
    """An entry's field that holds the id of another entry (text or a number, like ids)."""
    if field not in entry.data:
        raise entry.error(field, "missing")
    value = entry.data[field]
    if isinstance(value, bool) or not isinstance(value, (str, int)) or str(value) == "":
        raise entry.error(field, f"expected an id, got {type(value).__name__} {value!r}")
    return str(value)


def score_of(items: list[dict], placement: dict) -> int:
    """The items placed in their category; ``placement`` is {item id: category id}."""
    return sum(placement.get(item["id"]) == item["category"] for item in items)


class Categorize(CourseWidget):
    """Items to sort into categories, with feedback per item, a score and a retry."""

    kind = "categorize"
    _esm = bundle("categorize.js")
    categories = traitlets.List(traitlets.Dict()).tag(sync=True)
    items = traitlets.List(traitlets.Dict()).tag(sync=True)
    # {item id: category id} for the items placed so far: written by the page at each
    # choice, or set in Python. The score (score_of the placement) follows it, whichever
    # side wrote it; checked says whether the page shows its verdicts (only the page sets it).
    placement = traitlets.Dict().tag(sync=True)
    score = traitlets.Int(0).tag(sync=True)
    checked = traitlets.Bool(False).tag(sync=True)

    @traitlets.observe("items", "placement")
    def _score(self, change: dict) -> None:
        self.score = score_of(self.items, self.placement)

    @classmethod
    def parse(cls, fields: Fields) -> dict:
        fields.only("widget", "title", "prompt", "categories", "items")
        categories = []
        for category in fields.entries("categories", minimum=2):
            category.only("id", "label")
            categories.append({"id": category.ident(), "label": category.text("label")})
        known = [c["id"] for c in categories]
        items = []
        for item in fields.entries("items"):
            item.only("id", "text", "category", "feedback")
            chosen = reference(item, "category")
            if chosen not in known:
                raise item.error(
                    "category", f"'{chosen}' is not one of the categories: {', '.join(known)}"
                )
            items.append({
                "id": item.ident(),
                "text": item.text("text"),
                "category": chosen,
                "feedback": item.text("feedback", default=""),
            })
        return {
            "title": fields.text("title", default=""),
            "prompt": fields.text("prompt", default=""),
            "categories": categories,
            "items": items,
        }
