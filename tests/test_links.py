"""Every link inside the built book leads somewhere; links out of it are listed, not fetched."""

from __future__ import annotations

import functools
import posixpath
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from sicourse.book.build import EXTERNAL_LINKS, write_external_links


class _Page(HTMLParser):
    """The ids (link targets) and the local links (href and src) of one HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.external: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(key):
                self.ids.add(attrs[key])
        for key in ("href", "src"):
            value = attrs.get(key)
            if value is None or (tag == "link" and attrs.get("rel") in ("preconnect",)):
                continue
            scheme = urlsplit(value).scheme
            if scheme in ("http", "https"):
                if tag == "a":
                    self.external.add(value)
            elif scheme in ("", "file"):
                self.links.append(value)


@functools.cache
def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def pages(html: Path) -> list[Path]:
    """The site's pages: not the theme's Jinja macro files that Sphinx copies into _static/."""
    return sorted(p for p in html.rglob("*.html") if "_static" not in p.relative_to(html).parts)


def broken_links(html: Path) -> list[str]:
    """Each local href/src in the site whose file, or #fragment in its page, does not exist."""
    problems = []
    for page in pages(html):
        here = page.relative_to(html).as_posix()
        for link in parse(page).links:
            parts = urlsplit(link)
            if parts.scheme == "file":
                problems.append(f"{here}: {link} points into the build machine")
                continue
            if parts.path:
                target = posixpath.normpath(posixpath.join(posixpath.dirname(here),
                                                           unquote(parts.path)))
                if target.startswith("../"):
                    problems.append(f"{here}: {link} leaves the site")
                    continue
                path = html / target
                if path.is_dir():
                    path = path / "index.html"
            else:
                path = page
            if not path.is_file():
                problems.append(f"{here}: {link} -> no file {path.relative_to(html)}")
            elif parts.fragment and path.suffix == ".html" and (
                    unquote(parts.fragment) not in parse(path).ids):
                problems.append(f"{here}: {link} -> no id {parts.fragment!r} in "
                                f"{path.relative_to(html)}")
    return problems


def test_every_internal_link_and_anchor_resolves(built_book):
    """Does every local link (pages, downloads, images, scripts) name a file in the site, and
    every #fragment an id on its page?"""
    assert broken_links(built_book) == []


def test_the_link_check_catches_a_missing_page_and_a_missing_anchor(tmp_path):
    """Would a link to a page that is not there, or to an anchor that is not there, fail?"""
    (tmp_path / "a.html").write_text('<h1 id="top">A</h1><a href="b.html#nowhere">B</a>'
                                     '<a href="c.html">C</a><a href="#top">top</a>'
                                     '<a href="../outside.html">out</a>')
    (tmp_path / "b.html").write_text('<h1 id="here">B</h1><a href="a.html#top">A</a>')
    assert broken_links(tmp_path) == [
        "a.html: b.html#nowhere -> no id 'nowhere' in b.html",
        "a.html: c.html -> no file c.html",
        "a.html: ../outside.html leaves the site",
    ]


def test_the_site_has_links_to_check(built_book):
    """Is the check not vacuous: do lesson pages link to other pages and to anchors?"""
    links = parse(built_book / "lessons" / "01-what-is-social-innovation.html").links
    assert any(".html#" in link for link in links)
    assert any(link.startswith("#") for link in links)


def test_external_links_are_listed_in_a_report(built_book):
    """Does the build write _build/external-links.txt, listing every web link of the site
    with a page that has it (for a person or a link checker, never fetched in CI)?"""
    report = built_book.parent / EXTERNAL_LINKS
    assert report.is_file(), "sicourse build wrote no external-links report"
    listed = {line.split("\t")[0]: line.split("\t")[1]
              for line in report.read_text(encoding="utf-8").splitlines()
              if line and not line.startswith("#")}
    found = {url for page in pages(built_book) for url in parse(page).external}
    assert found and set(listed) == found
    assert all(listed.values())


@pytest.mark.parametrize("where", ["text", "frame"])
def test_report_separates_text_links_from_buttons(tmp_path, where):
    """Are links written in a page's text listed apart from the theme's buttons?"""
    article = '<article class="bd-article"><a href="https://example.org/a">a</a></article>'
    frame = '<a href="https://example.org/button">b</a>'
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "p.html").write_text(frame + article)
    text = write_external_links(tmp_path / "html").read_text()
    text_part, frame_part = text.split("links in the page frame")
    url = "https://example.org/a" if where == "text" else "https://example.org/button"
    assert url in (text_part if where == "text" else frame_part)
