"""The widget gallery (book/widgets.md) in headless Chromium, with no kernel and no internet.

Five widgets besides the quiz (see test_quiz_browser.py): Categorize, Sequence,
Match, ImpactBondSimulator and TheoryOfChange. Every item, right answer and
preset comes from the widget state saved in the built page, so these tests
follow the gallery's YAML (book/widgets/*.yml) as it changes; only the
widgets' own words (button names, verdicts) are written here.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable

import pytest
from anywidget import AnyWidget
from serve import (
    PageLog,
    assert_clean,
    assert_focus_ring,
    course_widgets,
    record_writes,
    wait_for_widgets,
    written,
)

from sicourse.widgets import Categorize, ImpactBondSimulator, Match, Sequence, TheoryOfChange
from sicourse.widgets.impact_bond import INPUTS, outcome, problems
from sicourse.widgets.theory_of_change import LINKS, STAGES

pytestmark = pytest.mark.browser

PAGE = "book/widgets.html"
MAX_TABS = 400  # Tab presses allowed to reach a control from wherever the focus is
PHONE = {"width": 375, "height": 740}

# name in _anywidget_id -> (Python class, CSS class of its section)
KINDS = {
    "Categorize": (Categorize, "sic-categorize"),
    "Sequence": (Sequence, "sic-sequence"),
    "Match": (Match, "sic-match"),
    "ImpactBondSimulator": (ImpactBondSimulator, "sic-impact-bond"),  # no Check: results follow
    "TheoryOfChange": (TheoryOfChange, "sic-theory-of-change"),
}
HEBREW, ARABIC = "פריט", "عنصر"  # "item", for items the tests write themselves


# --- the page ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def saved(built_book) -> list[dict]:
    """The saved state of every course widget on the gallery page, in page order."""
    return course_widgets((built_book / PAGE).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def states(saved) -> dict[str, dict]:
    """The saved state of the first widget of each kind, by class name."""
    found: dict[str, dict] = {}
    for state in saved:
        found.setdefault(state["_anywidget_id"].rsplit(".", 1)[-1], state)
    assert not set(KINDS) - set(found), f"{PAGE} lacks {sorted(set(KINDS) - set(found))}"
    return found


def open_gallery(open_page, saved, log: PageLog):
    page = open_page(PAGE)
    wait_for_widgets(page, len(saved), log)
    page.wait_for_selector("html[data-sicourse-widgets=rendered]")
    return page


@pytest.fixture
def gallery(open_page, saved, page_log):
    """The gallery at desktop width, once every course widget on it has rendered."""
    return open_gallery(open_page, saved, page_log)


@pytest.fixture
def phone(page, open_page, saved, page_log):
    """The gallery in a phone-sized viewport (375 x 740 CSS pixels)."""
    page.set_viewport_size(PHONE)
    return open_gallery(open_page, saved, page_log)


def region(page, state: dict):
    """A widget found as what it must be: a region named by its title."""
    return page.get_by_role("region", name=state["title"], exact=True)


def placed(score: int, total: int) -> str:
    return f"You placed {score} of {total} item{'' if total == 1 else 's'} in the right category."


def matched(score: int, total: int) -> str:
    return f"You matched {score} of {total} pair{'' if total == 1 else 's'} correctly."


def step_ids(rows) -> list[str]:
    return rows.evaluate_all("rs => rs.map((r) => r.dataset.step)")


def status(widget):
    return widget.get_by_role("status")


def button(widget, name: str):
    return widget.get_by_role("button", name=name, exact=True)


# --- the keyboard --------------------------------------------------------------------------

def focus_state(page) -> dict:
    """The focused element: what it is, where it is, and whether its focus ring shows."""
    return page.evaluate("""() => {
        const el = document.activeElement, cs = getComputedStyle(el);
        const widget = el.closest(".sic-widget");
        return {tag: el.tagName.toLowerCase(), type: el.type || "", value: el.value ?? "",
                text: el.tagName === "BUTTON" ? el.textContent.trim() : "",
                label: el.labels?.[0]?.textContent.trim() || "", probe: el.dataset?.probe ?? null,
                target: el.dataset?.keysTarget !== undefined,
                widget: widget ? [...widget.classList].find((c) => c !== "sic-widget") : null,
                step: el.closest("[data-step]")?.dataset.step || null,
                focusVisible: el.matches(":focus-visible"),
                outline: cs.outlineStyle, outlineWidth: parseFloat(cs.outlineWidth) || 0};
    }""")


def keys_to(page, target) -> dict:
    """Move the focus to `target` with Tab, or Shift+Tab if it lies behind, and nothing else."""
    back = target.evaluate("""el => {
        for (const old of document.querySelectorAll("[data-keys-target]")) {
            delete old.dataset.keysTarget;
        }
        el.dataset.keysTarget = "";
        const after = el.compareDocumentPosition(document.activeElement);
        return !!(after & Node.DOCUMENT_POSITION_FOLLOWING);
    }""")
    for _ in range(MAX_TABS):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        state = focus_state(page)
        if state["target"]:
            assert_focus_ring(state)
            return state
    raise AssertionError(f"{'Shift+' if back else ''}Tab never reached {target}; focus: {state}")


def press(page, key: str, times: int) -> None:
    for _ in range(times):
        page.keyboard.press(key)


def arrow_to(page, current: int, wanted: int) -> None:
    """In a focused drop-down list, go from option `current` to option `wanted` by arrows."""
    press(page, "ArrowDown" if wanted > current else "ArrowUp", abs(wanted - current))


# --- right-to-left text --------------------------------------------------------------------

def strong_direction(text: str) -> str | None:
    """What dir="auto" makes of a text: the direction of its first strong character."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return None


SHOWN_TEXTS = """w => [...w.querySelectorAll("*")].flatMap((el) => {
    const own = el.matches("textarea") ? el.value : [...el.childNodes]
        .filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join("");
    return own.trim() ? [{text: own.trim(), tag: el.tagName.toLowerCase(),
                          direction: getComputedStyle(el).direction}] : [];
})"""


