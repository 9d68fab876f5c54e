"""Theory of change: loading its YAML, errors, syncing, and the gap check and export in JS."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from sicourse.widgets import WIDGETS, ContentError, TheoryOfChange, load
from sicourse.widgets.base import bundle
from sicourse.widgets.theory_of_change import to_markdown

FIXTURE = Path(__file__).parent / "files" / "widgets" / "theory_of_change.yml"
NODE = shutil.which("node") or "node"
needs_node = pytest.mark.usefixtures("node")  # fails if node is missing
STAGES = ["inputs", "activities", "outputs", "outcomes", "impact"]

VALID = """\
widget: theory_of_change
example:
  inputs: Volunteers
  assumptions:
    inputs: Volunteers stay
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "chain.yml"
    path.write_text(text, encoding="utf-8")
    return path


def run_node(tmp_path: Path, expression: str, data: object) -> object:
    """Evaluate ``expression`` (using ``mod`` and ``data``) against the bundled module."""
    module = tmp_path / "theory_of_change.mjs"
    module.write_text(bundle("theory_of_change.js"), encoding="utf-8")
    script = tmp_path / "run.mjs"
    script.write_text(
        f"const mod = await import({json.dumps(module.as_uri())});\n"
        f"const data = {json.dumps(data)};\n"
        f"console.log(JSON.stringify({expression}));\n",
        encoding="utf-8",
    )
    result = subprocess.run([NODE, str(script)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_registered():
    """Does load() pick TheoryOfChange for `widget: theory_of_change`?"""
    assert WIDGETS["theory_of_change"] is TheoryOfChange
    assert isinstance(load(FIXTURE), TheoryOfChange)


def test_example_prefills_the_boxes():
    """Does the example fill every stage, and the assumptions given, leaving the rest empty?"""
    widget = load(FIXTURE)
    assert widget.title == "A mentoring project's theory of change"
    assert list(widget.stages) == STAGES
    assert widget.stages["outputs"] == "40 young people mentored a year"
    assert widget.assumptions == {
        "inputs": "Trained staff can be recruited", "activities": "Young people keep coming",
        "outputs": "", "outcomes": "Staying in school leads to work or study",
    }
    assert widget.markdown == ""


def test_no_example_gives_empty_boxes(tmp_path):
    """Without an example, are all five stages and four assumptions present and empty?"""
    widget = load(write(tmp_path, "widget: theory_of_change\n"))
    assert widget.stages == dict.fromkeys(STAGES, "")
    assert widget.assumptions == dict.fromkeys(STAGES[:-1], "")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda t: t.replace("  inputs: Volunteers\n", "  input: Volunteers\n"),
         "example: field 'input': unknown field; allowed: inputs, activities"),
        (lambda t: t.replace("    inputs: Volunteers stay", "    impact: Volunteers stay"),
         "example.assumptions: field 'impact': unknown field; allowed: inputs, activities, "
         "outputs, outcomes"),
        (lambda t: t.replace("  inputs: Volunteers\n", "  inputs: [a, b]\n"),
         "example: field 'inputs': expected text, got list ['a', 'b']"),
        (lambda t: t.replace("    inputs: Volunteers stay", "    inputs: 3"),
         "example.assumptions: field 'inputs': expected text, got int 3"),
        (lambda t: "widget: theory_of_change\nexample: A project\n",
         "field 'example': expected a mapping of fields, got str"),
        (lambda t: t.replace("  assumptions:\n    inputs: Volunteers stay\n",
                             "  assumptions: [one]\n"),
         "example: field 'assumptions': expected a mapping of fields, got list"),
        (lambda t: t + "stages: 5\n", "field 'stages': unknown field"),
    ],
)
def test_errors_name_file_entry_and_field(tmp_path, change, expected):
    """Does each authoring mistake give one ContentError naming the file, entry and field?"""
    path = write(tmp_path, change(VALID))
    with pytest.raises(ContentError) as info:
        load(path)
    assert str(info.value).startswith(f"{path}: {expected}")


@needs_node
def test_gaps_flag_every_empty_stage_and_assumption(tmp_path):
    """Does the JS check name each empty (or blank) stage and each missing assumption?"""
    data = {
        "stages": {**dict.fromkeys(STAGES, "x"), "outputs": "  ", "impact": ""},
        "assumptions": {"inputs": "a", "activities": "", "outputs": "b"},
    }
    found = run_node(tmp_path, "mod.gaps(data.stages, data.assumptions)", data)
    assert [g["message"] for g in found] == [
        "The assumption linking Activities to Outputs is missing.",
        "The Outputs box is empty.",
        "The assumption linking Outcomes to Impact is missing.",
        "The Impact box is empty.",
    ]
    full = {"stages": dict.fromkeys(STAGES, "x"), "assumptions": dict.fromkeys(STAGES[:-1], "y")}
    assert run_node(tmp_path, "mod.gaps(data.stages, data.assumptions)", full) == []


