"""What every course widget shares: its front end files and loading from YAML."""

from __future__ import annotations

from pathlib import Path

import anywidget
import traitlets

import sicourse
from sicourse.widgets import content

STATIC = sicourse.STATIC / "widgets"


def bundle(name: str) -> str:
    """A widget's ES module: the shared helpers (common.js), then its own file."""
    return "\n".join((STATIC / f).read_text(encoding="utf-8") for f in ("common.js", name))


class CourseWidget(anywidget.AnyWidget):
    """An anywidget whose content comes from a YAML file beside the lesson.

    Subclasses set ``kind`` (the ``widget:`` value in YAML), ``_esm`` and
    ``_css``, and implement ``parse`` to turn checked YAML fields into trait
    values. Results (a score, the simulator's result, the Markdown export) are
    computed twice, by the same rule: in the ES module, so the widget also works
    in the static book with no kernel, and in Python, by a function of the
    module that an observer calls when the answers change, whichever side
    changed them. tests/browser/test_scores_agree_browser.py runs both on the
    same answers.
    """

    kind = ""
    _css = STATIC / "widgets.css"
    title = traitlets.Unicode("").tag(sync=True)
    prompt = traitlets.Unicode("").tag(sync=True)

    @classmethod
    def parse(cls, fields: content.Fields) -> dict:
        raise NotImplementedError

    @classmethod
    def from_yaml(cls, path: str | Path) -> CourseWidget:
        fields = content.read(path)
        found = fields.text("widget")
        if found != cls.kind:
            raise fields.error("widget", f"this file is for '{found}', not '{cls.kind}'")
        return cls(**cls.parse(fields))
