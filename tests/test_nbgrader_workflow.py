"""nbgrader, run as an instructor runs it from the repository root, grades assignment 1."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import nbformat
import pytest

from sicourse.grading import leaks, mutants, nbgrader_run

pytestmark = pytest.mark.nbgrader  # every test reads the graded course

ASSIGNMENT = "01-concepts"
NOTEBOOK = "concepts-and-definitions.ipynb"


def submit(course: Path, student: str, nb: nbformat.NotebookNode) -> None:
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / NOTEBOOK)


@pytest.fixture(scope="module")
def graded(tmp_path_factory, repo):
    """A copy of the course where three students were graded, with feedback and a CSV."""
    course = tmp_path_factory.mktemp("course")
    shutil.copytree(repo / "exercises", course / "exercises")
    shutil.copy(repo / "nbgrader_config.py", course)
    nbgrader_run.run(course, "generate_assignment", ASSIGNMENT)
    released = nbformat.read(course / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    key = nbformat.read(course / "exercises" / ASSIGNMENT / NOTEBOOK, as_version=4)
    submit(course, "key", key)
    submit(course, "blank", released)
    # Plausible wrong answers in the right format: they pass the public checks.
    submit(course, "wrong", mutants.apply(released, {
        "q1-answer": 'answer_q1 = "D"',
        "q2-answer": 'answer_q2 = ["A", "B", "C", "D"]',
    }))
    nbgrader_run.run(course, "autograde", ASSIGNMENT)
    nbgrader_run.run(course, "generate_feedback", ASSIGNMENT)
    nbgrader_run.run(course, "export")
    with open(course / "grades.csv", newline="") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    return course, rows


def autograded_points(repo) -> float:
    key = nbformat.read(repo / "exercises" / ASSIGNMENT / NOTEBOOK, as_version=4)
    return sum(
        c.metadata["nbgrader"].get("points", 0)
        for c in key.cells
        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
    )


def test_answer_key_earns_every_autograded_point(graded, repo):
    """Does the key, submitted as a student's work, get all the autograded points?"""
    _, rows = graded
    assert autograded_points(repo) == 10
    assert float(rows["key"]["score"]) == autograded_points(repo)


def test_unchanged_student_version_earns_nothing(graded):
    """Does a blank submission get zero?"""
    _, rows = graded
    assert float(rows["blank"]["score"]) == 0


def test_wrong_answers_in_the_right_format_earn_nothing(graded):
    """Do answers that pass the public format checks still fail the hidden tests?"""
    _, rows = graded
    assert float(rows["wrong"]["score"]) == 0
    assert float(rows["wrong"]["max_score"]) == 14


def test_feedback_is_written_for_every_student_without_hidden_tests(graded, repo):
    """Is there a feedback page per student, with no hidden test (or its failure) in it?"""
    course, _ = graded
    pages = sorted((course / "feedback").glob(f"*/{ASSIGNMENT}/*.html"))
    assert [p.parts[-3] for p in pages] == ["blank", "key", "wrong"]
    hidden = {
        line for line in leaks.key_secrets(repo / "exercises")
        if line.startswith("assert")
    }
    assert hidden, "no hidden test lines found to look for"
    assert leaks.find_leaks(pages, hidden) == []
    wrong = (course / "feedback" / "wrong" / ASSIGNMENT / NOTEBOOK.replace(".ipynb", ".html"))
    assert "did not pass" in wrong.read_text(encoding="utf-8")


def test_release_holds_only_what_students_need(graded):
    """Does the released assignment leave out mutants.yml (the catalogue of wrong answers)?"""
    course, _ = graded
    released = {p.name for p in (course / "release" / ASSIGNMENT).iterdir()}
    assert NOTEBOOK in released
    assert "mutants.yml" not in released
    assert not list((course / "feedback").rglob("mutants.yml"))


def test_the_exchange_formgrader_lists_is_usable(tmp_path, repo):
    """Does nbgrader's exchange (which Formgrader lists on every page) work from a fresh
    course folder, with no critical 'Unwritable directory' error?"""
    shutil.copy(repo / "nbgrader_config.py", tmp_path)
    result = nbgrader_run.run(tmp_path, "list")
    log = result.stdout + result.stderr
    assert "Unwritable directory" not in log and "CRITICAL" not in log
    assert (tmp_path / "exchange").is_dir()