def assert_directions_follow_text(widget) -> list[dict]:
    """Every text the widget shows runs in the direction of its first strong character."""
    shown = widget.evaluate(SHOWN_TEXTS)
    wrong = [s for s in shown if strong_direction(s["text"]) not in (None, s["direction"])]
    assert wrong == [], wrong
    return shown


def state_texts(name: str, state: dict) -> list[str]:
    """The learner-facing texts a widget's saved state holds, as its YAML gave them."""
    if name == "Categorize":
        return [i["text"] for i in state["items"]] + [c["label"] for c in state["categories"]]
    if name == "Sequence":
        return [s["text"] for s in state["steps"]]
    if name == "Match":
        return [p["left"] for p in state["pairs"]] + [p["right"] for p in state["pairs"]]
    if name == "ImpactBondSimulator":  # and the note of the preset on show
        return [p["label"] for p in state["presets"]] + [
            p["note"] for p in state["presets"] if p["id"] == state["preset"] and p["note"]]
    return [t for t in [*state["stages"].values(), *state["assumptions"].values()] if t.strip()]


def rtl_variant(name: str, state: dict) -> dict:
    """The saved state with every other item, label and text in Hebrew or Arabic."""
    new = {**state, "title": f"{HEBREW}: {state['title']}"}

    def word(i: int) -> str:
        return f"{HEBREW if i % 2 == 0 else ARABIC} {i + 1}"

    if name == "Categorize":
        new["categories"] = [{**c, "label": word(i) if i == 0 else c["label"]}
                             for i, c in enumerate(state["categories"])]
        new["items"] = [{**item, "text": word(i), "feedback": word(i + 100)} if i % 2 == 0 else item
                        for i, item in enumerate(state["items"])]
    elif name == "Sequence":
        new["steps"] = [{**s, "text": word(i), "feedback": word(i + 100)} if i % 2 == 0 else s
                        for i, s in enumerate(state["steps"])]
    elif name == "Match":
        new["left_label"] = word(0)
        new["pairs"] = [{**p, "left": word(2 * i), "right": word(2 * i + 1)} if i % 2 == 0 else p
                        for i, p in enumerate(state["pairs"])]
    elif name == "ImpactBondSimulator":
        new["presets"] = [{**p, "label": word(i), "note": word(i + 100)} for i, p in
                          enumerate(state["presets"])]
    else:
        new["stages"] = {k: word(i) if i % 2 == 0 else v for i, (k, v) in
                         enumerate(state["stages"].items())}
        new["assumptions"] = {k: word(i + 1) for i, k in enumerate(state["assumptions"])}
    return new


MOUNT = """async (w, [esm, state]) => {
    // A second view of a saved widget, with a model like the page renderer's.
    const url = URL.createObjectURL(new Blob([esm], {type: "text/javascript"}));
    const widget = (await import(url)).default;
    URL.revokeObjectURL(url);
    const data = structuredClone(state);
    const model = {get: (k) => data[k], set: (k, v) => { data[k] = v; }, on() {}, off() {},
                   save_changes() {}, send() {}};
    const el = document.createElement("div");
    el.className = "sicourse-widget-view";
    el.sicourseModel = model;
    w.closest(".sicourse-widget-view").after(el);
    await widget.render({model, el});
}"""


# --- answering each widget by pointer: a partly wrong answer, then Check -------------------
# Each gives back the trait values the learner's answer and its result should sync.

def select_each(widget, choices: dict[str, str]) -> None:
    """In the drop-down list labelled by each key, pick the option with that text ("": none)."""
    for label, option in choices.items():
        box = widget.get_by_label(label, exact=True)
        if option:
            box.select_option(label=option)
        else:
            box.select_option(value="")


def categorize_choose(widget, state: dict, plan: dict[str, str]) -> None:
    labels = {c["id"]: c["label"] for c in state["categories"]}
    select_each(widget, {i["text"]: labels.get(plan.get(i["id"]), "") for i in state["items"]})


def categorize_wrong_plan(state: dict) -> dict[str, str]:
    """The right category for every item but the first (another category) and, when there
    are three or more, the last (left unplaced)."""
    plan = {i["id"]: i["category"] for i in state["items"]}
    first = state["items"][0]
    plan[first["id"]] = next(c["id"] for c in state["categories"] if c["id"] != first["category"])
    if len(state["items"]) >= 3:
        del plan[state["items"][-1]["id"]]
    return plan


def categorize_partly_wrong(widget, state: dict) -> dict:
    plan = categorize_wrong_plan(state)
    categorize_choose(widget, state, plan)
    button(widget, "Check").click()
    score = sum(plan.get(i["id"]) == i["category"] for i in state["items"])
    return {"placement": plan, "score": score, "checked": True}


def sequence_partly_wrong(widget, state: dict) -> dict:
    """Check the starting order, which is never the right one."""
    button(widget, "Check order").click()
    ids = [s["id"] for s in state["steps"]]
    score = sum(a == b for a, b in zip(state["start"], ids, strict=True))
    return {"order": state["start"], "score": score, "checked": True}


def match_choose(widget, state: dict, plan: dict[str, str]) -> None:
    texts = {p["id"]: p["right"] for p in state["pairs"]}
    select_each(widget, {p["left"]: texts.get(plan.get(p["id"]), "") for p in state["pairs"]})


def match_wrong_plan(state: dict) -> dict[str, str]:
    """Every pair right but the first two, whose right-hand texts are swapped."""
    plan = {p["id"]: p["id"] for p in state["pairs"]}
    first, second = state["pairs"][0]["id"], state["pairs"][1]["id"]
    plan[first], plan[second] = second, first
    return plan


def match_partly_wrong(widget, state: dict) -> dict:
    plan = match_wrong_plan(state)
    match_choose(widget, state, plan)
    button(widget, "Check matches").click()
    return {"matches": plan, "score": sum(k == v for k, v in plan.items()), "checked": True}


# A learner's own figures for the simulator (not a preset), and where to type them.
OWN_FIGURES = {"capital": 1_200_000, "target": 5, "achieved": 6.5, "payment_per_point": 230_000,
               "cap": None, "years": 2.5}
INPUT_LABELS = {
    "capital": "Capital raised from investors", "target": "Target improvement",
    "achieved": "Improvement achieved", "payment_per_point": "Payment per percentage point",
    "cap": "Cap on total payments", "years": "Years to final payment",
}


