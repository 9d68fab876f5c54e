"""The offline book (`sicourse build --offline`) works with no internet at all.

Unlike the other browser tests, nothing here is answered from node_modules/ on the
page's behalf: every request that would leave localhost is aborted and recorded, so
each page must find require.js, the widget manager, anywidget and MathJax in the
site's own _static/offline/.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from serve import NOT_LOCAL, BookServer, PageLog, course_widgets, wait_for_widgets, watch

from sicourse.book import offline_assets
from sicourse.cli import main

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
MATH_PAGE = "lessons/07-paying-for-outcomes.html"  # the impact-bond formulas


def toc_pages() -> list[str]:
    toc = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return [f"{name}.html" for name in files]


@pytest.fixture(scope="session")
def offline_book(tmp_path_factory, share_execution_cache) -> Path:
    """The offline site, built strictly into a fresh folder.

    It shares the session's execution cache, so the lessons are not run a second time;
    every page is still read and written anew.
    """
    out = tmp_path_factory.mktemp("offline-book")
    share_execution_cache(out / "_build")
    result = subprocess.run(
        [sys.executable, "-m", "sicourse.cli", "build", "--root", str(REPO), "--output", str(out),
         "--offline"],
        capture_output=True, text=True, cwd=REPO,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    return out / "_build" / "html"


@pytest.fixture(scope="session")
def offline_server(browser_tools, offline_book):
    with BookServer(offline_book) as server:
        yield server


@pytest.fixture
def no_internet_page(browser):
    """A page whose every request beyond localhost is aborted and logged as blocked."""
    log = PageLog()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)

    def refuse(route):
        log.blocked.append(route.request.url)
        route.abort("internetdisconnected")

    context.route(NOT_LOCAL, refuse)
    page = watch(context.new_page(), log)
    local: list[str] = []
    page.on("request", lambda request: local.append(request.url))
    yield page, log, local
    context.close()


@pytest.mark.parametrize("path", toc_pages())
def test_offline_page_renders_with_no_request_leaving_localhost(
        no_internet_page, offline_server, offline_book, path):
    """Does the page load with no console error, render every course widget and typeset its
    math, while not one request leaves localhost?"""
    page, log, requests = no_internet_page
    html = (offline_book / path).read_text(encoding="utf-8")
    expected = len(course_widgets(html))
    page.goto(offline_server.url + path, wait_until="load")
    if expected:
        wait_for_widgets(page, expected, log)
        # Course widgets need no third-party script: the course's renderer mounts them.
        assert not [r for r in requests if "html-manager" in r or "require" in r]
    if path == MATH_PAGE:
        page.locator("mjx-container").first.wait_for()
    page.wait_for_load_state("networkidle")
    assert log.blocked == []
    assert log.problems() == []


def test_offline_pages_point_at_the_sites_own_copies(offline_book):
    """Do the offline pages load no script, style sheet or image from the internet, and are
    the copied files in _static/offline/?"""
    assert offline_assets.remote_references(offline_book) == {}
    copied = offline_book / "_static" / "offline"
    for relative in offline_assets.asset_files(REPO / "node_modules").values():
        assert (copied / relative).is_file(), relative
    lesson = (offline_book / MATH_PAGE).read_text(encoding="utf-8")
    # The renderer's fallback files, relative to _static/sicourse-widgets.js.
    assert 'data-requirejs="offline/requirejs/require.js"' in lesson
    assert 'src="../_static/offline/mathjax/es5/tex-mml-chtml.js"' in lesson


def test_default_build_keeps_the_cdn_urls(built_book):
    """Does the ordinary build still load the pinned CDN files, with nothing copied in?"""
    lesson = (built_book / MATH_PAGE).read_text(encoding="utf-8")
    assert 'data-requirejs="https://cdn.jsdelivr.net/npm/requirejs@2.3.8/require.js"' in lesson
    assert "cdn.jsdelivr.net/npm/mathjax@3/" in lesson
    assert not (built_book / "_static" / "offline").exists()


def test_offline_config_changes_only_the_cdn_settings(tmp_path):
    """Is the generated configuration _config.yml with only the script settings replaced?"""
    original = yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))
    written = yaml.safe_load(offline_assets.write_config(
        REPO / "_config.yml", tmp_path / "c.yml").read_text(encoding="utf-8"))
    overrides = offline_assets.sphinx_overrides()
    assert written["sphinx"]["config"] == {**original["sphinx"]["config"], **overrides}
    del written["sphinx"]["config"], original["sphinx"]["config"]
    assert written == original
    urls = [v for k, v in overrides.items() if k.endswith("_url")] + [
        overrides["mathjax_path"], *overrides["sicourse_require_paths"].values()]
    assert all(not u.startswith(("http:", "https:", "/")) for u in urls)


def test_offline_build_without_npm_packages_says_to_run_npm_ci(tmp_path):
    """Without node_modules/, does `sicourse build --offline` stop at once and say to run
    `npm ci`, instead of building a site that silently needs the internet?"""
    shutil.copy(REPO / "_config.yml", tmp_path)
    shutil.copy(REPO / "package.json", tmp_path)
    result = CliRunner().invoke(main, ["build", "--root", str(tmp_path), "--offline"])
    assert result.exit_code != 0
    assert "npm ci" in result.output and "node_modules" in result.output
    assert not (tmp_path / "_build" / "html").exists()
