"""TheoryOfChange: write a results chain and the assumption behind each link.

YAML schema (``widget: theory_of_change``)::

    widget: theory_of_change
    title: Your theory of change                # optional
    prompt: Fill in each box, from inputs to impact.   # optional
    example:                                    # optional; pre-fills the boxes
      inputs: Two youth workers, a room, a grant
      activities: Weekly mentoring sessions
      outputs: 40 young people mentored a year
      outcomes: Fewer school exclusions
      impact: More young people in work or study
      assumptions:                              # optional; one per link, keyed by
        inputs: Trained staff can be recruited  # the stage the arrow starts from
        activities: Young people keep coming
        outputs: Mentoring changes behaviour at school
        outcomes: Staying in school leads to work or study

Every field of ``example`` is optional. "Check my chain" flags empty stages and
missing assumptions in the browser; "Export to Markdown" writes the chain as
Markdown into the ``markdown`` trait.
"""

from __future__ import annotations

import traitlets

from sicourse.widgets.base import CourseWidget, bundle
from sicourse.widgets.content import Fields

STAGES = ("inputs", "activities", "outputs", "outcomes", "impact")
# An assumption sits on each arrow, keyed by the stage the arrow starts from.
LINKS = STAGES[:-1]


def _mapping(fields: Fields, field: str) -> Fields | None:
    """An optional nested mapping, as Fields that name where they are in errors."""
    if field not in fields.data:
        return None
    value = fields.data[field]
    if not isinstance(value, dict):
        raise fields.error(field, f"expected a mapping of fields, got {type(value).__name__}")
    where = f"{fields.where}.{field}" if fields.where else field
    return Fields(value, fields.path, where)


class TheoryOfChange(CourseWidget):
    """Five linked boxes and four assumptions, a check for gaps, and a Markdown export."""

    kind = "theory_of_change"
    _esm = bundle("theory_of_change.js")
    # Two-way: pre-filled from the YAML example, then what the learner writes.
    stages = traitlets.Dict().tag(sync=True)  # {stage: text} for every stage in STAGES
    assumptions = traitlets.Dict().tag(sync=True)  # {stage: text} for every stage in LINKS
    # Written by the front end on "Export to Markdown".
    markdown = traitlets.Unicode("").tag(sync=True)

    @classmethod
    def parse(cls, fields: Fields) -> dict:
        fields.only("widget", "title", "prompt", "example")
        stages, assumptions = dict.fromkeys(STAGES, ""), dict.fromkeys(LINKS, "")
        example = _mapping(fields, "example")
        if example is not None:
            example.only(*STAGES, "assumptions")
            stages = {stage: example.text(stage, default="") for stage in STAGES}
            links = _mapping(example, "assumptions")
            if links is not None:
                links.only(*LINKS)
                assumptions = {stage: links.text(stage, default="") for stage in LINKS}
        return {
            "title": fields.text("title", default=""),
            "prompt": fields.text("prompt", default=""),
            "stages": stages,
            "assumptions": assumptions,
        }
