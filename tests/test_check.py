"""`sicourse check`: key earns all, blank earns none, no mutant earns an item's full points."""

from __future__ import annotations

import shutil

import nbformat
import pytest
import yaml
from click.testing import CliRunner

from sicourse.cli import main
from sicourse.grading import mutants

ASSIGNMENT = "01-concepts"


@pytest.fixture
def course(tmp_path, repo):
    """A copy of the repository's course files with assignment 1 only."""
    shutil.copy(repo / "nbgrader_config.py", tmp_path)
    shutil.copytree(repo / "exercises" / ASSIGNMENT, tmp_path / "exercises" / ASSIGNMENT)
    return tmp_path


def run_check(course):
    return CliRunner().invoke(main, ["check", ASSIGNMENT, "--root", str(course)])


def edit_mutants(course, change):
    path = course / "exercises" / ASSIGNMENT / mutants.FILE
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data))


@pytest.mark.nbgrader
def test_assignment_passes_with_a_table(course):
    """Does a sound assignment pass, with one row per autograded item?"""
    result = run_check(course)
    assert result.exit_code == 0, result.output
    assert "q1-test" in result.output and "q2-test" in result.output
    planted = yaml.safe_load((course / "exercises" / ASSIGNMENT / mutants.FILE).read_text())
    for item, item_mutants in planted.items():
        n = len(item_mutants)
        assert any(line.split()[0] == item and f"{n}/{n}  ok" in line
                   for line in result.output.splitlines() if line.strip()), item


@pytest.mark.nbgrader
def test_a_mutant_equal_to_the_key_is_reported(course):
    """Does a "mutant" that is really the right answer make the check fail?"""
    edit_mutants(course, lambda d: d["q1-test"].append({"q1-answer": 'answer_q1 = "b"'}))
    planted = yaml.safe_load((course / "exercises" / ASSIGNMENT / mutants.FILE).read_text())
    result = run_check(course)
    assert result.exit_code == 1
    assert f"mutant {len(planted['q1-test'])} earns full points" in result.output


@pytest.mark.nbgrader
def test_an_item_without_mutants_fails(course):
    """Is an autograded item with no mutants a failure?"""
    edit_mutants(course, lambda d: d.pop("q2-test"))
    result = run_check(course)
    assert result.exit_code == 1
    assert "has no mutants" in result.output


@pytest.mark.nbgrader
def test_a_key_that_misses_points_fails(course):
    """If the answer key itself is wrong, does the check say the key loses points?"""
    path = next((course / "exercises" / ASSIGNMENT).glob("*.ipynb"))
    nb = nbformat.read(path, as_version=4)
    mutants.grade_ids(nb)["q1-answer"].source = 'answer_q1 = "A"'
    nbformat.write(nb, path)
    result = run_check(course)
    assert result.exit_code == 1
    assert "the answer key earns 0 of 2" in result.output


@pytest.mark.nbgrader
def test_a_test_that_needs_more_than_plain_data_is_named(course):
    """Is a test whose answer is a function (not plain data) rejected, naming the cell?"""
    path = next((course / "exercises" / ASSIGNMENT).glob("*.ipynb"))
    nb = nbformat.read(path, as_version=4)
    mutants.grade_ids(nb)["q1-answer"].source = 'def answer_q1():\n    return "B"'
    nbformat.write(nb, path)
    result = run_check(course)
    assert result.exit_code == 1
    line = next(x for x in result.output.splitlines() if x.strip().startswith("q1-test"))
    assert "not plain data (answer_q1: an object of type function)" in line, result.output


@pytest.mark.parametrize("text, message", [
    ("q9-test: [{q1-answer: x}]", "item 'q9-test': not the grade_id of an autograded test"),
    ("q1-test: [{q9-answer: x}]", "'q9-answer' is not an answer cell's grade_id"),
    ("q1-test: []", "expected a non-empty list of mutants"),
    ("q1-test: [", "invalid YAML"),
])
def test_mutant_file_mistakes_are_named(course, text, message):
    """Does a mistake in mutants.yml name the file, the item and the problem?"""
    (course / "exercises" / ASSIGNMENT / mutants.FILE).write_text(text)
    result = run_check(course)
    assert result.exit_code == 1
    assert "mutants.yml" in result.output and message in result.output


def test_unknown_assignment_is_refused(course):
    """Does naming an assignment that does not exist give a clear error?"""
    result = CliRunner().invoke(main, ["check", "99-nothing", "--root", str(course)])
    assert result.exit_code == 1 and "no assignment 99-nothing in" in result.output


@pytest.mark.nbgrader
def test_every_assignment_in_the_course_passes(repo):
    """Do all the course's assignments pass: key full marks, blank zero, every mutant caught?"""
    assignments = sorted(p.name for p in (repo / "exercises").iterdir() if p.is_dir())
    assert len(assignments) == 6
    result = CliRunner().invoke(main, ["check", "--root", str(repo)])
    assert result.exit_code == 0, result.output
    assert f"All {len(assignments)} assignment(s) passed." in result.output
    for name in assignments:
        assert f"\n{name}\n" in result.output
