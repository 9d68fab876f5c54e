"""`sicourse grade` into a PostgreSQL gradebook: the same grades as into SQLite, and a grader
hand-grading in Formgrader (nbgrader's Gradebook API) while it runs loses nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from nbgrader.api import Gradebook
from released_class import released_class

from sicourse.course import Course
from sicourse.grading import nbgrader_run, records

pytestmark = [pytest.mark.nbgrader, pytest.mark.postgres]

ASSIGNMENT = "01-concepts"
NOTEBOOK = "concepts-and-definitions.ipynb"
NB = NOTEBOOK[:-6]
ANSWERS = [  # right, half, partly right, blank; an essay for the grader
    {"q1-answer": 'answer_q1 = "B"', "q2-answer": 'answer_q2 = ["A", "C", "E", "F"]',
     "q3-answer": "A new solution to a social need that also changes who decides."},
    {"q1-answer": 'answer_q1 = "B"', "q2-answer": 'answer_q2 = ["A"]'},
    {"q1-answer": 'answer_q1 = "C"', "q2-answer": 'answer_q2 = ["F", "E", "C", "A"]'},
    {},
]
AUTOGRADED = [6, 2, 4, 0]  # the points of the autograded cells, by answer
STUDENTS = [f"student-{i:02d}" for i in range(6)]


@pytest.fixture(scope="module")
def template(tmp_path_factory, repo) -> Path:
    """A released course (SQLite gradebook) with six submissions, each with a timestamp."""
    return released_class(repo, tmp_path_factory.mktemp("pg-grade") / "course", ANSWERS, STUDENTS)


def command(course: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "sicourse.cli", "grade", ASSIGNMENT, "--root", str(course),
            "--timeout", "10", *args]


def grade(course: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(command(course, *args), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def everything(course: Path) -> dict:
    """Every grade, comment, total, timestamp, penalty and record of the assignment."""
    url = Course.at(course).gradebook_url
    found = {}
    with Gradebook(url) as gb:
        for sub in gb.find_assignment(ASSIGNMENT).submissions:
            found[sub.student_id] = {
                "total": (sub.score, sub.max_score, sub.code_score, sub.written_score),
                "timestamp": sub.timestamp,
                "late_penalty": sub.late_submission_penalty,
                "flagged": [nb.flagged for nb in sub.notebooks],
                "needs_manual_grade": sub.needs_manual_grade,
                "grades": {(nb.name, g.name): (g.auto_score, g.manual_score,
                                               g.needs_manual_grade)
                           for nb in sub.notebooks for g in nb.grades},
                "comments": {(nb.name, c.name): (c.auto_comment, c.manual_comment)
                             for nb in sub.notebooks for c in nb.comments},
            }
    for student, record in records.load(url, ASSIGNMENT).items():
        found[student]["record"] = (record.submission_hash, record.status, record.flags)
    return found


def autograded_points(course: Path) -> dict[str, float]:
    return {student: sum(c.score for c in cells.values() if c.autograded)
            for student, cells in nbgrader_run.cell_scores(course, ASSIGNMENT).items()}


def test_grading_into_postgresql_gives_what_grading_into_sqlite_gives(template, tmp_path,
                                                                       to_postgres):
    """Graded the same way, do the PostgreSQL and the SQLite gradebook hold the same scores,
    comments, totals, timestamps and records, and the same grades file?"""
    sqlite = Path(shutil.copytree(template, tmp_path / "sqlite"))
    postgres = Path(shutil.copytree(template, tmp_path / "postgres"))
    to_postgres(postgres)
    grade(sqlite, "--workers", "2")
    grade(postgres, "--workers", "2")
    assert not (postgres / "gradebook.db").exists()
    expected = {s: AUTOGRADED[i % len(AUTOGRADED)] for i, s in enumerate(STUDENTS)}
    assert autograded_points(sqlite) == autograded_points(postgres) == expected
    on_sqlite, on_postgres = everything(sqlite), everything(postgres)
    assert sorted(on_postgres) == STUDENTS
    assert on_postgres == on_sqlite
    csv_file = Path("reports") / f"{ASSIGNMENT}-grades.csv"
    assert (postgres / csv_file).read_text() == (sqlite / csv_file).read_text()
    again = grade(postgres)  # a second run finds every record and grades nothing
    assert "6 unchanged since last graded (skipped)" in again.stdout, again.stdout
    assert everything(postgres) == on_postgres


def test_a_grader_hand_grading_while_grade_runs_loses_nothing(template, tmp_path, to_postgres):
    """While `sicourse grade` merges submission after submission into PostgreSQL, a grader
    saves a manual grade and comment (as Formgrader does) for a submission already merged:
    are the manual grade and every autograded score there at the end?"""
    course = Path(shutil.copytree(template, tmp_path / "course"))
    url = to_postgres(course)
    process = subprocess.Popen(command(course, "--workers", "1", "--no-feedback"),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300
        while "student-00" not in records.load(url, ASSIGNMENT):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the run never got going"
            time.sleep(0.1)
        with Gradebook(url) as gb:  # the grader, in Formgrader
            essay = gb.find_grade("q3-answer", NB, ASSIGNMENT, "student-00")
            essay.manual_score = 2.5
            essay.needs_manual_grade = False
            gb.find_comment("q3-answer", NB, ASSIGNMENT, "student-00").manual_comment = "Good."
            gb.db.commit()
        graded_so_far = len(records.load(url, ASSIGNMENT))
        still_running = process.poll() is None
        stdout, stderr = process.communicate(timeout=600)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, stdout + stderr
    assert still_running and graded_so_far < len(STUDENTS), (
        "the manual grade was not written while grading ran: the test proved nothing")
    found = everything(course)
    assert sorted(found) == STUDENTS
    assert found["student-00"]["grades"][(NB, "q3-answer")][1:] == (2.5, False)
    assert found["student-00"]["comments"][(NB, "q3-answer")][1] == "Good."
    expected = {s: AUTOGRADED[i % len(AUTOGRADED)] for i, s in enumerate(STUDENTS)}
    assert autograded_points(course) == expected
    assert found["student-00"]["total"][0] == expected["student-00"] + 2.5
