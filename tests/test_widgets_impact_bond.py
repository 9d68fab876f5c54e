"""Impact bond simulator: the formula in Python and in JavaScript, presets, errors and syncing."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from sicourse.widgets import WIDGETS, ContentError, ImpactBondSimulator, load
from sicourse.widgets.base import bundle
from sicourse.widgets.impact_bond import outcome, problems

FILES = Path(__file__).parent / "files" / "widgets"
FIXTURE = FILES / "impact_bond.yml"
CASES = yaml.safe_load((FILES / "impact_bond_cases.yml").read_text(encoding="utf-8"))["cases"]
NODE = shutil.which("node") or "node"
needs_node = pytest.mark.usefixtures("node")  # fails if node is missing

VALID = """\
widget: impact_bond
presets:
  - id: one
    label: One bond
    capital: 1000
    target: 5
    achieved: 6
    payment_per_point: 200
    years: 1
"""

# Inputs outcome() must refuse, and the input each one names.
INVALID = [
    ({"capital": 0}, {"capital"}),
    ({"capital": -5}, {"capital"}),
    ({"years": 0}, {"years"}),
    ({"payment_per_point": -1}, {"payment_per_point"}),
    ({"target": -1}, {"target"}),
    ({"cap": 0}, {"cap"}),
    ({"cap": -10}, {"cap"}),
    ({"achieved": "lots"}, {"achieved"}),
    ({"capital": math.nan, "years": -1}, {"capital", "years"}),
]


def inputs(**changes) -> dict:
    base = {"capital": 1000, "target": 5, "achieved": 6, "payment_per_point": 200, "years": 1}
    return {**base, **changes}


def close(got: dict, expected: dict) -> list[str]:
    """The keys where got differs from expected beyond the table's precision."""
    wrong = []
    for key, want in expected.items():
        value = got[key]
        if isinstance(want, bool) or key == "met":
            ok = value is want
        else:
            ok = math.isclose(value, want, rel_tol=0, abs_tol=1e-6)
        if not ok:
            wrong.append(f"{key}: got {value!r}, expected {want!r}")
    return wrong


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bond.yml"
    path.write_text(text, encoding="utf-8")
    return path