def bond_input(widget, name: str):
    return widget.get_by_role("spinbutton", name=re.compile(f"^{re.escape(INPUT_LABELS[name])} "))


def bond_value(widget, name: str) -> float | None:
    shown = bond_input(widget, name).input_value()
    return float(shown) if shown else None


def bond_unit(widget, name: str) -> str:
    return bond_input(widget, name).evaluate(
        "i => i.labels[0].querySelector('.sic-unit').textContent")


def bond_type(widget, figures: dict) -> None:
    for name, value in figures.items():
        bond_input(widget, name).fill("" if value is None else str(value))
    widget.locator(".sic-title").click()  # leaving the last box announces the result


def bond_partly_wrong(widget, state: dict) -> dict:
    """Type figures of the learner's own into every box."""
    bond_type(widget, OWN_FIGURES)
    return {**OWN_FIGURES, "preset": "", "result": outcome(**OWN_FIGURES)}


def stage_label(stage: str) -> str:
    return f"{STAGES.index(stage) + 1}. {stage.capitalize()}"


def link_label(stage: str) -> str:
    return f"Assumption: why {stage} lead to {STAGES[STAGES.index(stage) + 1]}"


def toc_box(widget, kind: str, key: str):
    return widget.get_by_label(stage_label(key) if kind == "stage" else link_label(key), exact=True)


def gap_message(kind: str, key: str) -> str:
    label = key.capitalize()
    if kind == "stage":
        return f"The {label} box is empty."
    after = STAGES[STAGES.index(key) + 1].capitalize()
    return f"The assumption linking {label} to {after} is missing."


def toc_gaps(stages: dict, assumptions: dict) -> list[tuple[str, str]]:
    """(kind, key) of every empty box, in the order the widget lists them."""
    found = []
    for stage in STAGES:
        if not stages.get(stage, "").strip():
            found.append(("stage", stage))
        if stage in LINKS and not assumptions.get(stage, "").strip():
            found.append(("assumption", stage))
    return found


def gaps_status(found: list[tuple[str, str]]) -> str:
    if not found:
        return "Every stage and every assumption is filled in."
    return (f"{len(found)} gap{'' if len(found) == 1 else 's'} in your chain: "
            + " ".join(gap_message(*g) for g in found))


def toc_partly_wrong(widget, state: dict) -> dict:
    """Empty the outputs box, write the inputs in Hebrew, check, and export."""
    stages = {**state["stages"], "outputs": "", "inputs": "מתנדבים וחדר בספרייה"}
    toc_box(widget, "stage", "outputs").fill("")
    toc_box(widget, "stage", "inputs").fill(stages["inputs"])
    button(widget, "Check my chain").click()
    button(widget, "Export to Markdown").click()
    markdown = widget.get_by_label("Your theory of change as Markdown", exact=False).input_value()
    return {"stages": stages, "assumptions": state["assumptions"], "markdown": markdown}


PARTLY_WRONG: dict[str, Callable[..., dict]] = {
    "Categorize": categorize_partly_wrong, "Sequence": sequence_partly_wrong,
    "Match": match_partly_wrong, "ImpactBondSimulator": bond_partly_wrong,
    "TheoryOfChange": toc_partly_wrong,
}


# --- what the simulator shows --------------------------------------------------------------

def numbers(text: str) -> list[float]:
    return [float(n.replace(",", "")) for n in re.findall(r"-?\d[\d,]*(?:\.\d+)?", text)]


def bond_results(widget) -> dict[str, str]:
    return widget.locator("dl.sic-results").evaluate("""dl => Object.fromEntries(
        [...dl.querySelectorAll("dt")].map((dt) => [dt.textContent,
                                                    dt.nextElementSibling.textContent]))""")


def assert_bond_shows(widget, inputs: dict) -> None:
    """The results and chart on screen are outcome() of `inputs`, computed here in Python."""
    want = outcome(**{name: inputs[name] for name in INPUTS})
    shown = bond_results(widget)
    assert shown["Target met?"].startswith("Yes" if want["met"] else "No"), shown
    pays = numbers(shown["The outcome payer pays"])[0]
    assert pays == pytest.approx(want["payer_pays"], abs=0.006), shown
    back = numbers(shown["Investors get back"])
    assert back[0] == pytest.approx(want["investors_receive"], abs=0.006), shown
    if want["payer_pays"] > 0:
        assert back[1] == pytest.approx(want["multiple"], abs=0.006), shown
    annual = numbers(shown["Annual return"])[0]
    assert annual == pytest.approx(100 * want["annual_return"], abs=0.051), shown
    # The chart: its name and labels say the two amounts; the bars are drawn to scale.
    chart = widget.get_by_role("img", name=re.compile(r"^Bar chart"))
    capital, repaid = inputs["capital"], want["payer_pays"]
    assert numbers(chart.get_attribute("aria-label")) == pytest.approx([capital, repaid], abs=0.006)
    labels = chart.locator("text").all_text_contents()
    assert [numbers(t)[0] for t in labels] == pytest.approx([capital, repaid], abs=0.006)
    bars = chart.locator("rect").evaluate_all(
        "rs => rs.map((r) => [r.getAttribute('class'), +r.getAttribute('width')])")
    scale = 256 / max(capital, repaid, 1)
    widths = [capital * scale, max(repaid * scale, 1)]
    assert [w for _, w in bars] == pytest.approx(widths, abs=0.01)
    assert bars[1][0] == ("sic-bar-gain" if repaid >= capital else "sic-bar-loss")


def assert_bond_status(inputs: dict, status_text: str) -> None:
    want = outcome(**{name: inputs[name] for name in INPUTS})
    if want["met"]:
        assert status_text.startswith("Target met. The outcome payer pays "), status_text
        found = numbers(status_text)
        assert found[0] == pytest.approx(want["payer_pays"], abs=0.006)
        assert found[-1] == pytest.approx(100 * want["annual_return"], abs=0.051)
    else:
        assert status_text == "Target not met. Nothing is paid; investors lose their capital."


# === renders from saved state ==============================================================

