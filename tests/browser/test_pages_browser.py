"""Every page of the built book in headless Chromium: it loads cleanly and its widgets render."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from serve import course_widgets, wait_for_widgets

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]


def toc_pages() -> list[str]:
    toc = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return [f"{name}.html" for name in files]


@pytest.mark.parametrize("path", toc_pages())
def test_page_loads_without_errors_and_renders_its_widgets(open_page, built_book, page_log, path):
    """Does the page load with no console or page error, never leave localhost, and render
    every course widget saved in it?"""
    html = built_book / path
    assert html.is_file(), f"{path} was not built"
    expected = len(course_widgets(html.read_text(encoding="utf-8")))
    page = open_page(path)
    if expected:
        wait_for_widgets(page, expected, page_log)
    page.wait_for_load_state("networkidle")
    assert page_log.problems() == []
