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
missing assumptions in the browser; "Export to Markdown" (or ``export_markdown``
in Python) writes the chain as Markdown into the ``markdown`` trait, which then
follows the chain as it changes (``to_markdown``, the same text as
``toMarkdown`` in ``static/widgets/theory_of_change.js``).
"""

from __future__ import annotations

import traitlets

from sicourse.widgets.base import CourseWidget, bundle
from sicourse.widgets.content import Fields

# The stages in order, with the page's labels (STAGES in theory_of_change.js).
LABELS = {
    "inputs": "Inputs", "activities": "Activities", "outputs": "Outputs",
    "outcomes": "Outcomes", "impact": "Impact",
}
STAGES = tuple(LABELS)
# An assumption sits on each arrow, keyed by the stage the arrow starts from.
LINKS = STAGES[:-1]
# What JavaScript's trim() removes (str.strip() differs): its white space and line ends.
JS_SPACE = ("\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
            "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff")


def _shown(text: str | None, missing: str) -> str:
    """A box's text as exported: trimmed, or ``missing`` for a blank box."""
    return text.strip(JS_SPACE) if text and text.strip(JS_SPACE) else missing


def to_markdown(stages: dict, assumptions: dict, title: str = "") -> str:
    """The chain as Markdown: each stage under its heading, then the assumption on its
    arrow as a quote; the same text as the page's export (in English)."""
    lines = [f"# {title.strip(JS_SPACE) or 'Theory of change'}", ""]
    for number, stage in enumerate(STAGES, start=1):
        lines += [f"## {number}. {LABELS[stage]}", "",
                  _shown(stages.get(stage), "_(not filled in yet)_"), ""]
        if stage in LINKS:
            first, *rest = _shown(assumptions.get(stage), "_(not stated yet)_").split("\n")
            arrow = f"{LABELS[stage]} → {LABELS[STAGES[number]]}"
            quoted = [f"> **Assumption ({arrow}):** {first}", *(f"> {line}" for line in rest)]
            lines += [line.rstrip(JS_SPACE) for line in quoted] + [""]
    return "\n".join(lines).rstrip(JS_SPACE) + "\n"


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
    # The chain as Markdown once exported (by the page's "Export to Markdown" or by
    # export_markdown()), then kept up to date with it; "" until then (the page shows
    # its export box when this is not empty).
    markdown = traitlets.Unicode("").tag(sync=True)

    def export_markdown(self) -> str:
        """Export the chain, as the page's button does, and give back the Markdown."""
        self.markdown = to_markdown(self.stages, self.assumptions, self.title)
        return self.markdown

    @traitlets.observe("title", "stages", "assumptions")
    def _follow(self, change: dict) -> None:
        if self.markdown:
            self.export_markdown()

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