def test_categorize_renders_every_item_and_category(gallery, states, page_log):
    """Does Categorize show every item, labelled, with a list of every category, unanswered?"""
    state, widget = states["Categorize"], region(gallery, states["Categorize"])
    assert widget.get_by_text(state["prompt"]).is_visible()
    assert widget.locator("li.sic-item").count() == len(state["items"])
    for item in state["items"]:
        box = widget.get_by_label(item["text"], exact=True)
        assert box.is_visible() and box.input_value() == ""
        assert box.locator("option").all_inner_texts() == [
            "Choose a category…", *[c["label"] for c in state["categories"]]]
    assert button(widget, "Check").is_visible() and button(widget, "Try again").is_visible()
    assert status(widget).inner_text() == ""
    assert_clean(page_log)


def test_sequence_renders_every_step_in_the_starting_order(gallery, states, page_log):
    """Does Sequence show every step, in its saved (shuffled) start order, with move buttons?"""
    state, widget = states["Sequence"], region(gallery, states["Sequence"])
    text = {s["id"]: s["text"] for s in state["steps"]}
    rows = widget.get_by_role("listitem")
    assert step_ids(rows) == state["start"]
    assert state["start"] != [s["id"] for s in state["steps"]], "the puzzle starts solved"
    for position, step in enumerate(state["start"]):
        row = rows.nth(position)
        assert row.locator(".sic-step-text").inner_text() == text[step]
        up, down = button(row, "Move up"), button(row, "Move down")
        assert up.is_disabled() == (position == 0)
        assert down.is_disabled() == (position == len(state["start"]) - 1)
    assert button(widget, "Check order").is_visible()
    assert_clean(page_log)


def test_match_renders_every_pair_and_every_choice(gallery, states, page_log):
    """Does Match show every left-hand item, labelled, with every right-hand text to choose?"""
    state, widget = states["Match"], region(gallery, states["Match"])
    texts = {p["id"]: p["right"] for p in state["pairs"]}
    headings = widget.locator(".sic-columns").inner_text()
    assert state["left_label"] in headings and state["right_label"] in headings
    for pair in state["pairs"]:
        box = widget.get_by_label(pair["left"], exact=True)
        assert box.is_visible() and box.input_value() == ""
        offered = box.locator("option").all_inner_texts()[1:]
        assert offered == [texts[i] for i in state["right_order"]]
    assert button(widget, "Check matches").is_visible()
    assert_clean(page_log)


def test_impact_bond_renders_its_first_preset_and_its_outcome(gallery, states, page_log):
    """Does the simulator show every preset, every input filled from the first, and its result?"""
    state, widget = states["ImpactBondSimulator"], region(gallery, states["ImpactBondSimulator"])
    preset = widget.get_by_label("Preset", exact=True)
    assert preset.locator("option").all_inner_texts() == [
        *[p["label"] for p in state["presets"]], "Your own figures"]
    assert preset.input_value() == state["preset"] == state["presets"][0]["id"]
    assert widget.get_by_text(state["presets"][0]["note"]).is_visible()
    for name in INPUTS:
        assert bond_value(widget, name) == state[name], name
    assert bond_unit(widget, "capital") == f"({state['currency']})"
    assert_bond_shows(widget, state)
    assert_clean(page_log)


def test_theory_of_change_renders_every_stage_and_link(gallery, states, page_log):
    """Does the theory of change show a labelled box for each stage and link, pre-filled?"""
    state, widget = states["TheoryOfChange"], region(gallery, states["TheoryOfChange"])
    for stage in STAGES:
        assert toc_box(widget, "stage", stage).input_value() == state["stages"][stage]
    for link in LINKS:
        assert toc_box(widget, "assumption", link).input_value() == state["assumptions"][link]
    assert widget.get_by_role("textbox").count() == len(STAGES) + len(LINKS)  # export hidden
    assert button(widget, "Check my chain").is_visible()
    assert button(widget, "Export to Markdown").is_visible()
    assert_clean(page_log)


# === by pointer: right and wrong answers ===================================================

def test_categorize_mouse_right_and_misplaced_items(gallery, states, page_log):
    """Choosing categories and clicking Check: does a right answer score full marks, and a
    partly wrong one say which items are misplaced or unplaced?"""
    state, widget = states["Categorize"], region(gallery, states["Categorize"])
    labels = {c["id"]: c["label"] for c in state["categories"]}
    items, total = state["items"], len(state["items"])
    categorize_choose(widget, state, {i["id"]: i["category"] for i in items})
    button(widget, "Check").click()
    assert status(widget).inner_text() == placed(total, total)
    for item in items:
        row = widget.locator(f"li[data-item='{item['id']}']")
        assert "sic-right" in row.get_attribute("class")
        assert row.locator(".sic-verdict").inner_text() == (
            f'Correct: it belongs in "{labels[item["category"]]}".')

    expected = categorize_partly_wrong(widget, state)
    plan = expected["placement"]
    assert 0 < expected["score"] < total
    assert status(widget).inner_text() == placed(expected["score"], total)
    for item in items:
        row = widget.locator(f"li[data-item='{item['id']}']")
        verdict, chosen = row.locator(".sic-verdict").inner_text(), plan.get(item["id"])
        feedback = row.locator(".sic-feedback")
        if chosen == item["category"]:
            assert "sic-right" in row.get_attribute("class")
            assert verdict.startswith("Correct")
        else:
            assert "sic-wrong" in row.get_attribute("class")
            assert verdict == (f'Misplaced: it does not belong in "{labels[chosen]}".' if chosen
                               else "Not placed yet.")
        assert feedback.is_visible() == bool(chosen and item["feedback"])
        if chosen and item["feedback"]:
            assert feedback.inner_text() == item["feedback"]

    button(widget, "Try again").click()
    assert widget.locator("select").evaluate_all("ss => ss.map((s) => s.value)") == [""] * total
    assert widget.locator(".sic-wrong, .sic-right").count() == 0
    assert_clean(page_log)


