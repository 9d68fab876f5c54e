"""The static widget renderer: course widgets without the widget manager, others with it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import yaml
from serve import BookServer, offline_context, watch

from sicourse.book import offline_assets

pytestmark = [pytest.mark.browser, pytest.mark.book]  # builds two tiny books
MANAGER = "html-manager"
FRONT_MATTER = """---
jupytext: {text_representation: {extension: .md, format_name: myst}}
kernelspec: {display_name: Python 3, language: python, name: python3}
---
"""


def build_tiny_book(root, repo, offline: bool, share_execution_cache):
    """A two-page book: one page with a course widget, one with a plain ipywidgets slider.

    Its pages run once per session: the online and offline builds share the cache."""
    quiz = repo / "lessons" / "01-what-is-social-innovation" / "self-check.yml"
    share_execution_cache(root / "_build")
    config = {"title": "Renderer test", "execute": {"execute_notebooks": "cache"},
              "sphinx": {"extra_extensions": ["sicourse.book.widget_renderer"],
                         "config": offline_assets.sphinx_overrides() if offline else {}}}
    (root / "_config.yml").write_text(yaml.safe_dump(config))
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: index\nchapters:\n  - file: course\n  - file: plain\n")
    (root / "index.md").write_text("# Renderer test\n")
    (root / "course.md").write_text(FRONT_MATTER + textwrap.dedent(f"""
        # Course widget
        ```{{code-cell}} python
        from sicourse.widgets import load
        load({str(quiz)!r})
        ```
    """))
    (root / "plain.md").write_text(FRONT_MATTER + textwrap.dedent("""
        # Plain widget
        ```{code-cell} python
        import ipywidgets
        ipywidgets.IntSlider(value=3, description="Level")
        ```
    """))
    build = subprocess.run(
        [sys.executable, "-c", "from jupyter_book.cli.main import main; main()", "build",
         str(root), "-W", "-n", "--keep-going"], capture_output=True, text=True)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    html = root / "_build" / "html"
    if offline:
        offline_assets.copy_assets(repo / "node_modules", html)
    return html


@pytest.fixture(scope="module")
def tiny_book(tmp_path_factory, browser_tools, repo, share_execution_cache):
    html = build_tiny_book(tmp_path_factory.mktemp("tiny"), repo, False, share_execution_cache)
    with BookServer(html) as server:
        yield server


@pytest.fixture(scope="module")
def tiny_offline_book(tmp_path_factory, browser_tools, repo, share_execution_cache):
    html = build_tiny_book(tmp_path_factory.mktemp("tiny"), repo, True, share_execution_cache)
    with BookServer(html) as server:
        yield server


# Stock Jupyter Book errors that the course's own configuration fixes; this tiny book
# uses only the renderer extension. The full book's pages are held to zero errors.
STOCK = ("THEBE_JS_URL", "invalid theme mode")


def problems(log) -> list[str]:
    return [p for p in log.problems() if not any(s in p for s in STOCK)]


def open_page(browser, server, name, log):
    context = offline_context(browser, log)
    page = watch(context.new_page(), log)
    page.goto(server.url + name, wait_until="load")
    return context, page


def test_course_widgets_render_without_the_widget_manager(browser, tiny_book, page_log):
    """Does a page of course widgets render them and never fetch require.js or the manager?"""
    context, page = open_page(browser, tiny_book, "course.html", page_log)
    try:
        page.wait_for_selector("html[data-sicourse-widgets=rendered]", timeout=10_000)
        quiz = page.locator("section.sic-quiz")
        assert quiz.count() == 1
        quiz.get_by_role("button", name="Check answers").click()
        assert "You answered 0 of" in quiz.locator(".sic-status").inner_text()
        assert not [u for u in page_log.served if MANAGER in u or "require" in u]
        assert problems(page_log) == []
    finally:
        context.close()


def test_other_widgets_fall_back_to_the_widget_manager(browser, tiny_book, page_log):
    """Does a page with a plain ipywidgets slider load the html-manager and render the slider?"""
    context, page = open_page(browser, tiny_book, "plain.html", page_log)
    try:
        slider = page.locator(".widget-slider")
        slider.first.wait_for(timeout=15_000)
        page.wait_for_timeout(500)  # a second rendering, if any, would appear by now
        assert slider.count() == 1
        assert "Level" in slider.inner_text()
        assert [u for u in page_log.served if MANAGER in u]
        assert problems(page_log) == []
    finally:
        context.close()


def test_the_fallback_works_offline(browser, tiny_offline_book, page_log):
    """In an offline build, does the slider page load the manager and anywidget from the site,
    with no request leaving localhost?"""
    context, page = open_page(browser, tiny_offline_book, "plain.html", page_log)
    try:
        slider = page.locator(".widget-slider")
        slider.first.wait_for(timeout=15_000)
        assert "Level" in slider.first.inner_text()
        assert page_log.served == [] and page_log.blocked == []
        assert problems(page_log) == []
    finally:
        context.close()
