"""Finding one's way in the built book, in headless Chromium: next and previous links, the
sidebar's table of contents, and search."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote_plus, urlsplit

import pytest
import yaml

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
GLOSSARY_PAGE = "book/generated/glossary.html"


def toc_pages() -> list[str]:
    """Every page of _toc.yml, in reading order."""
    toc = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return [f"{name}.html" for name in files]


def site_path(url: str, server) -> str:
    """A page's URL as a path inside the site, e.g. "lessons/x.html" (no query, no anchor)."""
    assert url.startswith(server.url), f"{url} is not on the book's server"
    return urlsplit(url).path[len(urlsplit(server.url).path):]


def link_target(page, selector: str, server) -> str | None:
    link = page.locator(selector)
    if link.count() == 0:
        return None
    return site_path(link.first.evaluate("a => a.href"), server)


def test_next_links_walk_the_book_in_toc_order(open_page, book_server, page_log):
    """From the landing page, does clicking "next" visit every page in the order of the TOC,
    with each page's "previous" link pointing back, and "previous" on the last page work?"""
    pages = toc_pages()
    page = open_page(pages[0])
    assert link_target(page, "a.left-prev", book_server) is None
    for before, expected in zip(pages, pages[1:], strict=False):
        page.locator("a.right-next").click()
        page.wait_for_url(book_server.url + expected)
        assert link_target(page, "a.left-prev", book_server) == before, expected
    assert link_target(page, "a.right-next", book_server) is None, "the last page has a next"
    page.locator("a.left-prev").click()
    page.wait_for_url(book_server.url + pages[-2])
    page.wait_for_load_state("networkidle")
    assert page_log.problems() == []


def test_sidebar_lists_the_toc_and_each_entry_opens_its_page(open_page, book_server,
                                                             page_log):
    """Does the sidebar list every TOC page in order, and does clicking each entry, from the
    page before it, open that page and mark it as the current one?"""
    pages = toc_pages()
    page = open_page(pages[0])
    sidebar = "nav.bd-docs-nav a.reference.internal"
    listed = [site_path(href, book_server)
              for href in page.locator(sidebar).evaluate_all("links => links.map(a => a.href)")]
    assert listed == pages
    for expected in pages[1:]:
        entries = page.locator(sidebar)
        hrefs = entries.evaluate_all("links => links.map(a => a.href)")
        index = [site_path(h, book_server) for h in hrefs].index(expected)
        title = entries.nth(index).inner_text().strip()
        entries.nth(index).click()
        page.wait_for_url(book_server.url + expected)
        current = page.locator("nav.bd-docs-nav li.current > a.reference.internal")
        assert current.last.inner_text().strip() == title
    assert page_log.problems() == []


def glossary_terms() -> list[tuple[str, str]]:
    """The first term of each lesson's glossary file, with the lesson it belongs to."""
    terms = []
    for path in sorted((REPO / "book" / "glossary").glob("*.yml")):
        entries = yaml.safe_load(path.read_text(encoding="utf-8"))
        terms.append((entries[0]["term"], f"lessons/{path.stem}.html"))
    return terms


@pytest.mark.parametrize(("term", "lesson"), glossary_terms(), ids=lambda v: str(v))
def test_search_finds_a_glossary_terms_pages(page, book_server, page_log, term, lesson):
    """Does the search page find a glossary term on the glossary page, at the term's own
    entry, and on its lesson's page when the lesson uses the term?"""
    page.goto(f"{book_server.url}search.html?q={quote_plus(term)}")
    page.locator("#search-results .search-summary").wait_for()
    summary = page.locator("#search-results .search-summary").inner_text()
    results = page.locator("#search-results ul.search li > a").evaluate_all(
        "links => links.map(a => a.href)")
    found = {site_path(url, book_server) for url in results}
    assert GLOSSARY_PAGE in found, f"{term!r}: {summary}"
    assert any(urlsplit(url).fragment.startswith("term-") for url in results
               if site_path(url, book_server) == GLOSSARY_PAGE), f"{term!r}: not at its entry"
    source = (REPO / lesson.replace(".html", ".md")).read_text(encoding="utf-8")
    if term.lower() in source.lower():
        assert lesson in found, f"{term!r} is in {lesson}, but the search did not find it"
    assert page_log.problems() == []
