"""The page and Python give the same results: each widget's ES module, in headless Chromium,
against its Python class, on the same answers, for the content of every lesson and of the
widget gallery.

No book build: each test writes a page of saved widget states, as a built page holds them,
with the book's renderer (static/sicourse-widgets.js), which mounts them with the real
widget modules. A view saved with ``checked: true`` runs the page's own check as it renders;
the theory of change exports when its button is pressed; the simulator computes as it
renders. The page writes what it computed into its model (where a kernel would receive it),
and each value is compared with the one the Python widget computed for the same answers.
The page is given a wrong result to start from (a score of -1, a stale result), so that
every value compared is one the page wrote.
"""

from __future__ import annotations

import json
import math
import random
import shutil
from pathlib import Path

import pytest
from serve import BookServer, assert_clean

import sicourse
from sicourse.widgets import (
    Categorize,
    CourseWidget,
    ImpactBondSimulator,
    Match,
    Quiz,
    Sequence,
    TheoryOfChange,
    load,
)
from sicourse.widgets.content import read
from sicourse.widgets.impact_bond import INPUTS
from sicourse.widgets.theory_of_change import LINKS, STAGES

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
CONTENT = sorted([*REPO.glob("lessons/*/*.yml"), *REPO.glob("book/widgets/*.yml")])
STALE = -1  # the score a page is given: never one it computes


def widgets(kind: str) -> list[CourseWidget]:
    """Every lesson's and the gallery's widget of this kind, loaded from its YAML."""
    found = [load(path) for path in CONTENT if read(path).text("widget") == kind]
    assert found, f"no content for {kind}"
    return found


# --- the page --------------------------------------------------------------------------------

def saved(widget: CourseWidget, **changes) -> dict:
    """The widget's state as a built page saves it, with some traits changed."""
    return {"model_name": widget._model_name, "model_module": widget._model_module,
            "model_module_version": widget._model_module_version,
            "state": {**widget.get_state(), **changes}}


def script(kind: str, data: dict) -> str:
    text = json.dumps(data).replace("</", "<\\/")
    return f'<script type="application/vnd.jupyter.widget-{kind}+json">{text}</script>'


@pytest.fixture(scope="module")
def site(tmp_path_factory, browser_tools):
    """A folder of pages with the book's renderer, on a localhost port."""
    folder = tmp_path_factory.mktemp("scores")
    shutil.copy(sicourse.STATIC / "sicourse-widgets.js", folder)
    with BookServer(folder) as server:
        yield folder, server


@pytest.fixture
def show(page, site, page_log):
    """Show these saved states on one page, each as a view; give back the page once all of
    them have rendered."""
    folder, server = site

    def show_(name: str, states: list[dict]):
        version = {"version_major": 2, "version_minor": 0}
        models = {f"m{i}": state for i, state in enumerate(states)}
        (folder / f"{name}.html").write_text("\n".join([
            '<!doctype html><html lang="en"><head><meta charset="utf-8"></head><body>',
            *(script("view", {**version, "model_id": m}) for m in models),
            script("state", {**version, "state": models}),
            '<script src="sicourse-widgets.js"></script></body></html>',
        ]), encoding="utf-8")
        page.goto(f"{server.url}{name}.html")
        page.wait_for_selector("html[data-sicourse-widgets=rendered]")
        assert page.locator(".sic-widget").count() == len(states)
        assert_clean(page_log)
        return page

    return show_


def written(page, key: str) -> list:
    """The value of `key` in each view's model, in page order."""
    return page.evaluate("""key => [...document.querySelectorAll(".sicourse-widget-view")]
        .map((el) => el.sicourseModel.get(key))""", key)


# --- Quiz -----------------------------------------------------------------------------------

def quiz_choices(question: dict) -> list[list[str]]:
    """Answers to one question: none, right (in two orders), partly right, right plus a
    wrong one, wrong, everything, an id twice, an id no option has."""
    ids = [o["id"] for o in question["options"]]
    right = [o["id"] for o in question["options"] if o["correct"]]
    wrong = [i for i in ids if i not in right]
    found = [[], right, right[::-1], right[:-1], right + wrong[:1], wrong[:1], wrong, ids,
             right[:1] * 2, ["no-such-option"]]
    return [c for i, c in enumerate(found) if c not in found[:i]]


