"""Fixtures for the browser tests: the built book on localhost, Chromium, offline pages.

The machine has no internet. Every page runs in a browser context that answers
the book's CDN requests from node_modules/ (see serve.py) and aborts any other
request that would leave localhost. A missing tool is a test failure that says
what to install, never a skip: CI must prove these tests ran.
"""

from __future__ import annotations

import pytest
from serve import (
    BookServer,
    PageLog,
    SetupError,
    check_setup,
    launch_chromium,
    offline_context,
    watch,
)


@pytest.fixture(scope="session")
def browser_tools() -> None:
    """Fail (not skip) every browser test at once if Chromium or node_modules is missing."""
    try:
        check_setup()
        problem = ""
    except SetupError as exc:
        problem = str(exc)
    if problem:
        pytest.fail(problem, pytrace=False)


@pytest.fixture(scope="session")
def browser(browser_tools):
    """Debian's Chromium, headless, shared by the whole session."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None:
        pytest.fail("Playwright for Python is missing: pip install -e '.[test]'.", pytrace=False)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def book_server(browser_tools, built_book):
    """The built book (tests/conftest.py builds it once) on a free localhost port."""
    with BookServer(built_book) as server:
        yield server


@pytest.fixture
def page_log() -> PageLog:
    """What the page did that a test may fail on: CDN misses, escapes, console errors."""
    return PageLog()


@pytest.fixture
def page(browser, page_log):
    """A fresh page in its own offline context, watched for console and page errors."""
    context = offline_context(browser, page_log, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = watch(context.new_page(), page_log)
    yield page
    context.close()


@pytest.fixture
def open_page(page, book_server, page_log):
    """Open a page of the book by its path (e.g. "lessons/x.html"); give back the page.

    Fails at once if a CDN file the page asked for is not in node_modules/.
    """
    def open_(path: str):
        page.goto(book_server.url + path, wait_until="load")
        assert not page_log.missing, "\n".join(page_log.missing)
        return page

    return open_
