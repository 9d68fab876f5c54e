"""The browser tests' own tools, and the CDN pins they rely on.

A missing tool fails here by name, never skips. The CDN URLs that _config.yml
gives the pages must match the npm packages package.json pins, or the tests
would serve different files from the ones the published book loads.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
from serve import (
    NODE_MODULES,
    SetupError,
    cdn_file,
    check_setup,
    npm_packages,
    version_satisfies,
)

from sicourse.book import widget_renderer

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]


def test_chromium_and_npm_packages_are_installed():
    """Are Debian's Chromium and the npm packages of package.json (npm ci) installed?"""
    try:
        check_setup()
        problem = ""
    except SetupError as exc:
        problem = str(exc)
    assert not problem, problem


def test_npm_pins_are_exact_versions():
    """Does package.json pin each CDN package to one exact version, as the pages' URLs do?"""
    for name, pin in npm_packages().items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", pin), f"{name}: '{pin}' is not an exact version"


def test_widget_manager_fallback_files_are_the_pinned_npm_files():
    """Are the files the renderer falls back to (require.js, the html-manager) files of pinned
    npm packages, and does require.js's `integrity` match that file's bytes?"""
    pins = npm_packages()
    urls = {widget_renderer.DEFAULTS["sicourse_requirejs_url"]:
            widget_renderer.DEFAULTS["sicourse_requirejs_integrity"],
            widget_renderer.DEFAULTS["sicourse_html_manager_url"]: ""}
    for url, integrity in urls.items():
        found = cdn_file(url)
        assert found is not None and found.path is not None, (url, found and found.problem)
        package = url.split("/npm/", 1)[1].rsplit("@", 1)[0]
        assert package in pins, f"{url}: {package} is not pinned in package.json"
        assert f"{package}@{pins[package]}/" in url, f"{url} is not {package}@{pins[package]}"
        if integrity:
            algorithm, expected = integrity.split("-", 1)
            digest = hashlib.new(algorithm, found.path.read_bytes()).digest()
            actual = base64.b64encode(digest).decode()
            assert actual == expected, (
                f"{url}: integrity should be {algorithm}-{actual} (update widget_renderer.py)")


def test_cdn_urls_map_to_node_modules():
    """Do jsdelivr npm URLs map to the right node_modules file, checking the version?"""
    anywidget = cdn_file("https://cdn.jsdelivr.net/npm/anywidget@~0.11.*/dist/index.js")
    assert anywidget.path == (NODE_MODULES / "anywidget/dist/index.js").resolve()
    scoped = cdn_file("https://cdn.jsdelivr.net/npm/@jupyter-widgets/html-manager@1.0.6/dist/"
                      "embed-amd.js")
    assert scoped.path == (NODE_MODULES / "@jupyter-widgets/html-manager/dist/embed-amd.js"
                           ).resolve()
    wrong = cdn_file("https://cdn.jsdelivr.net/npm/anywidget@0.9.0/dist/index.js")
    assert wrong.path is None and "0.9.0" in wrong.problem
    absent = cdn_file("https://cdn.jsdelivr.net/npm/anywidget@~0.11.*/dist/nope.js")
    assert absent.path is None and "no file" in absent.problem
    escape = cdn_file("https://cdn.jsdelivr.net/npm/anywidget@~0.11.*/../../package.json")
    assert escape.path is None
    assert cdn_file("https://unpkg.com/thebe@0.8.2/lib/index.js") is None


@pytest.mark.parametrize(("installed", "wanted", "ok"), [
    ("0.11.0", "~0.11.*", True), ("0.11.4", "~0.11.*", True), ("0.12.0", "~0.11.*", False),
    ("1.0.6", "1.0.6", True), ("1.0.7", "1.0.6", False), ("0.11.3", "^0.11.0", True),
    ("0.12.0", "^0.11.0", False), ("2.3.8", "^2.1.0", True), ("2.3.8", "2", True),
    ("2.3.8", "*", True), ("2.3.8", ">=2", False),
])
def test_version_ranges(installed, wanted, ok):
    """Does a CDN URL's version range accept exactly the npm versions npm would?"""
    assert version_satisfies(installed, wanted) is ok