def test_quiz_scores_agree(show):
    """Each question of every quiz, answered in each way on its own, and every quiz answered
    in a mix of ways: does the page score it as Python does?"""
    cases = []
    for quiz in widgets("quiz"):
        for q in quiz.questions:
            cases += [Quiz(questions=[q], answers={q["id"]: c}) for c in quiz_choices(q)]
        for shift in range(4):
            cases.append(Quiz(questions=quiz.questions, answers={
                q["id"]: quiz_choices(q)[(i + shift) % len(quiz_choices(q))]
                for i, q in enumerate(quiz.questions)}))
    scores = [c.score for c in cases]
    assert 0 < sum(scores) < sum(len(c.questions) for c in cases)
    page = show("quiz", [saved(c, score=STALE, checked=True) for c in cases])
    assert written(page, "score") == scores
    assert written(page, "answers") == [c.answers for c in cases]


# --- Categorize -----------------------------------------------------------------------------

def placements(widget: Categorize) -> list[dict]:
    items, ids = widget.items, [c["id"] for c in widget.categories]
    right = {i["id"]: i["category"] for i in items}
    other = {i["id"]: next(c for c in ids if c != i["category"]) for i in items}
    first = items[0]["id"]
    return [
        {}, right, other,
        {k: (right if n % 2 else other)[k] for n, k in enumerate(right)},
        {**right, first: "no-such-category"},
        {k: v for k, v in right.items() if k != first},
        {**right, first: ""},
        {**right, "no-such-item": ids[0]},
    ]


def test_categorize_scores_agree(show):
    """Every categorize exercise, its items placed in several ways: does the page score each
    placement as Python does?"""
    cases = [Categorize(categories=w.categories, items=w.items, placement=p)
             for w in widgets("categorize") for p in placements(w)]
    page = show("categorize", [saved(c, score=STALE, checked=True) for c in cases])
    assert written(page, "score") == [c.score for c in cases]


# --- Match ----------------------------------------------------------------------------------

def match_plans(widget: Match) -> list[dict]:
    ids = [p["id"] for p in widget.pairs]
    right = dict(zip(ids, ids, strict=True))
    rotated = dict(zip(ids, ids[1:] + ids[:1], strict=True))
    return [
        {}, right, rotated, {**right, ids[0]: ids[1], ids[1]: ids[0]},
        {k: (right if n % 2 else rotated)[k] for n, k in enumerate(ids)},
        {**right, ids[0]: "no-such-pair"}, {**right, ids[0]: ""},
        {k: v for k, v in right.items() if k != ids[-1]},
    ]


def test_match_scores_agree(show):
    """Every match exercise, matched in several ways: does the page score each as Python does?"""
    cases = [Match(pairs=w.pairs, right_order=w.right_order, matches=m)
             for w in widgets("match") for m in match_plans(w)]
    page = show("match", [saved(c, score=STALE, checked=True) for c in cases])
    assert written(page, "score") == [c.score for c in cases]


# --- Sequence -------------------------------------------------------------------------------

def orders(widget: Sequence) -> list[list[str]]:
    ids = [s["id"] for s in widget.steps]
    found = [widget.start, ids, ids[::-1], ids[1:] + ids[:1]]
    found += [ids[:i] + [ids[i + 1], ids[i]] + ids[i + 2:] for i in range(len(ids) - 1)]
    for seed in range(4):
        shuffled = list(ids)
        random.Random(seed).shuffle(shuffled)
        found.append(shuffled)
    return found


def test_sequence_scores_agree(show):
    """Every sequence, in many orders: does the page score each order as Python does?"""
    cases = [Sequence(steps=w.steps, start=w.start, order=o)
             for w in widgets("sequence") for o in orders(w)]
    page = show("sequence", [saved(c, score=STALE, checked=True) for c in cases])
    assert written(page, "order") == [c.order for c in cases]
    assert written(page, "score") == [c.score for c in cases]


