"""No answer-key text reaches students: not the book, its search index or their notebooks."""

from __future__ import annotations

import json
import re
import shutil

import nbformat
import pytest
from sphinx.search.en import SearchEnglish

from sicourse.book import student_versions
from sicourse.grading import leaks


@pytest.fixture(scope="module")
def secrets(repo):
    found = leaks.key_secrets(repo / "exercises")
    assert found, "no solution or hidden-test text found in exercises/: the scan would be empty"
    return found


def test_secrets_cover_solutions_hidden_tests_and_model_answers(secrets):
    """Does the scanner pick up all three kinds of hidden text from the key?"""
    text = "\n".join(secrets)
    assert 'answer_q1 = "B"' in text  # a solution line
    assert "assert type(answer_q1) is str" in text  # a hidden test line
    assert "Rubric (4 points)" in text  # the model answer and rubric of a written answer


def test_scanner_finds_a_planted_leak(tmp_path, secrets):
    """Would the scan fail if a secret did appear, raw or HTML-escaped?"""
    line = min(s for s in secrets if '"' in s)  # sets have no fixed order: choose one that has
    page = tmp_path / "page.html"
    escaped = line.replace('"', "&quot;")
    page.write_text(f"<p>{escaped}</p>")
    found = leaks.find_leaks([page], secrets)
    assert (page, line) in found
    # Also reported: only secrets inside the planted line (its code without the comment).
    assert all(p == page and s in line for p, s in found)


def test_a_solution_line_shown_without_its_comment_is_a_leak(tmp_path, repo):
    """Is a solution line a secret even where it appears without its explaining comment?"""
    nb = nbformat.read(repo / "exercises" / "05-impact-bonds" / "impact-bonds.ipynb",
                       as_version=4)
    line = next(x for c in nb.cells for x in c.source.splitlines()
                if x.startswith("answer_q") and "  # " in x)
    code = line.split("  # ")[0]
    page = tmp_path / "page.html"
    page.write_text(f"<pre>{code}</pre>")
    found = leaks.key_secrets(repo / "exercises")
    assert leaks.find_leaks([page], found) == [(page, code)]


def test_built_book_has_no_answer_key_text(built_book, secrets):
    """Do the HTML pages, _sources, downloadable notebooks, search index and JupyterLite site
    (its notebooks, contents index and widget files) hold no key text?"""
    files = [p for p in built_book.rglob("*") if p.is_file()]
    assert any(p.suffix == ".ipynb" for p in files), "no downloadable notebooks were scanned"
    lite = {p.relative_to(built_book / "lite").as_posix() for p in files
            if (built_book / "lite") in p.parents}
    assert "files/assignments/05-impact-bonds/impact-bonds.ipynb" in lite
    assert "files/assignments/05-impact-bonds/simulator.json" in lite
    assert leaks.find_leaks(files, secrets) == []


def test_search_index_has_no_words_only_the_key_uses(built_book, repo, secrets):
    """Does the search index contain no word that appears only in the answer key?

    The index stores stemmed words, not lines, so a leak there shows as a word
    that nothing a student may see contains.
    """
    stem = SearchEnglish({}).stem

    def stems(text: str, shortest: int) -> set[str]:
        return {stem(w) for w in re.findall(rf"[a-z]{{{shortest},}}", text.lower())}

    # Every word a student may see counts as visible; only longer key words are
    # distinctive enough to look for.
    visible = set().union(*(
        stems(p.read_text(encoding="utf-8"), 1)
        for folder in ("lessons", "book")
        for p in (repo / folder).rglob("*")
        if p.is_file() and p.suffix in {".md", ".yml", ".ipynb", ".bib"}
    ))
    key_only = stems(" ".join(secrets), 5) - visible
    assert key_only, "expected some words that only the key uses (the test would be empty)"
    raw = (built_book / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(raw[raw.index("(") + 1 : raw.rindex(")")])
    assert key_only & set(index["terms"]) == set()


def test_student_notebooks_have_no_answer_key_text(tmp_path, repo, secrets):
    """Are the student versions free of solutions, hidden tests and model answers?"""
    written = student_versions.generate(repo / "exercises", tmp_path)
    assert written
    assert leaks.find_leaks(written, secrets) == []


def test_student_version_keeps_the_graded_cells(tmp_path, repo):
    """Does the student version keep every graded cell's id and points, for nbgrader to grade?"""
    for source in sorted((repo / "exercises").glob("*/*.ipynb")):
        student = student_versions.student_notebook(source)
        key = nbformat.read(source, as_version=4)
        ids = [c.metadata["nbgrader"]["grade_id"] for c in key.cells if "nbgrader" in c.metadata]
        assert [c.metadata["nbgrader"]["grade_id"] for c in student.cells] == ids


def test_a_broken_source_notebook_is_named_in_the_error(tmp_path, repo):
    """Does a corrupt source notebook give an error naming the file, not a bare traceback?"""
    shutil.copytree(repo / "exercises", tmp_path / "exercises")
    bad = tmp_path / "exercises" / "01-concepts" / "broken.ipynb"
    bad.write_text("{ not json")
    with pytest.raises(student_versions.StudentVersionError, match="broken.ipynb"):
        student_versions.generate(tmp_path / "exercises", tmp_path / "out")


def test_scanner_finds_a_leak_in_highlighted_code(tmp_path, secrets):
    """Does the scan see a secret line split into syntax-highlighting spans?"""
    line = min(s for s in secrets if s.startswith("assert"))
    words = line.split(" ")
    spans = " ".join(f'<span class="n">{w.replace(chr(34), "&quot;")}</span>' for w in words)
    (tmp_path / "feedback.html").write_text(f"<pre>{spans}</pre>")
    page = tmp_path / "feedback.html"
    assert leaks.find_leaks([page], [line]) == [(page, line)]
