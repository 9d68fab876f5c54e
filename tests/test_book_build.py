"""The book builds strictly, every lesson runs, exercise pages are student versions."""

from __future__ import annotations

import re

import yaml


def toc_files(repo) -> list[str]:
    toc = yaml.safe_load((repo / "_toc.yml").read_text())
    return [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]


def test_build_succeeds_with_no_warnings(book_build):
    """Does `sicourse build` (warnings as errors) finish cleanly, printing no warning at all?"""
    log = book_build.stdout + book_build.stderr
    assert book_build.returncode == 0, log[-5000:]
    # Sphinx's own format ("file: WARNING: ..."), not a kernel's log lines.
    problems = re.findall(r"^.*(?:WARNING|ERROR|SEVERE|CRITICAL): .*$", log, flags=re.M)
    assert problems == []
    assert "The book is ready" in book_build.stdout


def test_every_toc_page_is_built(built_book, repo):
    """Does every file named in _toc.yml become an HTML page?"""
    for name in toc_files(repo):
        assert (built_book / f"{name}.html").is_file(), f"{name}.html missing"


def test_every_lesson_is_in_the_toc_and_executed_without_errors(built_book, repo):
    """Is every lesson in the book, and did each of its code cells run without an error output?"""
    lessons = sorted(p.stem for p in (repo / "lessons").glob("*.md"))
    assert lessons, "no lessons found"
    listed = toc_files(repo)
    for lesson in lessons:
        assert f"lessons/{lesson}" in listed, f"lessons/{lesson}.md is not in _toc.yml"
        page = (built_book / "lessons" / f"{lesson}.html").read_text(encoding="utf-8")
        assert "Traceback" not in page and 'class="output traceback' not in page, lesson
        cells = page.count("cell_output")
        assert cells > 0, f"{lesson}: no executed output (are the lesson's widgets running?)"


def test_lessons_show_their_widgets_from_saved_state(built_book, repo):
    """Does each lesson page carry saved widget state, so widgets work with no kernel?"""
    for md in sorted((repo / "lessons").glob("*.md")):
        page = (built_book / "lessons" / f"{md.stem}.html").read_text(encoding="utf-8")
        assert "application/vnd.jupyter.widget-state+json" in page, md.stem
        assert "application/vnd.jupyter.widget-view+json" in page, md.stem


def test_exercise_pages_are_student_versions(built_book, repo):
    """Is each exercise page built from its student version (answer cells emptied)?"""
    for source in sorted((repo / "exercises").glob("*/*.ipynb")):
        rel = source.relative_to(repo / "exercises").with_suffix(".html")
        page = built_book / "book" / "generated" / "assignments" / rel
        assert page.is_file(), f"no page for {source}"
        assert "NotImplementedError" in page.read_text(encoding="utf-8")