def test_sequence_try_again_scores_the_starting_order(show):
    """After "Try again", the steps are back in their starting order: does the page write
    that order's score, as Python computes it, even when some steps start in place?"""
    cases = []
    for w in widgets("sequence"):
        ids = [s["id"] for s in w.steps]
        start = [ids[1], ids[0], *ids[2:]]  # all but the first two in place
        cases.append(Sequence(steps=w.steps, start=start, order=ids))
    page = show("sequence-retry", [saved(c, score=STALE, checked=True) for c in cases])
    for widget in page.locator(".sic-sequence").all():
        widget.get_by_role("button", name="Try again").click()
    assert written(page, "order") == [c.start for c in cases]
    scores = [Sequence(steps=c.steps, order=c.start).score for c in cases]
    assert all(scores)
    assert written(page, "score") == scores


# --- Impact bond simulator ------------------------------------------------------------------

def figures(preset: dict) -> dict:
    return {name: preset[name] for name in INPUTS}


def bond_cases(widget: ImpactBondSimulator) -> list[dict]:
    """Every preset; for the first, the edge cases around it; then random figures."""
    found = [figures(p) for p in widget.presets]
    first = found[0]
    target = first["target"]
    found += [{**first, **change} for change in (
        {"achieved": target}, {"achieved": target - 0.5}, {"achieved": -3},
        {"achieved": target + 40, "cap": first["capital"] * 1.1},
        {"cap": None}, {"payment_per_point": 0}, {"target": 0, "achieved": 0},
        {"years": 1}, {"years": 0.5}, {"years": 30}, {"capital": 1},
        {"capital": 1, "payment_per_point": 1e300, "achieved": 10, "years": 0.001},
        {"capital": 0}, {"years": 0}, {"cap": 0}, {"target": -1}, {"payment_per_point": -5},
        {"capital": -1, "cap": -3, "years": -2},
    )]
    rng = random.Random(len(found))
    for _ in range(40):
        found.append({
            "capital": rng.randint(1, 100) * 10_000, "target": rng.uniform(0, 10),
            "achieved": rng.uniform(0, 20), "payment_per_point": rng.randint(1, 99) * 1000,
            "cap": rng.choice([None, rng.randint(1, 200) * 10_000]),
            "years": rng.choice([1, 2, 3, 4.5, 7, 10]),
        })
    return found


def test_impact_bond_results_agree(show):
    """Every preset of every simulator, figures at its edges (at and below the target, above
    the cap, zeros, overflow, each kind of wrong figure) and random ones: does the page show
    the result Python computes, to the last bit (errors in the same words)?"""
    cases = [ImpactBondSimulator(presets=w.presets, preset="", **f)
             for w in widgets("impact_bond") for f in bond_cases(w)]
    assert any("error" in c.result for c in cases) and any(c.result.get("met") for c in cases)
    assert any(c.result.get("annual_return") == math.inf for c in cases)
    page = show("impact-bond", [saved(c, result={"stale": True}) for c in cases])
    assert written(page, "result") == [c.result for c in cases]


# --- Theory of change -----------------------------------------------------------------------

def chains(widget: TheoryOfChange) -> list[tuple[dict, dict, str]]:
    """(stages, assumptions, title): the widget's example, and the hard cases for text."""
    odd = " \ufeff\u00a0\u2028\u3000\x1c\x85"  # JavaScript's white space and Python's differ
    return [
        (widget.stages, widget.assumptions, widget.title),
        ({}, {}, ""),
        (dict.fromkeys(STAGES, "  "), dict.fromkeys(LINKS, "\n\t"), "   "),
        ({s: f"{odd}{s}{odd}" for s in STAGES}, {s: f"{odd}\n{s}\n{odd}" for s in LINKS}, odd),
        ({"inputs": "a\r\nb", "impact": "عمل\nمشترك"},
         {"inputs": "one\n\ntwo  \n three", "outcomes": "x\r\n"}, " Ours "),
    ]


def test_theory_of_change_exports_agree(show):
    """Every theory of change, and chains of awkward text: does the page's "Export to
    Markdown" write the Markdown Python writes?"""
    cases = [TheoryOfChange(title=title, stages=stages, assumptions=assumptions)
             for w in widgets("theory_of_change") for stages, assumptions, title in chains(w)]
    page = show("theory-of-change", [saved(c) for c in cases])
    for widget in page.locator(".sic-theory-of-change").all():
        widget.get_by_role("button", name="Export to Markdown").click()
    assert written(page, "markdown") == [c.export_markdown() for c in cases]