def test_sequence_mouse_wrong_positions_then_right_order(gallery, states, page_log):
    """Checking the shuffled order: are exactly the wrong positions marked? After moving the
    steps with the buttons into order: are all steps right?"""
    state, widget = states["Sequence"], region(gallery, states["Sequence"])
    steps, ids = {s["id"]: s for s in state["steps"]}, [s["id"] for s in state["steps"]]
    expected, total = sequence_partly_wrong(widget, state), len(ids)
    score = expected["score"]
    assert status(widget).inner_text() == (
        f"{score} of {total} steps {'is' if score == 1 else 'are'} in the right place.")
    for position, step in enumerate(state["start"]):
        row = widget.locator(f"li[data-step='{step}']")
        verdict = row.locator(".sic-verdict").inner_text()
        if ids[position] == step:
            assert "sic-right" in row.get_attribute("class") and verdict == "In the right place."
        else:
            assert "sic-wrong" in row.get_attribute("class")
            why = steps[step]["feedback"]
            assert verdict == "Not in the right place." + (f" {why}" if why else "")

    order = list(state["start"])
    for position, step in enumerate(ids):
        while order.index(step) > position:
            button(widget.locator(f"li[data-step='{step}']"), "Move up").click()
            at = order.index(step)
            order[at - 1], order[at] = order[at], order[at - 1]
            assert status(widget).inner_text() == (
                f'Moved "{steps[step]["text"]}" to position {at} of {total}.')
    assert step_ids(widget.get_by_role("listitem")) == ids
    assert widget.locator(".sic-wrong, .sic-right").count() == 0  # moving clears the marks
    button(widget, "Check order").click()
    assert status(widget).inner_text() == f"All {total} steps are in the right order."
    assert widget.locator(".sic-step.sic-right").count() == total
    assert_clean(page_log)


def test_match_mouse_right_and_wrong_pairs(gallery, states, page_log):
    """Choosing matches and clicking Check: does a right answer score full marks, and are
    swapped pairs marked as not a match?"""
    state, widget = states["Match"], region(gallery, states["Match"])
    pairs, total = state["pairs"], len(state["pairs"])
    match_choose(widget, state, {p["id"]: p["id"] for p in pairs})
    button(widget, "Check matches").click()
    assert status(widget).inner_text() == matched(total, total)
    assert widget.locator(".sic-verdict").all_inner_texts() == ["Correct match."] * total

    expected = match_partly_wrong(widget, state)
    assert status(widget).inner_text() == matched(expected["score"], total)
    for pair in pairs:
        row = widget.locator(f"li[data-pair='{pair['id']}']")
        right = expected["matches"][pair["id"]] == pair["id"]
        assert ("sic-right" if right else "sic-wrong") in row.get_attribute("class")
        verdict = row.locator(".sic-verdict").inner_text()
        assert verdict == ("Correct match." if right else "Not a match.")
        # The whole chosen text is shown under the list, which may cut it short.
        chosen = next(p["right"] for p in pairs if p["id"] == expected["matches"][pair["id"]])
        assert row.locator(".sic-chosen").inner_text() == chosen
    assert_clean(page_log)


def test_impact_bond_mouse_presets_and_own_figures_match_the_python_formula(
        gallery, states, page_log):
    """Choosing presets and typing figures: do the payer's payment, the investors' money back,
    their annual return and the chart match impact_bond.outcome()? Is a bad figure flagged?"""
    state, widget = states["ImpactBondSimulator"], region(gallery, states["ImpactBondSimulator"])
    presets = state["presets"]
    peterborough = [p for p in presets if "peterborough" in f"{p['label']} {p['note']}".lower()]
    assert peterborough, "the gallery should have a preset like Peterborough's"
    chooser = widget.get_by_label("Preset", exact=True)
    for preset in [*(p for p in presets if p is not peterborough[0]), peterborough[0]]:
        chooser.select_option(label=preset["label"])
        assert status(widget).inner_text() == f'Loaded the preset "{preset["label"]}".'
        assert widget.get_by_text(preset["note"]).is_visible()
        assert [bond_value(widget, n) for n in INPUTS] == [preset[n] for n in INPUTS]
        assert bond_unit(widget, "payment_per_point") == f"({preset['currency']})"
        assert_bond_shows(widget, preset)

    bond_type(widget, OWN_FIGURES)
    assert chooser.input_value() == ""  # "Your own figures"
    assert_bond_shows(widget, OWN_FIGURES)
    assert_bond_status(OWN_FIGURES, status(widget).inner_text())

    years = bond_input(widget, "years")
    years.fill("0")
    assert "years" in problems(**{**OWN_FIGURES, "years": 0})
    error = "Years to final payment must be more than 0."
    assert years.get_attribute("aria-invalid") == "true"
    assert widget.locator(".sic-field .sic-error").filter(has_text=error).is_visible()
    shown = widget.locator(".sic-outcome")
    assert shown.inner_text().startswith("Fix the figures above")
    assert shown.locator("dl").count() == 0  # no list of figures, and no message in a list
    assert widget.get_by_role("img").count() == 0  # no chart for figures that make no sense
    widget.locator(".sic-title").click()
    assert status(widget).inner_text() == error
    years.fill(str(OWN_FIGURES["years"]))
    assert years.get_attribute("aria-invalid") == "false"
    assert_bond_shows(widget, OWN_FIGURES)
    assert_clean(page_log)


