"""A submission of assignment 1 whose answers try to run scripts in a grader's browser.

Shared by tests/grading/test_untrusted_content.py (nbgrader's files and pages) and
tests/browser/test_untrusted_content_browser.py (Formgrader and feedback in Chromium).
Each payload, if it runs, adds its name to ``window.__pwned``, renames the page
and writes ``pwned-<name>.txt`` into the Jupyter server's folder through the
contents API, as an attack on an instructor would.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_output, new_raw_cell

ASSIGNMENT = "01-concepts"
NOTEBOOK = "concepts-and-definitions.ipynb"
MARKER = "__pwned"
# The student's own words, which must stay readable wherever the answer is shown.
WRITTEN = "A repair café in our library"
BOLD = "fix things together"


def js(name: str) -> str:
    """A script that leaves traces: no spaces nor double quotes, so it fits anywhere."""
    return (
        f"window.{MARKER}=(window.{MARKER}||[]).concat('{name}');document.title='pwned';"
        f"fetch('/api/contents/pwned-{name}.txt',{{method:'PUT',headers:{{'Content-Type':"
        "'application/json','X-XSRFToken':decodeURIComponent((document.cookie.match("
        "/_xsrf=([^;]*)/)||[])[1]||'')},body:JSON.stringify({type:'file',format:'text',"
        "content:'pwned'})})"
    )


def written_answer() -> str:
    """The written answer (question 3): readable markdown around raw-HTML payloads."""
    return (
        f'<img src=x onerror="{js("md-img")}">{WRITTEN} is new to the people it serves.\n\n'
        f"> Volunteers and visitors **{BOLD}**; costs fall as a < b.\n\n"
        f'<svg onload="{js("md-svg")}"></svg>'
        f'<iframe srcdoc="<script>{js("md-iframe")}</script>"></iframe>\n\n'
        f'```mermaid\n<img src=x onerror="{js("md-mermaid")}">\n```\n'
    )


def link_answer() -> str:
    """A cell the student added: a link that runs a script when clicked."""
    return f"See [my sources](javascript:{js('md-link')})."


def bundles() -> list[dict]:
    """What the student's code displays: one rich output per kind of payload."""
    return [
        {"text/html": f'<script>{js("html-script")}</script><b>output in bold</b>'
                      f'<img src=x onerror="{js("html-img")}"><svg onload="{js("html-svg")}">'
                      f'</svg><a href="javascript:{js("html-link")}">a link</a>'
                      f'<iframe srcdoc="<script>{js("html-iframe")}</script>"></iframe>',
         "text/plain": "<IPython.core.display.HTML object>"},
        {"application/javascript": js("javascript"),
         "text/plain": "<IPython.core.display.Javascript object>"},
        {"application/vnd.jupyter.widget-view+json":
            {"model_id": "0123", "version_major": 2, "version_minor": 0},
         "text/plain": "IntSlider(value=0)"},
        {"image/svg+xml": f'<svg xmlns="http://www.w3.org/2000/svg" onload="{js("svg")}">'
                          '<circle r="5"/></svg>'},
        {"text/markdown": f'<img src=x onerror="{js("markdown-output")}"> **markdown output**'},
    ]


def answer_code() -> str:
    """The code answer of question 1: right, and displaying every bundle."""
    return ('answer_q1 = "B"\nfrom IPython.display import display\n'
            f"for bundle in {bundles()!r}:\n    display(bundle, raw=True)")


def _cell(nb, grade_id: str):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def submission(released) -> nbformat.NotebookNode:
    """The released notebook, answered with every payload."""
    nb = nbformat.from_dict(json.loads(json.dumps(released)))
    _cell(nb, "q1-answer").source = answer_code()
    _cell(nb, "q2-answer").source = 'answer_q2 = ["A", "C", "E", "F"]'
    _cell(nb, "q3-answer").source = written_answer()
    nb.cells.append(new_markdown_cell(link_answer()))
    nb.cells.append(new_raw_cell(f"<script>{js('raw')}</script>",
                                 metadata={"raw_mimetype": "text/html"}))
    nb.cells.append(new_code_cell("1 + 1"))
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {
        "state": {}, "version_major": 2, "version_minor": 0}}
    return nb


def as_run_before(nb) -> nbformat.NotebookNode:
    """``nb`` as a run would leave it, unsanitised: an autograded notebook from before
    the sanitiser existed (or written by another tool)."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    _cell(nb, "q1-answer").outputs = [
        new_output("display_data", data=bundle) for bundle in bundles()
    ]
    return nb


class ActiveContent(HTMLParser):
    """What in an HTML page could run a script: payload scripts, widget views, event
    handlers, javascript: URLs, frames, objects and inline SVG."""

    URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data"}
    FRAMES = {"iframe", "frame", "object", "embed", "svg"}

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._script: str | None = None

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            value = (value or "").replace(" ", "").lower()
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name in self.URL_ATTRIBUTES and value.startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:...>")
        if tag in self.FRAMES:
            self.found.append(f"<{tag}>")
        if tag == "script":
            self._script = dict(attrs).get("type") or ""

    def handle_data(self, data):
        if self._script is not None and (MARKER in data or "widget-view" in self._script):
            self.found.append(f"<script>{data.strip()[:60]}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None


def active_content(html: str) -> list[str]:
    parser = ActiveContent()
    parser.feed(html)
    parser.close()
    return parser.found