def run_node(tmp_path: Path, calls: list[dict], function: str) -> list:
    """Call the JS module's exported ``function`` on each argument list, with node."""
    module = tmp_path / "impact_bond.mjs"
    module.write_text(bundle("impact_bond.js"), encoding="utf-8")
    script = tmp_path / "run.mjs"
    script.write_text(
        "import { readFileSync } from 'node:fs';\n"
        f"const mod = await import({json.dumps(module.as_uri())});\n"
        "const calls = JSON.parse(readFileSync(process.argv[2], 'utf8'));\n"
        f"const out = calls.map((args) => mod.{function}(...args));\n"
        "console.log(JSON.stringify(out));\n",
        encoding="utf-8",
    )
    data = tmp_path / "calls.json"
    data.write_text(json.dumps(calls), encoding="utf-8")
    result = subprocess.run(
        [NODE, str(script), str(data)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def positional(values: dict) -> list:
    """outcome()'s arguments in order."""
    names = ("capital", "target", "achieved", "payment_per_point", "years")
    return [values[n] for n in names] + [values.get("cap")]


def test_registered():
    """Does load() pick the simulator for `widget: impact_bond`?"""
    assert WIDGETS["impact_bond"] is ImpactBondSimulator
    assert isinstance(load(FIXTURE), ImpactBondSimulator)


def test_table_covers_the_cases_asked_for():
    """Does the table hold met, not met, at target, capped, negative and one-year cases?"""
    assert len(CASES) >= 6
    assert any(c["expected"]["met"] for c in CASES)
    assert any(not c["expected"]["met"] for c in CASES)
    assert any(c["inputs"]["achieved"] == c["inputs"]["target"] for c in CASES)
    assert any(c["inputs"].get("cap") is not None
               and c["expected"]["payer_pays"] == c["inputs"]["cap"] for c in CASES)
    assert any(c["inputs"]["achieved"] < 0 for c in CASES)
    assert any(c["inputs"]["years"] == 1 for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_python_formula_matches_table(case):
    """Does outcome() in Python give the hand-computed result?"""
    assert close(outcome(**case["inputs"]), case["expected"]) == []


@needs_node
def test_javascript_formula_matches_table(tmp_path):
    """Does outcome() in impact_bond.js, run by node, give the same hand-computed results?"""
    results = run_node(tmp_path, [positional(c["inputs"]) for c in CASES], "outcome")
    for case, got in zip(CASES, results, strict=True):
        assert close(got, case["expected"]) == [], case["name"]
        assert set(got) == set(outcome(**case["inputs"]))


@pytest.mark.parametrize(("changes", "names"), INVALID)
def test_python_rejects_invalid_inputs(changes, names):
    """Does outcome() refuse impossible inputs, and problems() name each one?"""
    assert set(problems(**inputs(**changes))) == names
    with pytest.raises(ValueError, match=sorted(names)[0]):
        outcome(**inputs(**changes))


@needs_node
def test_javascript_rejects_the_same_inputs(tmp_path):
    """Does problems() in JS flag the same inputs as problems() in Python?"""
    # JSON cannot carry NaN, so those cases stay in Python.
    cases = [(c, names) for c, names in INVALID if not any(v != v for v in c.values())]
    cases.append(({}, set()))
    got = run_node(tmp_path, [positional(inputs(**c)) for c, _ in cases], "problems")
    assert [set(g) for g in got] == [names for _, names in cases]


def test_valid_yaml_gives_traits():
    """Does a valid file give the presets, and the first preset's figures as the inputs?"""
    widget = load(FIXTURE)
    assert widget.title == "Simulate a social impact bond"
    assert [p["id"] for p in widget.presets] == ["peterborough", "no-cap"]
    assert widget.presets[0] == {
        "id": "peterborough", "label": "Peterborough prison, UK (2010)", "capital": 5000000,
        "target": 7.5, "achieved": 9, "payment_per_point": 683000, "cap": 8000000, "years": 7,
        "currency": "GBP",
        "note": "Illustrative figures loosely based on the first social impact bond.",
    }
    assert widget.presets[1]["cap"] is None
    assert widget.presets[1]["currency"] == "EUR"
    assert widget.presets[1]["note"] == ""
    assert widget.preset == "peterborough"
    assert (widget.capital, widget.target, widget.achieved) == (5e6, 7.5, 9.0)
    assert (widget.payment_per_point, widget.cap, widget.years) == (683000.0, 8e6, 7.0)
    assert widget.currency == "GBP"
    assert widget.result["payer_pays"] == 6147000
    assert widget.result["met"] is True


def test_null_cap_means_no_cap(tmp_path):
    """Is `cap: null` the same as leaving the cap out?"""
    widget = load(write(tmp_path, VALID + "    cap: null\n"))
    assert widget.cap is None
    assert widget.result["payer_pays"] == 1200


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda t: t.replace("capital: 1000", "capital: -1000"),
         "presets[1] (id 'one'): field 'capital': must be more than 0, got -1000"),
        (lambda t: t.replace("capital: 1000", "capital: 0"),
         "presets[1] (id 'one'): field 'capital': must be more than 0, got 0"),
        (lambda t: t.replace("years: 1", "years: 0"),
         "presets[1] (id 'one'): field 'years': must be more than 0, got 0"),
        (lambda t: t.replace("payment_per_point: 200", "payment_per_point: -2"),
         "presets[1] (id 'one'): field 'payment_per_point': must not be negative, got -2"),
        (lambda t: t.replace("target: 5", "target: -5"),
         "presets[1] (id 'one'): field 'target': must not be negative, got -5"),
        (lambda t: t + "    cap: 0\n",
         "presets[1] (id 'one'): field 'cap': must be more than 0"),
        (lambda t: t + "    cap: lots\n",
         "presets[1] (id 'one'): field 'cap': expected a number, got str 'lots'"),
        (lambda t: t.replace("achieved: 6", "achieved: '6'"),
         "presets[1] (id 'one'): field 'achieved': expected a number, got str '6'"),
        (lambda t: t.replace("achieved: 6", "achieved: .nan"),
         "presets[1] (id 'one'): field 'achieved': must be a finite number, got nan"),
        (lambda t: t.replace("    years: 1\n", ""),
         "presets[1] (id 'one'): field 'years': missing"),
        (lambda t: t.replace("label: One bond", "label: ''"),
         "presets[1] (id 'one'): field 'label': is empty"),
        (lambda t: t + "    currency: pounds\n",
         "presets[1] (id 'one'): field 'currency': expected a three-letter code such as GBP"),
        (lambda t: t + "    interest: 5\n", "presets[1] (id 'one'): field 'interest': unknown"),
        (lambda t: t.replace("presets:\n", "presets: []\n").split("  - ")[0],
         "field 'presets': needs at least 1 entry, has 0"),
        (lambda t: t.replace("presets:", "preset:"), "field 'preset': unknown field"),
    ],
)
def test_errors_name_file_entry_and_field(tmp_path, change, expected):
    """Does each authoring mistake give one ContentError naming the file, entry and field?"""
    path = write(tmp_path, change(VALID))
    with pytest.raises(ContentError) as info:
        load(path)
    assert str(info.value).startswith(f"{path}: {expected}")
