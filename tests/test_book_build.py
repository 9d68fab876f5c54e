"""The book builds strictly, every lesson runs, exercise pages are student versions."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.book


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


COURSE_FILES = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", "_build", "generated", "__pycache__", ".pytest_cache",
    ".ruff_cache", "release", "submitted", "autograded", "feedback", "gradebook.db", "docs")
LESSON_FRONT_MATTER = """---
jupytext: {text_representation: {extension: .md, format_name: myst}}
kernelspec: {display_name: Python 3, language: python, name: python3}
---
"""


def tiny_course(repo: Path, root: Path, page: str) -> Path:
    """A course with the real one's _config.yml (and the files its extensions read) whose
    table of contents is a title page and ``lessons/planted.md``, holding ``page``."""
    (root / "book" / "generated").mkdir(parents=True)  # the extension writes the glossary
    shutil.copy(repo / "_config.yml", root)
    shutil.copy(repo / "book" / "references.bib", root / "book")
    shutil.copytree(repo / "book" / "glossary", root / "book" / "glossary")
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: index\nchapters:\n  - file: lessons/planted\n")
    (root / "index.md").write_text("# A tiny course\n")
    (root / "lessons").mkdir()
    (root / "lessons" / "planted.md").write_text(page, encoding="utf-8")
    return root


def sicourse_build(course: Path) -> tuple[int, str]:
    """`sicourse build` of ``course``: its exit status and everything it printed."""
    result = subprocess.run([sys.executable, "-m", "sicourse.cli", "build", "--root",
                             str(course)], capture_output=True, text=True, cwd=course)
    assert "The book is ready" not in result.stdout
    return result.returncode, result.stdout + result.stderr


def test_a_warning_fails_the_build_and_all_are_reported(tmp_path, repo):
    """With a reference to a missing label and a link to a missing glossary term (each only
    a warning to Sphinx), does `sicourse build` with the course's configuration fail, for
    those two warnings alone, naming both (it keeps going past the first)?"""
    course = tiny_course(repo, tmp_path / "course", "# Planted\n\n"
                         "See {ref}`no-such-label` and {term}`No such term`.\n")
    code, log = sicourse_build(course)
    assert code != 0, log[-3000:]
    problems = re.findall(r"^.*(?:WARNING|ERROR|SEVERE|CRITICAL): .*$", log, flags=re.M)
    assert len(problems) == 2, log[-3000:]
    assert "no-such-label" in problems[0] and "No such term" in problems[1], problems
    assert "build finished with problems, 2 warnings" in log


def test_a_failing_lesson_cell_fails_the_build(tmp_path, repo):
    """Does a lesson cell that raises stop the build, naming the lesson and the error?"""
    course = tiny_course(repo, tmp_path / "course", LESSON_FRONT_MATTER + "# Planted\n\n"
                         "```{code-cell} ipython3\nraise ValueError('a planted failure')\n```\n")
    code, log = sicourse_build(course)
    assert code != 0, log[-3000:]
    assert "lessons/planted" in log and "a planted failure" in log, log[-3000:]


def test_plain_jupyter_book_build_gives_the_whole_book(tmp_path, repo, share_execution_cache):
    """Does `jupyter-book build .` alone, with no sicourse command, build every TOC page,
    the student versions of the exercises and the glossary included?"""
    course = shutil.copytree(repo, tmp_path / "course", ignore=COURSE_FILES)
    share_execution_cache(course / "_build")
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run([str(jupyter_book), "build", "."], capture_output=True,
                            text=True, cwd=course)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    html = course / "_build" / "html"
    for name in toc_files(repo):
        assert (html / f"{name}.html").is_file(), f"{name}.html missing"
    assert any(name.startswith("book/generated/assignments/") for name in toc_files(repo))
