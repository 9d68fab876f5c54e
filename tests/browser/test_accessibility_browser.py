"""An accessibility audit of every page of the built book: axe-core in headless Chromium.

Each page is audited in the light and the dark theme, at desktop (1280 px) and phone
(390 px) width, with its course widgets rendered; a page with widgets is audited again
after every widget has been answered wrong, and again after it has been answered right.
An audit runs axe-core's WCAG 2.0 and 2.1 level A and AA rules and fails on any serious or
critical violation, naming the page, rule, element and the state it was found in.
What shows only once a reader does something is audited too, on one page each: the
header's menus, the search dialog and (on a phone) the sidebar drawers open, the search
page with results, the glossary at a linked entry.
No rule is switched off and no element left out; book/accessibility.md, the published
accessibility statement, says what this covers and what it does not.

The pages are the ones the book's TOC lists and the two Sphinx writes itself (the index
and the search page); test_every_built_page_is_audited fails if the build has another.
Both themes' pages stay open for the whole module, one browser context each, and are
audited at the same time.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from serve import NODE_MODULES, PageLog, course_widgets, offline_context, wait_for_widgets, watch
from test_navigation_browser import toc_pages
from test_widgets_browser import (
    OWN_FIGURES,
    bond_input,
    bond_type,
    button,
    categorize_choose,
    categorize_wrong_plan,
    match_choose,
    match_wrong_plan,
    toc_box,
)

from sicourse.widgets.theory_of_change import LINKS, STAGES

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]  # WCAG 2.1 level A and AA
FAILING = ("serious", "critical")
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
THEMES = ("light", "dark")
SPHINX_PAGES = ["genindex.html", "search.html"]  # pages Sphinx adds to the TOC's
REDIRECT = "index.html"  # the book's front door: a meta refresh to the TOC's root page

# Starts axe-core with every WCAG 2.1 A/AA rule, without waiting for it (so that the two
# themes' pages, each in its own browser process, are audited at the same time). The rules
# axe-core calls experimental, which it leaves off unless asked, are asked for too ...
START_AUDIT = """(tags) => {
    const experimental = Object.fromEntries(axe.getRules(tags)
        .filter((rule) => rule.tags.includes("experimental"))
        .map((rule) => [rule.ruleId, {enabled: true}]));
    window.sicourseAudit = axe.run(document, {
        runOnly: {type: "tag", values: tags}, rules: experimental,
        resultTypes: ["violations"]});
}"""
# ... and gives back each element that violates a rule, once the audit is done.
AUDIT_RESULT = """async () => (await window.sicourseAudit).violations.flatMap((rule) =>
    rule.nodes.map((node) => ({rule: rule.id, help: rule.help, impact: node.impact,
                               target: node.target.join(" "), summary: node.failureSummary})))"""
# Ready to audit: web fonts loaded, and MathJax (on pages with formulas) done typesetting.
SETTLED = """async () => {
    await document.fonts.ready;
    if (window.MathJax?.startup?.promise) await window.MathJax.startup.promise;
}"""


EDITIONS = yaml.safe_load((REPO / "locales" / "languages.yml").read_text(
    encoding="utf-8"))["editions"]  # each built into <code>/ beside the English book


def audited_pages() -> list[str]:
    """The English book's pages, then each edition's (``<code>/...``)."""
    english = toc_pages() + SPHINX_PAGES
    return english + [f"{code}/{path}" for code in EDITIONS for path in english]


def in_edition(path: str) -> bool:
    return path.split("/", 1)[0] in EDITIONS


# --- one browser context per theme, reused by every page ------------------------------------

class Themed:
    """A page whose theme starts as a returning reader's would: from the stored choice."""

    def __init__(self, browser, theme: str):
        self.theme, self.log = theme, PageLog()
        self.context = offline_context(browser, self.log, viewport=WIDTHS["desktop"],
                                       color_scheme=theme)
        self.context.set_default_timeout(15_000)
        # What pydata-sphinx-theme stores when a reader picks a mode with its button.
        self.context.add_init_script(
            f"localStorage.setItem('mode', '{theme}'); localStorage.setItem('theme', '{theme}');")
        self.page = watch(self.context.new_page(), self.log)

    def open(self, url: str, size: dict, widgets: int) -> None:
        """Load the page at this size and wait until its widgets have rendered."""
        page = self.page
        page.set_viewport_size(size)
        page.goto(url, wait_until="load")
        assert not self.log.missing, "\n".join(self.log.missing)
        if widgets:
            wait_for_widgets(page, widgets, self.log)
            page.wait_for_selector("html[data-sicourse-widgets=rendered]")
        page.evaluate(SETTLED)
        shown = page.evaluate("document.documentElement.dataset.theme")
        assert shown == self.theme, f"{url} shows the {shown} theme, not {self.theme}"
        page.add_script_tag(path=str(AXE))