def test_theory_of_change_mouse_flags_gaps_and_exports_what_was_written(
        gallery, states, page_log):
    """Clicking "Check my chain": are exactly the empty boxes flagged, on the boxes and in the
    status? Once all are filled, does the Markdown export hold everything written?"""
    state, widget = states["TheoryOfChange"], region(gallery, states["TheoryOfChange"])
    stages, assumptions = dict(state["stages"]), dict(state["assumptions"])
    button(widget, "Check my chain").click()
    assert status(widget).inner_text() == gaps_status(toc_gaps(stages, assumptions))

    stages["outputs"], assumptions["inputs"] = "", " "
    toc_box(widget, "stage", "outputs").fill("")
    toc_box(widget, "assumption", "inputs").fill(" ")
    button(widget, "Check my chain").click()
    found = toc_gaps(stages, assumptions)
    assert ("stage", "outputs") in found and ("assumption", "inputs") in found
    assert status(widget).inner_text() == gaps_status(found)
    for kind, keys in (("stage", STAGES), ("assumption", LINKS)):
        for key in keys:
            box = toc_box(widget, kind, key)
            flagged = (kind, key) in found
            assert box.get_attribute("aria-invalid") == ("true" if flagged else "false")
            if flagged:  # said where it is, and read out with the box
                assert gap_message(kind, key) in box.evaluate(
                    "b => b.getAttribute('aria-describedby').split(' ').map("
                    "(id) => document.getElementById(id).textContent).join(' ')")

    written_here = {}
    for index, (kind, key) in enumerate(found):
        text = f"מקהלה שכונתית {index}" if index == 0 else f"Filled in by the test, {kind} {key}."
        toc_box(widget, kind, key).fill(text)
        written_here[(kind, key)] = text
        (stages if kind == "stage" else assumptions)[key] = text
    button(widget, "Check my chain").click()
    assert status(widget).inner_text() == gaps_status([])
    assert widget.locator("textarea[aria-invalid='true']").count() == 0

    button(widget, "Export to Markdown").click()
    export = widget.get_by_label("Your theory of change as Markdown", exact=False)
    assert export.is_visible()
    markdown = export.input_value()
    assert markdown.startswith(f"# {state['title']}\n")
    for stage in STAGES:
        heading = f"## {STAGES.index(stage) + 1}. {stage.capitalize()}"
        assert f"{heading}\n\n{stages[stage].strip()}\n" in markdown
    for link in LINKS:
        assert assumptions[link].strip() in markdown
    assert all(text in markdown for text in written_here.values())
    assert_clean(page_log)


# === answers sync back to the Python traits ================================================

@pytest.mark.parametrize("name", KINDS)
def test_answers_and_results_sync_back_under_the_python_trait_names(
        gallery, states, name, page_log):
    """After an answer and a check, does the model hold the learner's answer and result, under
    traits the Python class declares (so a lesson can read them), with values it accepts?"""
    cls = KINDS[name][0]
    widget = region(gallery, states[name])
    record_writes(widget)
    expected = PARTLY_WRONG[name](widget, states[name])
    values = written(widget)
    declared = set(cls.class_trait_names(sync=True))
    assert values and set(values) <= declared, f"not traits of {name}: {set(values) - declared}"
    assert set(expected) <= set(values), f"never written: {set(expected) - set(values)}"
    for key, value in expected.items():
        assert values[key] == (pytest.approx(value) if key == "result" else value), key
    # What the kernel does with a front end's update: set_state() with those values, on the
    # widget the page came from (its content from the saved state), which recomputes the
    # result in Python: it must come to the page's.
    content = declared - set(AnyWidget.class_trait_names(sync=True))
    python = cls(**{key: value for key, value in states[name].items() if key in content})
    python.set_state(values)
    for key, value in values.items():
        assert getattr(python, key) == value, key
    assert_clean(page_log)


# === by keyboard alone =====================================================================

@pytest.mark.parametrize("name", KINDS)
def test_tab_reaches_every_control_with_a_focus_ring_and_leaves_again(
        gallery, states, name, page_log):
    """Does Tab visit every control of the widget in order, each with a visible focus ring,
    then leave it (no keyboard trap); and does Shift+Tab walk back the same way?"""
    css = KINDS[name][1]
    widget = region(gallery, states[name])
    count = widget.evaluate("""w => {
        const controls = [...w.querySelectorAll("button, select, input, textarea")]
            .filter((c) => !c.disabled && c.getClientRects().length);
        controls.forEach((c, i) => { c.dataset.probe = String(i); });
        return controls.length;
    }""")
    assert count > 0
    page, seen = gallery, []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if focus_state(page)["widget"] == css:
            break
    state = focus_state(page)
    for _ in range(count + 1):  # one press more than there are controls must leave
        if state["widget"] != css:
            break
        assert_focus_ring(state)
        seen.append(int(state["probe"]))
        page.keyboard.press("Tab")
        state = focus_state(page)
    assert seen == list(range(count)), f"Tab order in {name}: {seen}"
    assert state["widget"] != css, f"Tab is trapped in {name}: {state}"
    back = []
    page.keyboard.press("Shift+Tab")
    state = focus_state(page)
    for _ in range(count + 1):
        if state["widget"] != css:
            break
        assert_focus_ring(state)
        back.append(int(state["probe"]))
        page.keyboard.press("Shift+Tab")
        state = focus_state(page)
    assert back == seen[::-1], f"Shift+Tab order in {name}: {back}"
    assert state["widget"] != css, f"Shift+Tab is trapped in {name}: {state}"
    assert_clean(page_log)


def test_categorize_by_keyboard_alone(gallery, states, page_log):
    """With Tab, arrow keys and Enter/Space only: can every item be placed and checked right,
    and does changing one afterwards (Shift+Tab back) get it marked misplaced?"""
    state, widget = states["Categorize"], region(gallery, states["Categorize"])
    page, cats = gallery, [c["id"] for c in state["categories"]]
    items, total = state["items"], len(state["items"])
    keys_to(page, widget.get_by_label(items[0]["text"], exact=True))
    for index, item in enumerate(items):
        if index:
            page.keyboard.press("Tab")
        focus = focus_state(page)
        assert (focus["tag"], focus["label"]) == ("select", item["text"]), focus
        assert_focus_ring(focus)
        arrow_to(page, 0, cats.index(item["category"]) + 1)
        assert focus_state(page)["value"] == item["category"]
    page.keyboard.press("Tab")
    focus = focus_state(page)
    assert (focus["tag"], focus["text"]) == ("button", "Check"), focus
    assert_focus_ring(focus)
    page.keyboard.press("Enter")
    assert status(widget).inner_text() == placed(total, total)

    page.keyboard.press("Shift+Tab")
    last = items[-1]
    focus = focus_state(page)
    assert focus["label"] == last["text"], focus
    now = cats.index(last["category"])
    other = 1 if now == 0 else 0
    arrow_to(page, now + 1, other + 1)
    keys_to(page, button(widget, "Check"))
    page.keyboard.press("Space")
    assert status(widget).inner_text() == placed(total - 1, total)
    labels = {c["id"]: c["label"] for c in state["categories"]}
    assert widget.locator(f"li[data-item='{last['id']}'] .sic-verdict").inner_text() == (
        f'Misplaced: it does not belong in "{labels[cats[other]]}".')
    assert_clean(page_log)


