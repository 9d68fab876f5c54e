"""Diagrams: every lesson has one; each is a well-formed SVG kept as text beside its lesson,
with a title, a description, alt text and a caption in the page, a text description for
screen readers, and a place in the built page."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LESSONS = sorted((REPO / "lessons").glob("*.md"))
SVG = "{http://www.w3.org/2000/svg}"
FIGURE = re.compile(
    r"```\{figure\} (\S+\.svg)\n((?::[\w-]+:[^\n]*\n)*)\n(.+?)\n```\n\n(.*?)(?=\n\n)", flags=re.S)


def figures(lesson: Path) -> list[dict]:
    found = []
    for path, options, caption, after in FIGURE.findall(lesson.read_text("utf-8")):
        opts = dict(re.findall(r"^:([\w-]+):[ \t]*(.*)$", options, flags=re.M))
        found.append({"path": path, "options": opts, "caption": caption, "after": after})
    return found


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_every_lesson_has_a_diagram(lesson):
    """Does each lesson show at least one SVG diagram kept beside it?"""
    figs = figures(lesson)
    assert figs, "no ```{figure} ...svg``` in the lesson"
    for fig in figs:
        assert fig["path"].startswith(f"{lesson.stem}/"), fig["path"]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_each_figure_has_alt_text_a_caption_and_a_text_description(lesson):
    """Alt text, a caption, the diagram class (dark mode) and a text description after it?"""
    for fig in figures(lesson):
        opts = fig["options"]
        assert len(opts.get("alt", "").split()) >= 8, f"{fig['path']}: alt text too short"
        assert opts.get("class") == "diagram", f"{fig['path']}: needs :class: diagram"
        assert opts.get("name", "").startswith("fig-"), f"{fig['path']}: needs a :name:"
        assert fig["caption"].strip(), f"{fig['path']}: no caption"
        assert fig["after"].startswith("```{admonition} Text description of the diagram"), \
            f"{fig['path']}: no text description right after the figure"


def all_svgs() -> list[Path]:
    return sorted((REPO / "lessons").glob("*/*.svg"))


@pytest.mark.parametrize("svg", all_svgs(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_each_svg_is_well_formed_accessible_and_scalable(svg):
    """Valid XML, an <svg> root with a viewBox, role=img, a <title> and a <desc>; no raster,
    no script, nothing fetched from elsewhere?"""
    root = ET.parse(svg).getroot()
    assert root.tag == f"{SVG}svg"
    assert re.fullmatch(r"0 0 \d+ \d+", root.get("viewBox", "")), "needs a viewBox"
    assert "width" not in root.attrib and "height" not in root.attrib, "fixed size: use viewBox"
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text.strip()
    assert desc is not None and len(desc.text.split()) >= 15
    text = svg.read_text("utf-8")
    assert "<script" not in text and "<image" not in text
    assert not re.search(r"(href|src)=\"(https?:)?//", text), "an SVG must not fetch anything"


def test_every_svg_is_used_by_its_lesson():
    """Is every SVG beside a lesson shown in that lesson (no orphans)?"""
    used = {f"{lesson.stem}/{Path(f['path']).name}"
            for lesson in LESSONS for f in figures(lesson)}
    assert {f"{p.parent.name}/{p.name}" for p in all_svgs()} == used


def test_the_diagrams_the_course_promises_exist():
    """Problem tree, stakeholder map, impact-bond flows, science-shop steps, Skåne's three
    levels, theory of change and scaling: are they all drawn?"""
    names = {p.stem for p in all_svgs()}
    assert {"problem-tree", "stakeholder-map", "impact-bond-flows", "science-shop-steps",
            "three-levels", "theory-of-change", "scaling"} <= names


def test_built_pages_show_the_diagrams(built_book):
    """In the built book, does each lesson page show its SVGs with their alt text and
    captions, and are the SVG files and the dark-mode stylesheet copied?"""
    css = (built_book / "_static" / "diagrams.css").read_text("utf-8")
    assert 'html[data-theme="dark"] img.diagram' in css
    for lesson in LESSONS:
        page = (built_book / "lessons" / f"{lesson.stem}.html").read_text("utf-8")
        assert "diagrams.css" in page
        for fig in figures(lesson):
            name = Path(fig["path"]).name
            img = re.search(rf'<img[^>]*src="([^"]*{re.escape(name)})"[^>]*>', page)
            assert img, f"{lesson.stem}: {name} not shown"
            assert 'class="diagram' in img.group(0)
            assert 'alt="' in img.group(0)
            assert (built_book / "lessons" / img.group(1)).resolve().is_file()
