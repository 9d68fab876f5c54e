"""The Arabic edition in headless Chromium: right to left, its widgets in Arabic, and the
language switcher between it and the English book."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from serve import assert_clean, course_widgets, wait_for_widgets
from test_navigation_browser import toc_pages

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
LESSON = "lessons/02-everyday-innovations.html"
ARABIC = re.compile(r"[\u0600-\u06FF]")


@pytest.mark.parametrize("path", toc_pages())
def test_every_arabic_page_loads_right_to_left_without_errors(open_page, page_log, built_book,
                                                               path):
    page = open_page(f"ar/{path}")
    widgets = course_widgets((built_book / "ar" / path).read_text(encoding="utf-8"))
    if widgets:
        wait_for_widgets(page, len(widgets), page_log)
    assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") \
        == ["ar", "rtl"]
    assert_clean(page_log)


def test_the_sidebar_is_on_the_right_in_arabic_and_on_the_left_in_english(open_page):
    """Measured: the navigation sidebar's centre against the article's, at desktop width."""
    def sides(path: str) -> tuple[float, float]:
        page = open_page(path)
        box = page.locator(".bd-sidebar-primary").bounding_box()
        article = page.locator("article.bd-article").bounding_box()
        return box["x"] + box["width"] / 2, article["x"] + article["width"] / 2

    sidebar, article = sides(f"ar/{LESSON}")
    assert sidebar > article, "the Arabic sidebar is not on the right"
    sidebar, article = sides(LESSON)
    assert sidebar < article, "the English sidebar is not on the left"


def test_code_stays_left_to_right(open_page):
    page = open_page("ar/book/running-at-scale.html")  # shell and Python blocks
    directions = page.evaluate(
        "[...document.querySelectorAll('article pre')].map(e => getComputedStyle(e).direction)")
    assert directions and set(directions) == {"ltr"}


def test_the_switcher_round_trips_to_the_same_page(open_page, book_server, page_log):
    page = open_page(LESSON)
    page.locator('.sicourse-languages a[hreflang="ar"]').click()
    page.wait_for_load_state("load")
    assert page.url == book_server.url + f"ar/{LESSON}"
    assert page.locator('.sicourse-languages [aria-current="page"]').inner_text() == "العربية"
    page.locator('.sicourse-languages a[hreflang="en"]').click()
    page.wait_for_load_state("load")
    assert page.url == book_server.url + LESSON
    assert page.evaluate("document.documentElement.lang") == "en"
    assert_clean(page_log)


def test_the_widgets_speak_arabic(open_page, page_log, built_book):
    """The lesson's widgets render their content (prompts, items, feedback) in Arabic."""
    widgets = course_widgets((built_book / "ar" / LESSON).read_text(encoding="utf-8"))
    assert widgets, f"{LESSON} has no widgets"
    page = open_page(f"ar/{LESSON}")
    wait_for_widgets(page, len(widgets), page_log)
    for index in range(len(widgets)):
        text = page.locator(".sic-widget").nth(index).inner_text()
        assert len(ARABIC.findall(text)) > 40, f"widget {index + 1} is not in Arabic:\n{text}"


def test_the_widgets_answer_in_arabic(open_page, page_log, built_book):
    """Buttons, verdicts and the status a screen reader announces come from the edition's
    interface catalogue: a quiz checked with no answer chosen says so in Arabic."""
    from sicourse.book.translations import interface_catalogue

    strings = interface_catalogue(REPO, "ar")
    path = "lessons/01-what-is-social-innovation.html"
    page = open_page(f"ar/{path}")
    wait_for_widgets(page, len(course_widgets((built_book / "ar" / path).read_text("utf-8"))),
                     page_log)
    quiz = page.locator(".sic-quiz").first
    quiz.get_by_role("button", name=strings["Check answers"], exact=True).click()
    status = quiz.locator(".sic-status").inner_text()
    verdict = quiz.locator(".sic-verdict").first.inner_text()
    assert verdict == strings["No answer chosen."]
    assert ARABIC.search(status) and "You answered" not in status, status
    quiz.get_by_role("button", name=strings["Try again"], exact=True).click()
    assert quiz.locator(".sic-status").inner_text() == strings["Answers cleared. Try again."]
    assert_clean(page_log)


@pytest.mark.parametrize("path", [LESSON, f"ar/{LESSON}", "book/intro.html", "ar/book/intro.html"])
def test_pages_with_the_switcher_fit_a_phone(open_page, path):
    """The switcher sits in the article's header: at 375 px nothing may stick out."""
    page = open_page(path)
    page.set_viewport_size({"width": 375, "height": 812})
    page.wait_for_timeout(100)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.locator(".sicourse-languages a").first.is_visible()


@pytest.mark.parametrize("path", [p for p in toc_pages() if p.startswith("lessons/")]
                         + ["book/widgets.html"])
def test_every_widget_checks_and_answers_in_arabic(open_page, page_log, built_book, path):
    """Each widget of an Arabic page, checked as it stands (nothing answered yet), answers
    in Arabic: its status line, which screen readers announce, has no English left."""
    widgets = course_widgets((built_book / "ar" / path).read_text(encoding="utf-8"))
    if not widgets:
        pytest.fail(f"{path} has no widgets")
    page = open_page(f"ar/{path}")
    wait_for_widgets(page, len(widgets), page_log)
    for index in range(len(widgets)):
        widget = page.locator(".sic-widget").nth(index)
        buttons = widget.locator(".sic-actions button")
        if buttons.count():
            buttons.first.click()
        else:  # the simulator has no button: it answers each change of a figure
            figure = widget.locator("input[type=number]").first
            figure.fill("1000")
            figure.press("Tab")
        status = widget.locator(".sic-status").inner_text().strip()
        assert ARABIC.search(status), f"widget {index + 1} of {path} says: {status!r}"
        assert not re.search(r"\b(?:You|the|of|in|are|is)\b", status), status
    assert_clean(page_log)