def test_sequence_by_keyboard_alone(gallery, states, page_log):
    """With Tab, Shift+Tab and Enter/Space only: can a learner check the shuffled order, see
    the wrong positions, move every step into place and check again?"""
    state, widget = states["Sequence"], region(gallery, states["Sequence"])
    page, ids, total = gallery, [s["id"] for s in state["steps"]], len(state["steps"])
    keys_to(page, button(widget, "Check order"))
    page.keyboard.press("Space")
    wrong = [s for p, s in enumerate(state["start"]) if ids[p] != s]
    assert step_ids(widget.locator(".sic-step.sic-wrong")) == wrong

    order = list(state["start"])
    for position, step in enumerate(ids):
        moves = order.index(step) - position
        if not moves:
            continue
        keys_to(page, button(widget.locator(f"li[data-step='{step}']"), "Move up"))
        for _ in range(moves):
            page.keyboard.press("Enter")
            focus = focus_state(page)
            assert focus["step"] == step, f"the focus left the step it moved: {focus}"
            assert_focus_ring(focus)
        order.remove(step)
        order.insert(position, step)
    assert step_ids(widget.get_by_role("listitem")) == ids
    keys_to(page, button(widget, "Check order"))
    page.keyboard.press("Enter")
    assert status(widget).inner_text() == f"All {total} steps are in the right order."
    assert_clean(page_log)


def test_match_by_keyboard_alone(gallery, states, page_log):
    """With Tab, arrow keys and Enter/Space only: can every pair be matched and checked right,
    and is a pair changed afterwards marked as not a match?"""
    state, widget = states["Match"], region(gallery, states["Match"])
    page, pairs, total = gallery, state["pairs"], len(state["pairs"])
    offered = state["right_order"]
    keys_to(page, widget.get_by_label(pairs[0]["left"], exact=True))
    for index, pair in enumerate(pairs):
        if index:
            page.keyboard.press("Tab")
        focus = focus_state(page)
        assert (focus["tag"], focus["label"]) == ("select", pair["left"]), focus
        assert_focus_ring(focus)
        arrow_to(page, 0, offered.index(pair["id"]) + 1)
        assert focus_state(page)["value"] == pair["id"]
    page.keyboard.press("Tab")
    assert focus_state(page)["text"] == "Check matches"
    page.keyboard.press("Enter")
    assert status(widget).inner_text() == matched(total, total)

    first = pairs[0]
    keys_to(page, widget.get_by_label(first["left"], exact=True))
    at = offered.index(first["id"])
    arrow_to(page, at + 1, (at + 1) % total + 1)
    keys_to(page, button(widget, "Check matches"))
    page.keyboard.press("Space")
    assert status(widget).inner_text() == matched(total - 1, total)
    row = widget.locator(f"li[data-pair='{first['id']}']")
    assert row.locator(".sic-verdict").inner_text() == "Not a match."
    assert_clean(page_log)


def test_impact_bond_by_keyboard_alone(gallery, states, page_log):
    """With Tab and arrow keys only: can a learner load each preset and step the improvement
    achieved across the target, with results that follow impact_bond.outcome()?"""
    state, widget = states["ImpactBondSimulator"], region(gallery, states["ImpactBondSimulator"])
    page, presets = gallery, state["presets"]
    keys_to(page, widget.get_by_label("Preset", exact=True))
    for index in range(1, len(presets)):
        page.keyboard.press("ArrowDown")
        assert status(widget).inner_text() == f'Loaded the preset "{presets[index]["label"]}".'
        assert_bond_shows(widget, presets[index])
    preset = presets[-1]
    figures = {name: preset[name] for name in INPUTS}

    achieved = bond_input(widget, "achieved")
    keys_to(page, achieved)
    met = outcome(**figures)["met"]
    steps = (math.floor(figures["achieved"] - figures["target"]) + 1 if met
             else math.ceil(figures["target"] - figures["achieved"]))
    press(page, "ArrowDown" if met else "ArrowUp", steps)
    figures["achieved"] = float(achieved.input_value())
    assert outcome(**figures)["met"] is not met, figures
    assert_bond_shows(widget, figures)
    page.keyboard.press("Tab")  # leaving the box announces the result
    assert_bond_status(figures, status(widget).inner_text())
    assert widget.get_by_label("Preset", exact=True).input_value() == ""
    assert_clean(page_log)


def test_theory_of_change_by_keyboard_alone(gallery, states, page_log):
    """With Tab, Shift+Tab, typing and Enter/Space only: can a learner empty a box, have the
    gap flagged, fill every gap, check, export, and read the Markdown?"""
    state, widget = states["TheoryOfChange"], region(gallery, states["TheoryOfChange"])
    page = gallery
    stages, assumptions = dict(state["stages"]), dict(state["assumptions"])
    keys_to(page, toc_box(widget, "stage", "impact"))
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    stages["impact"] = ""
    keys_to(page, button(widget, "Check my chain"))
    page.keyboard.press("Enter")
    found = toc_gaps(stages, assumptions)
    assert status(widget).inner_text() == gaps_status(found)
    assert toc_box(widget, "stage", "impact").get_attribute("aria-invalid") == "true"

    for kind, key in found:
        keys_to(page, toc_box(widget, kind, key))
        text = f"שינוי {key}" if kind == "stage" else f"Typed for {key}."
        page.keyboard.type(text)
        (stages if kind == "stage" else assumptions)[key] = text
    keys_to(page, button(widget, "Check my chain"))
    page.keyboard.press("Space")
    assert status(widget).inner_text() == gaps_status([])
    page.keyboard.press("Tab")
    assert focus_state(page)["text"] == "Export to Markdown"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # into the exported Markdown, after the status
    focus = focus_state(page)
    assert (focus["tag"], focus["widget"]) == ("textarea", "sic-theory-of-change"), focus
    assert_focus_ring(focus)
    assert all(text.strip() in focus["value"] for text in [*stages.values(), *assumptions.values()])
    assert_clean(page_log)


# === ARIA ==================================================================================

NAMED_ROLES = ("button", "combobox", "spinbutton", "textbox", "checkbox", "radio", "img")