@pytest.fixture(scope="module")
def themed(browser) -> dict[str, Themed]:
    pages = {theme: Themed(browser, theme) for theme in THEMES}
    yield pages
    for themed_page in pages.values():
        themed_page.context.close()


# --- answering every widget on a page, wrong and then right ---------------------------------

def quiz_answer(widget, state: dict, right: bool) -> None:
    button(widget, "Try again").click()
    for q in state["questions"]:
        right_ids = [o["id"] for o in q["options"] if o["correct"]]
        wrong_ids = [o["id"] for o in q["options"] if not o["correct"]]
        chosen = right_ids if right or not wrong_ids else wrong_ids[:1]
        for option in chosen:
            widget.locator(f"fieldset[data-question='{q['id']}'] input[value='{option}']").check()
    button(widget, "Check answers").click()


def categorize_answer(widget, state: dict, right: bool) -> None:
    plan = ({i["id"]: i["category"] for i in state["items"]} if right
            else categorize_wrong_plan(state))
    categorize_choose(widget, state, plan)
    button(widget, "Check").click()


def sequence_answer(widget, state: dict, right: bool) -> None:
    """Wrong: check the shuffled starting order. Right: move each step up into place."""
    if right:
        for position, step in enumerate(s["id"] for s in state["steps"]):
            row = widget.locator(f"li[data-step='{step}']")
            while row.evaluate("r => [...r.parentElement.children].indexOf(r)") > position:
                button(row, "Move up").click()
    button(widget, "Check order").click()


def match_answer(widget, state: dict, right: bool) -> None:
    plan = {p["id"]: p["id"] for p in state["pairs"]} if right else match_wrong_plan(state)
    match_choose(widget, state, plan)
    button(widget, "Check matches").click()


def bond_answer(widget, state: dict, right: bool) -> None:
    """Wrong: a figure that makes no sense (flagged). Right: sensible figures of one's own."""
    if right:
        bond_type(widget, OWN_FIGURES)
    else:
        bond_input(widget, "years").fill("0")
        widget.locator(".sic-title").click()  # leaving the box announces the error


def theory_answer(widget, state: dict, right: bool) -> None:
    """Wrong: an empty stage, flagged by the check. Right: every box filled, then exported."""
    if right:
        for kind, keys in (("stage", STAGES), ("assumption", LINKS)):
            for key in keys:
                box = toc_box(widget, kind, key)
                if not box.input_value().strip():
                    box.fill(f"Written by the accessibility test ({kind} {key}).")
    else:
        toc_box(widget, "stage", "outputs").fill("")
    button(widget, "Check my chain").click()
    if right:
        button(widget, "Export to Markdown").click()


# kind (end of _anywidget_id) -> (CSS class of its section, how to answer it)
ANSWER: dict[str, tuple[str, Callable[..., None]]] = {
    "Quiz": ("sic-quiz", quiz_answer),
    "Categorize": ("sic-categorize", categorize_answer),
    "Sequence": ("sic-sequence", sequence_answer),
    "Match": ("sic-match", match_answer),
    "ImpactBondSimulator": ("sic-impact-bond", bond_answer),
    "TheoryOfChange": ("sic-theory-of-change", theory_answer),
}


def answer_all(page, widgets: list[dict], right: bool) -> None:
    for index, state in enumerate(widgets):
        kind = state["_anywidget_id"].rsplit(".", 1)[-1]
        assert kind in ANSWER, f"no way to answer a {kind} widget: add one to ANSWER"
        css, answer = ANSWER[kind]
        widget = page.locator(".sic-widget").nth(index)
        assert css in widget.get_attribute("class"), f"widget {index + 1} is not a {kind}"
        answer(widget, state, right)


# --- the audit -------------------------------------------------------------------------------

def audit(views: list[Themed], state: str) -> list[dict]:
    """The serious and critical WCAG 2.1 A/AA violations on each page as it is now."""
    for view in views:
        view.page.evaluate(START_AUDIT, TAGS)
    return [{**v, "state": f"{view.theme}, {state}"} for view in views
            for v in view.page.evaluate(AUDIT_RESULT) if v["impact"] in FAILING]


def report(path: str, found: list[dict]) -> str:
    """One line per rule and element, with every theme, width and widget state it failed in."""
    where: dict[tuple, list[str]] = defaultdict(list)
    for v in found:
        where[(v["rule"], v["impact"], v["target"], v["help"], v["summary"])].append(v["state"])
    lines = [f"{path}: {len(where)} serious or critical axe-core violation(s) "
             f"(rule, element, where):"]
    for (rule, impact, target, help_, summary), states in sorted(where.items()):
        lines.append(f"  {rule} ({impact}) on {target}: {help_}\n"
                     f"    in: {'; '.join(states)}\n"
                     f"    {' '.join(summary.split())}")
    return "\n".join(lines)