@needs_node
def test_markdown_export(tmp_path):
    """Is the Markdown export every stage in order, with its assumption quoted after it?"""
    widget = load(FIXTURE)
    data = {"stages": widget.stages, "assumptions": widget.assumptions, "title": widget.title}
    markdown = run_node(tmp_path, "mod.toMarkdown(data.stages, data.assumptions, data.title)", data)
    assert markdown.startswith("# A mentoring project's theory of change\n\n## 1. Inputs\n\n"
                               "Two youth workers, a room, a small grant\n\n"
                               "> **Assumption (Inputs → Activities):** "
                               "Trained staff can be recruited\n\n## 2. Activities\n")
    assert "> **Assumption (Outputs → Outcomes):** _(not stated yet)_" in markdown
    assert markdown.endswith("## 5. Impact\n\nMore young people in work or study\n")
    assert [line for line in markdown.splitlines() if line.startswith("## ")] == [
        "## 1. Inputs", "## 2. Activities", "## 3. Outputs", "## 4. Outcomes", "## 5. Impact",
    ]
    assert markdown == to_markdown(widget.stages, widget.assumptions, widget.title)
    multi = {"stages": {"inputs": "عمل\nمشترك"}, "assumptions": {"inputs": "one\n\ntwo"}}
    markdown = run_node(tmp_path, "mod.toMarkdown(data.stages, data.assumptions)", multi)
    assert markdown == to_markdown(multi["stages"], multi["assumptions"])
    assert "# Theory of change\n\n## 1. Inputs\n\nعمل\nمشترك\n\n" in markdown
    assert "> **Assumption (Inputs → Activities):** one\n>\n> two\n" in markdown
    assert "## 2. Activities\n\n_(not filled in yet)_" in markdown


# --- the Markdown, in Python (tests/browser/test_scores_agree_browser.py: the page's text)

EXPECTED = """\
# Theory of change

## 1. Inputs

Volunteers

> **Assumption (Inputs → Activities):** one
>
> two

## 2. Activities

_(not filled in yet)_

> **Assumption (Activities → Outputs):** _(not stated yet)_

## 3. Outputs

\x1c

> **Assumption (Outputs → Outcomes):** _(not stated yet)_

## 4. Outcomes

_(not filled in yet)_

> **Assumption (Outcomes → Impact):** _(not stated yet)_

## 5. Impact

_(not filled in yet)_
"""


def test_markdown_by_hand():
    """Does to_markdown() give the hand-written text: trimmed as JavaScript trims (a BOM and
    a no-break space go, a control character that Python calls space stays), blank boxes
    marked, a multi-line assumption quoted line by line, the default title for a blank one?"""
    stages = {"inputs": "\ufeff Volunteers\u00a0\n", "activities": " \u3000 ", "outputs": "\x1c"}
    assumptions = {"inputs": "one\n\ntwo  ", "activities": None}
    assert to_markdown(stages, assumptions, title=" \t") == EXPECTED
    titled = to_markdown({}, {}, title=" My chain ")
    assert titled.startswith("# My chain\n\n## 1. Inputs\n\n_(not filled in yet)_\n")


def test_markdown_stays_empty_until_exported_then_follows_the_chain():
    """Is `markdown` empty until the chain is exported (the page shows its export box only
    then), and once exported, does it follow the stages, assumptions and title, whichever
    side changes them?"""
    widget = load(FIXTURE)
    widget.stages = {**widget.stages, "impact": "Work"}
    assert widget.markdown == ""
    assert widget.export_markdown() == widget.markdown == to_markdown(
        widget.stages, widget.assumptions, widget.title)
    widget.assumptions = {**widget.assumptions, "outputs": "Mentoring works"}
    assert "> **Assumption (Outputs → Outcomes):** Mentoring works\n" in widget.markdown
    widget.title = "Ours"
    assert widget.markdown.startswith("# Ours\n")
    # The page's export (stages and Markdown together) and a later edit of a box.
    page = TheoryOfChange(title="T", stages=dict.fromkeys(STAGES, "x"))
    text = to_markdown(dict.fromkeys(STAGES, "y"), {}, "T")
    page.set_state({"stages": dict.fromkeys(STAGES, "y"), "assumptions": {}, "markdown": text})
    assert page.markdown == text
    page.set_state({"stages": dict.fromkeys(STAGES, "z")})
    assert page.markdown == to_markdown(dict.fromkeys(STAGES, "z"), {}, "T")