@pytest.mark.parametrize("name", KINDS)
def test_widget_is_a_labelled_region_with_a_live_status_and_named_controls(
        gallery, states, name, page_log):
    """Is the widget a region named by its title, with one polite role=status live region,
    every control and image named, and every aria reference pointing at an element?"""
    css = KINDS[name][1]
    widget = region(gallery, states[name])
    assert widget.count() == 1
    assert widget.evaluate("w => w.tagName + ' ' + w.className") == f"SECTION sic-widget {css}"
    assert status(widget).count() == 1
    assert status(widget).get_attribute("aria-live") == "polite"
    tree = widget.aria_snapshot()
    unnamed = [line.strip() for line in tree.splitlines()
               if re.match(rf"\s*- ({'|'.join(NAMED_ROLES)})\b(?! \")", line)]
    assert unnamed == [], f"controls with no accessible name in {name}:\n{tree}"
    dangling = widget.evaluate("""w => [
        ...w.querySelectorAll("[aria-describedby], [aria-labelledby], label[for]")].flatMap((el) =>
        [el.getAttribute("aria-describedby"), el.getAttribute("aria-labelledby"), el.htmlFor]
            .filter(Boolean).join(" ").split(" ").filter((id) => !document.getElementById(id)))""")
    assert dangling == []
    assert_clean(page_log)


# === phone width ===========================================================================

OVERFLOW = """w => {
    const box = w.getBoundingClientRect(), out = [];
    if (w.scrollWidth > w.clientWidth) out.push(`scrollWidth ${w.scrollWidth} > ${w.clientWidth}`);
    if (box.left < 0 || box.right > window.innerWidth) out.push(`widget ${box.left}..${box.right}`);
    for (const el of w.querySelectorAll("*")) {
        const r = el.getBoundingClientRect();
        const outside = r.left < box.left - 1 || r.right > box.right + 1;
        if (r.width && (outside || r.width > window.innerWidth))
            out.push(`${el.tagName}.${el.getAttribute("class")} ${r.left}..${r.right}`);
    }
    return out;
}"""


@pytest.mark.parametrize("name", KINDS)
def test_widget_fits_a_phone_screen_and_can_still_be_checked(phone, states, name, page_log):
    """At 375 px wide: does the widget, and everything in it, fit the screen, before and after
    a check, and does the check still give its result?"""
    assert phone.evaluate("innerWidth") == PHONE["width"]
    widget = region(phone, states[name])
    widget.scroll_into_view_if_needed()
    assert widget.evaluate(OVERFLOW) == []
    PARTLY_WRONG[name](widget, states[name])
    assert status(widget).inner_text().strip()
    assert status(widget).is_visible()
    assert widget.evaluate(OVERFLOW) == []
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_clean(page_log)


# === right-to-left =========================================================================

def test_arabic_and_hebrew_items_run_right_to_left_and_latin_ones_left_to_right(
        gallery, states, page_log):
    """Does every item text from the gallery's YAML show in the direction of its script:
    Arabic and Hebrew right to left, Latin left to right?"""
    checked = {"rtl": [], "ltr": []}
    for name in KINDS:
        widget = region(gallery, states[name])
        shown = assert_directions_follow_text(widget)
        for text in state_texts(name, states[name]):
            where = [s for s in shown if s["text"] == text.strip()]
            assert where, f"{name} does not show {text!r}"
            assert {s["direction"] for s in where} == {strong_direction(text)}, where
            checked[strong_direction(text)].append(text)
    assert checked["rtl"], "the gallery's YAML should have an Arabic or Hebrew item"
    assert checked["ltr"]
    assert_clean(page_log)


@pytest.mark.parametrize("name", KINDS)
def test_hebrew_and_arabic_items_work_in_every_widget(gallery, states, name, page_log):
    """With its items, labels and texts in Hebrew and Arabic, does each widget show them right
    to left (and its other texts left to right), and still check the answers?"""
    variant = rtl_variant(name, states[name])
    region(gallery, states[name]).evaluate(MOUNT, [states[name]["_esm"], variant])
    widget = region(gallery, variant)
    assert widget.locator(".sic-title").evaluate("t => getComputedStyle(t).direction") == "rtl"
    PARTLY_WRONG[name](widget, variant)
    assert status(widget).inner_text().strip()
    shown = assert_directions_follow_text(widget)
    ours = [s for s in shown if (HEBREW in s["text"] or ARABIC in s["text"])
            and strong_direction(s["text"]) == "rtl"]
    assert ours and {s["direction"] for s in ours} == {"rtl"}, ours
    assert_clean(page_log)


def test_widgets_in_a_right_to_left_page_mirror_cleanly(page, open_page, saved, states, page_log):
    """In a page set right to left (an Arabic or Hebrew edition), do the chart's bars and
    labels start at the right and stay inside it, the assumption boxes pad the side of their
    border, and every widget still fit?"""
    page.add_init_script("document.addEventListener('DOMContentLoaded', () => {"
                         " document.documentElement.dir = 'rtl'; })")
    gallery = open_gallery(open_page, saved, page_log)
    first = gallery.locator(".sic-widget").first
    assert first.evaluate("w => getComputedStyle(w).direction") == "rtl"
    for name in KINDS:
        assert region(gallery, states[name]).evaluate(OVERFLOW) == [], name

    chart = region(gallery, states["ImpactBondSimulator"]).get_by_role("img")
    parts = chart.evaluate("""svg => {
        const box = svg.getBoundingClientRect();
        return [...svg.querySelectorAll("text, rect")].map((el) => {
            const r = el.getBoundingClientRect();
            return {tag: el.tagName, left: r.left - box.left, right: box.right - r.right};
        });
    }""")
    assert len(parts) == 4
    for part in parts:
        assert part["left"] >= -1 and part["right"] >= -1, f"outside the chart: {parts}"
        assert part["right"] <= 1.5, f"does not start at the right edge: {parts}"

    link = region(gallery, states["TheoryOfChange"]).locator(".sic-link").first
    sides = link.evaluate("""l => { const cs = getComputedStyle(l);
        return [cs.borderRightWidth, cs.paddingRight, cs.borderLeftWidth, cs.paddingLeft]; }""")
    assert [float(s.rstrip("px")) > 0 for s in sides] == [True, True, False, False], sides
    assert_clean(page_log)