@pytest.mark.parametrize("path", audited_pages())
def test_page_has_no_serious_accessibility_violations(themed, book_server, built_book, path):
    """Does the page pass axe-core's WCAG 2.1 A and AA rules with no serious or critical
    violation, in both themes and at both widths, with its widgets rendered, answered
    wrong and answered right?"""
    html = built_book / path
    assert html.is_file(), f"{path} was not built"
    widgets = course_widgets(html.read_text(encoding="utf-8"))
    views = list(themed.values())
    found: list[dict] = []
    for width, size in WIDTHS.items():
        for view in views:
            view.open(book_server.url + path, size, len(widgets))
        if not widgets:
            found += audit(views, width)
            continue
        found += audit(views, f"{width}, widgets rendered")
        if in_edition(path):
            continue  # answering goes by the English labels: the editions' are translated
        for right in (False, True):
            for view in views:
                answer_all(view.page, widgets, right=right)
            found += audit(views, f"{width}, widgets answered {'right' if right else 'wrong'}")
    assert not found, report(path, found)


# What shows on a page only once a reader does something. Menus, dialogs and drawers are
# the same on every page, so they are audited on one lesson. name -> (page, what the reader
# does: a click on an element or a key, what then shows, widths it is done at).
LESSON = "lessons/01-what-is-social-innovation.html"
GLOSSARY = "book/generated/glossary.html"
REACTIONS = {
    "launch menu open": (LESSON, ".dropdown-launch-buttons .dropdown-toggle",
                         ".dropdown-launch-buttons .dropdown-menu.show", WIDTHS),
    "download menu open": (LESSON, ".dropdown-download-buttons .dropdown-toggle",
                           ".dropdown-download-buttons .dropdown-menu.show", WIDTHS),
    "repository menu open": (LESSON, ".dropdown-source-buttons .dropdown-toggle",
                             ".dropdown-source-buttons .dropdown-menu.show", WIDTHS),
    "search dialog open": (LESSON, "Control+k", "#pst-search-dialog[open]", WIDTHS),
    # On a phone the sidebars fold away behind buttons that open them as dialogs.
    "navigation drawer open": (LESSON, ".primary-toggle >> visible=true",
                               "#pst-primary-sidebar-modal[open]", ["phone"]),
    "contents drawer open": (LESSON, ".secondary-toggle >> visible=true",
                             "#pst-secondary-sidebar-modal[open]", ["phone"]),
    "search results": ("search.html?q=social+innovation", "", "#search-results ul.search li",
                       WIDTHS),
    # A key term's link opens the glossary at its entry, which is marked.
    "glossary entry linked to": (f"{GLOSSARY}#{{term}}", "", "dt:target", WIDTHS),
}


def test_menus_dialogs_search_results_and_linked_entries_have_no_serious_violations(
        themed, book_server, built_book):
    """With each header menu, the search dialog and (on a phone) each sidebar drawer open,
    on the search page showing results (the words searched for marked), and on the glossary
    at a linked entry (marked): no serious or critical violation, in both themes and at
    both widths?"""
    term = re.search(r'<dt id="(term-[^"]+)"', (built_book / GLOSSARY).read_text("utf-8"))[1]
    views = list(themed.values())
    found: list[dict] = []
    for width, size in WIDTHS.items():
        for name, (path, action, shown, widths) in REACTIONS.items():
            if width not in widths:
                continue
            url = path.format(term=term)
            page_file = built_book / re.split(r"[?#]", url)[0]
            widgets = len(course_widgets(page_file.read_text(encoding="utf-8")))
            for view in views:
                view.open(book_server.url + url, size, widgets)
                if action.startswith("."):
                    view.page.locator(action).click()
                elif action:
                    view.page.keyboard.press(action)
                view.page.locator(shown).first.wait_for(state="visible")
            found += audit(views, f"{width}, {name}: {url}")
    assert not found, report("menus, dialogs, search results and linked entries", found)


def test_every_built_page_is_audited(built_book):
    """Is every HTML page of the build (but the front door's redirect, and the JupyterLite
    site's pages, which are JupyterLab's own interface) in the audit?"""
    built = {p.relative_to(built_book).as_posix() for p in built_book.rglob("*.html")
             if "_static" not in p.relative_to(built_book).parts
             and p.relative_to(built_book).parts[0] != "lite"}
    assert (built_book / REDIRECT).read_text(encoding="utf-8").startswith(
        '<meta http-equiv="Refresh"'), f"{REDIRECT} is no longer a redirect: audit it"
    redirects = {REDIRECT} | {f"{code}/{REDIRECT}" for code in EDITIONS}
    assert built - redirects == set(audited_pages())


def test_accessibility_statement_names_the_axe_core_that_runs():
    """Does the published statement (book/accessibility.md) name the axe-core version that
    package.json pins, which runs these audits?"""
    version = json.loads((REPO / "package.json").read_text(encoding="utf-8"))[
        "devDependencies"]["axe-core"]
    statement = (REPO / "book" / "accessibility.md").read_text(encoding="utf-8")
    assert f"axe-core {version}" in statement, "update the version in book/accessibility.md"
