"""Impact bond simulator: the formula in Python and in JavaScript, presets, errors and syncing."""

from __future__ import annotations

import json
import math
import random
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from sicourse.widgets import WIDGETS, ContentError, ImpactBondSimulator, load
from sicourse.widgets.base import bundle
from sicourse.widgets.impact_bond import outcome, problems, result_of

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


@needs_node
def test_javascript_and_python_give_the_same_numbers(tmp_path):
    """On 1,000 random bonds, does outcome() give the very same numbers in node as in Python?
    (Their ** differ in the last bit for some inputs; annual_return's rounding hides it.)"""
    rng = random.Random(7)
    cases = [inputs(capital=rng.randint(1, 500) * 1000, target=rng.uniform(0, 10),
                    achieved=rng.uniform(0, 30), payment_per_point=rng.randint(1, 999) * 100,
                    years=rng.choice([1, 2, 3, 4, 5, 7, 10, 2.5, 0.5]),
                    cap=rng.choice([None, rng.randint(1, 900) * 1000]))
             for _ in range(1000)]
    got = run_node(tmp_path, [positional(c) for c in cases], "outcome")
    assert [g for g, c in zip(got, cases, strict=True) if g != outcome(**c)] == []


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
         "presets[1] (id 'one'): field 'achieved': must be a number, got nan"),
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


# --- the result, in Python (tests/browser/test_scores_agree_browser.py: the same as the page's)

def paid(payer_pays: float, capital: float, annual_return: float) -> dict:
    return {"met": True, "payer_pays": payer_pays, "investors_receive": payer_pays,
            "investor_gain": payer_pays - capital, "multiple": payer_pays / capital,
            "annual_return": annual_return}


def unpaid(capital: float, met: bool = False) -> dict:
    return {"met": met, "payer_pays": 0, "investors_receive": 0, "investor_gain": -capital,
            "multiple": 0, "annual_return": -1.0}


@pytest.mark.parametrize(("changes", "expected"), [
    # below the target (4 < 5): nothing is paid
    ({"achieved": 4}, unpaid(1000)),
    # at the target: 5 x 200 = 1,000, the capital back, 0% a year
    ({"achieved": 5}, paid(1000, 1000, 0.0)),
    # 10 x 200 = 2,000 over 2 years: 2 ** 0.5 - 1 = 0.41421356237..., to 10 places
    ({"achieved": 10, "years": 2}, paid(2000, 1000, 0.4142135624)),
    # above the cap: 10 x 200 = 2,000 capped at 1,500; 1.5 ** 0.5 - 1 = 0.22474487139...
    ({"achieved": 10, "years": 2, "cap": 1500}, paid(1500, 1000, 0.2247448714)),
    # a cap the payment does not reach changes nothing: 6 x 200 = 1,200 over 1 year
    ({"cap": 5000}, paid(1200, 1000, 0.2)),
    # 1.21 over 2 years is 10% a year exactly (1.21 ** 0.5 - 1 is 0.10000000000000009)
    ({"achieved": 12.1, "payment_per_point": 100, "years": 2}, paid(1210, 1000, 0.1)),
    # met with nothing to pay: zero payment per point, or zero achieved against a zero target
    ({"payment_per_point": 0}, unpaid(1000, met=True)),
    ({"target": 0, "achieved": 0}, unpaid(1000, met=True)),
    # things got worse than a zero target
    ({"target": 0, "achieved": -2}, unpaid(1000)),
    # beyond what a float holds: JavaScript's ** gives Infinity, and so does Python here
    ({"capital": 1, "payment_per_point": 1e300, "achieved": 10, "years": 0.001},
     paid(1e301, 1, math.inf)),
])
def test_result_is_the_outcome_of_valid_inputs(changes, expected):
    """Does result_of() give the hand-worked outcome, to the last digit?"""
    assert result_of(**inputs(**changes)) == expected


@pytest.mark.parametrize(("changes", "error"), [
    ({"capital": 0}, "Capital raised from investors must be more than 0."),
    ({"payment_per_point": -1}, "Payment per percentage point must not be negative."),
    ({"achieved": math.nan}, "Improvement achieved must be a number."),
    ({"capital": math.inf}, "Capital raised from investors must be a finite number."),
    # one sentence per input, in the page's order (the cap comes before the years)
    ({"years": 0, "cap": 0, "target": -1},
     "Target improvement must not be negative. Cap on total payments must be more than 0 "
     "(leave it empty for no cap). Years to final payment must be more than 0."),
])
def test_result_of_invalid_inputs_says_what_to_fix_in_the_pages_words(changes, error):
    """Does result_of() give {"error": ...} with the sentences the page shows?"""
    assert result_of(**inputs(**changes)) == {"error": error}


def test_result_follows_the_inputs_set_in_python(tmp_path):
    """Setting a figure from Python: does the result follow at once, errors included?"""
    widget = load(write(tmp_path, VALID))
    assert widget.result == result_of(**inputs())
    widget.achieved = 4
    assert widget.result == unpaid(1000)
    widget.capital = 0
    assert widget.result == {"error": "Capital raised from investors must be more than 0."}
    widget.capital, widget.achieved, widget.cap = 1000, 10, 1500
    assert widget.result == result_of(**inputs(achieved=10, cap=1500))
    # Figures that are all the traits' defaults still have their result.
    assert ImpactBondSimulator().result == result_of(1, 0, 0, 0, 1) == unpaid(1, met=True)


def test_the_pages_result_stands_when_it_sends_one(tmp_path):
    """An update from the page: its result stands when it comes with the inputs (the page
    computes it from its boxes, one of which may be empty and so never reach the inputs);
    an input alone from the page is recomputed in Python."""
    widget = load(write(tmp_path, VALID))
    # The learner emptied the capital box, then typed a new target.
    shown = {"error": "Capital raised from investors must be a number."}
    widget.set_state({"preset": "", "target": 4, "result": shown})
    assert (widget.target, widget.capital, widget.result) == (4, 1000, shown)
    widget.set_state({"achieved": 3})
    assert widget.result == unpaid(1000)
    widget.achieved = 6  # and Python recomputes again after the update
    assert widget.result == result_of(**inputs(target=4))
