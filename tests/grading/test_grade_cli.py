"""`sicourse grade` refuses what it cannot grade, with a message that says what to do."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from sicourse.cli import main
from sicourse.grading import nbgrader_run, records

ASSIGNMENT = "01-concepts"


def grade(*args: str):
    return CliRunner().invoke(main, ["grade", *args])


@pytest.fixture(scope="module")
def released(tmp_path_factory, repo) -> Path:
    course = nbgrader_run.scratch_course(repo, tmp_path_factory.mktemp("cli") / "course",
                                         [ASSIGNMENT])
    nbgrader_run.run(course, "generate_assignment", ASSIGNMENT)
    return course


def test_help_lists_the_options():
    result = grade("--help")
    assert result.exit_code == 0
    for option in ("--student", "--workers", "--timeout", "--force", "--notebook-timeout",
                   "--memory", "--no-feedback", "--root"):
        assert option in result.output


def test_a_course_without_gradebook_is_refused(tmp_path, repo):
    """Without generate_assignment first, does it say so instead of failing later?"""
    course = nbgrader_run.scratch_course(repo, tmp_path / "course", [ASSIGNMENT])
    result = grade(ASSIGNMENT, "--root", str(course))
    assert result.exit_code != 0
    assert "generate_assignment" in result.output


@pytest.mark.nbgrader
def test_an_unknown_assignment_is_refused(released):
    """Is a mistyped assignment named with the ones there are (not sent to generate it)?"""
    result = grade("01-concept", "--root", str(released))
    assert result.exit_code != 0
    assert "no assignment 01-concept in" in result.output
    assert "Did you mean 01-concepts?" in result.output
    assert "(assignments: 01-concepts)" in result.output
    assert "generate_assignment" not in result.output


def test_outside_a_course_folder_it_says_where_to_run(tmp_path):
    """From a folder with no nbgrader_config.py, does it say to run from the course folder?"""
    result = grade(ASSIGNMENT, "--root", str(tmp_path))
    assert result.exit_code != 0
    assert "nbgrader_config.py: not found" in result.output
    assert "Run from the course folder" in result.output
    assert "Traceback" not in result.output


@pytest.mark.nbgrader
def test_an_unreachable_database_server_is_named_with_its_password_masked(released, tmp_path):
    """Does a PostgreSQL db_url that cannot be reached stop grading before any worker starts,
    in one line naming nbgrader_config.py and the URL without its password?"""
    course = Path(shutil.copytree(released, tmp_path / "course"))
    url = "postgresql+psycopg://grader:s3cret@127.0.0.1:1/gradebook"
    with (course / "nbgrader_config.py").open("a", encoding="utf-8") as config:
        config.write(f'\nc.CourseDirectory.db_url = "{url}"\n')
    result = grade(ASSIGNMENT, "--root", str(course))
    assert result.exit_code == 1, result.output
    assert "cannot open the gradebook postgresql+psycopg://grader:***@127.0.0.1:1/gradebook" \
        in result.output
    assert f"db_url in {course / 'nbgrader_config.py'}" in result.output
    assert "the database server cannot be reached" in result.output
    assert "s3cret" not in result.output and "Traceback" not in result.output


@pytest.mark.nbgrader
def test_an_unknown_student_is_refused(released, tmp_path):
    course = Path(shutil.copytree(released, tmp_path / "course"))
    (course / "submitted" / "someone" / ASSIGNMENT).mkdir(parents=True)
    result = grade(ASSIGNMENT, "--root", str(course), "--student", "nobody")
    assert result.exit_code != 0
    assert "no submission of 01-concepts for: nobody" in result.output


@pytest.mark.nbgrader
def test_no_submissions_is_not_an_error(released, tmp_path):
    course = Path(shutil.copytree(released, tmp_path / "course"))
    result = grade(ASSIGNMENT, "--root", str(course), "--no-feedback")
    assert result.exit_code == 0, result.output
    assert "nothing graded" in result.output
    assert not (course / "grades.csv").exists()  # one grades file, per assignment, in reports/


@pytest.mark.parametrize("option", ["--workers=0", "--timeout=0", "--memory=10"])
def test_nonsense_limits_are_refused(option):
    result = grade(ASSIGNMENT, option)
    assert result.exit_code == 2


@pytest.mark.nbgrader
def test_a_notebook_past_its_time_limit_is_stopped(released, tmp_path):
    """Are cells each under the cell limit stopped once the notebook's limit is up, and does
    the cell that had finished keep its marks?"""
    course = Path(shutil.copytree(released, tmp_path / "course"))
    name = "concepts-and-definitions.ipynb"
    nb = nbformat.read(course / "release" / ASSIGNMENT / name, as_version=4)
    answers = {"q1-answer": 'import time\ntime.sleep(3)\nanswer_q1 = "B"',
               "q2-answer": 'time.sleep(4)\nanswer_q2 = ["A", "C", "E", "F"]'}
    for cell in nb.cells:
        cell.source = answers.get(cell.metadata.get("nbgrader", {}).get("grade_id"), cell.source)
    folder = course / "submitted" / "slow" / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / name)
    result = grade(ASSIGNMENT, "--root", str(course), "--timeout", "5",
                   "--notebook-timeout", "5", "--no-feedback")
    assert result.exit_code == 0, result.output
    [record] = records.load(f"sqlite:///{course / 'gradebook.db'}", ASSIGNMENT).values()
    assert "notebook-timeout" in {flag.code for flag in record.flags}, record.reasons
    scores = nbgrader_run.cell_scores(course, ASSIGNMENT)["slow"]
    assert (scores["q1-test"].score, scores["q2-test"].score) == (2, 0)
    graded = json.loads((course / "autograded" / "slow" / ASSIGNMENT / name).read_text())
    assert "NotRun" in json.dumps(graded)


@pytest.mark.nbgrader
def test_a_terminal_sees_a_progress_bar_and_a_summary_with_reasons(released, tmp_path):
    """Run in a terminal, does `sicourse grade` draw a progress bar that reaches n/n, then
    a summary that counts each outcome and gives a flagged submission's reason?"""
    import os
    import pty
    import subprocess
    import sys

    course = Path(shutil.copytree(released, tmp_path / "course"))
    blank = nbformat.read(course / "release" / ASSIGNMENT / "concepts-and-definitions.ipynb",
                          as_version=4)
    for student in ("ada", "bo"):
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(blank, folder / "concepts-and-definitions.ipynb")
    (course / "submitted" / "bo" / ASSIGNMENT / "notes.txt").write_text("extra")
    leader, follower = pty.openpty()
    try:
        process = subprocess.run(
            [sys.executable, "-m", "sicourse.cli", "grade", ASSIGNMENT, "--root", str(course),
             "--workers", "1", "--no-feedback"],
            stdout=subprocess.PIPE, stderr=follower, text=True, timeout=300,
            env={**os.environ, "COLUMNS": "100", "TERM": "xterm"})
        os.close(follower)
        drawn = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed once everything was read
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(leader)
    terminal = drawn.decode("utf-8", errors="replace")
    assert process.returncode == 0, process.stdout + terminal
    assert f"Grading {ASSIGNMENT}" in terminal and "2/2" in terminal, terminal
    assert "1/2" in terminal or "0/2" in terminal, terminal  # drawn while running
    assert "1 graded" in process.stdout and "1 flagged" in process.stdout, process.stdout
    assert "bo" in process.stdout and "extra files submitted" in process.stdout, process.stdout
