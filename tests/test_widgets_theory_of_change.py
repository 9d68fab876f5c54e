"""Theory of change: loading its YAML, errors, syncing, and the gap check and export in JS."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from sicourse.widgets import WIDGETS, ContentError, TheoryOfChange, load
from sicourse.widgets.base import bundle

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
    multi = {"stages": {"inputs": "عمل\nمشترك"}, "assumptions": {"inputs": "one\n\ntwo"}}
    markdown = run_node(tmp_path, "mod.toMarkdown(data.stages, data.assumptions)", multi)
    assert "# Theory of change\n\n## 1. Inputs\n\nعمل\nمشترك\n\n" in markdown
    assert "> **Assumption (Inputs → Activities):** one\n>\n> two\n" in markdown
    assert "## 2. Activities\n\n_(not filled in yet)_" in markdown
