"""`sicourse grade` killed midway, then run again: only what is left is graded, nothing twice."""

from __future__ import annotations

import csv
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from released_class import released_class

from sicourse.grading import nbgrader_run

pytestmark = pytest.mark.nbgrader

ASSIGNMENT = "01-concepts"
NOTEBOOK = "concepts-and-definitions.ipynb"
ANSWERS = [
    {"q1-answer": 'answer_q1 = "B"', "q2-answer": 'answer_q2 = ["A", "C", "E", "F"]'},
    {"q1-answer": 'answer_q1 = "B"', "q2-answer": 'answer_q2 = ["A"]'},
    {"q1-answer": 'answer_q1 = "C"', "q2-answer": 'answer_q2 = ["F", "E", "C", "A"]'},
    {},
]
EXPECTED = [6, 2, 4, 0]
STUDENTS = [f"student-{i:02d}" for i in range(6)]


def expected(student: str) -> float:
    return EXPECTED[STUDENTS.index(student) % len(EXPECTED)]


@pytest.fixture(scope="module")
def template(tmp_path_factory, repo) -> Path:
    """A released course with eight submissions (right, half, partly right, blank)."""
    return released_class(repo, tmp_path_factory.mktemp("resume") / "course", ANSWERS, STUDENTS)


@pytest.fixture
def course(template, tmp_path) -> Path:
    return Path(shutil.copytree(template, tmp_path / "course"))


def command(course: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "sicourse.cli", "grade", ASSIGNMENT, "--root", str(course),
            "--timeout", "10", "--no-feedback", *args]


def recorded(course: Path) -> list[str]:
    try:
        with sqlite3.connect(course / "gradebook.db", timeout=10) as db:
            return [row[0] for row in db.execute(
                "SELECT student FROM sicourse_grading WHERE assignment = ?", (ASSIGNMENT,))]
    except sqlite3.OperationalError:  # the table is not there yet
        return []


def gradebook_rows(course: Path) -> dict[str, int]:
    """Rows per table that must hold one row per student (and cell): duplicates show here."""
    with sqlite3.connect(course / "gradebook.db") as db:
        return {
            "submissions": db.execute("SELECT COUNT(*) FROM submitted_assignment").fetchone()[0],
            "notebooks": db.execute("SELECT COUNT(*) FROM submitted_notebook").fetchone()[0],
            "grades": db.execute("SELECT COUNT(*) FROM grade").fetchone()[0],
            "records": db.execute("SELECT COUNT(*) FROM sicourse_grading").fetchone()[0],
        }


def scratch_processes(pid: int, course: Path) -> list[str]:
    """Command lines of a grading run's processes still running: its kernels and workers."""
    marks = (f"sicourse-grade-{pid}-", f"--root {course} ")
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if any(mark in cmdline for mark in marks) and int(entry.name) != pid:
            found.append(cmdline)
    return found


def kill_after(course: Path, done: int, sig: int) -> tuple[subprocess.Popen, str, list[str]]:
    """Start a run with one worker and send ``sig`` once ``done`` submissions are recorded."""
    process = subprocess.Popen(command(course, "--workers", "1"), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while len(recorded(course)) < done:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the run never got going"
        time.sleep(0.05)
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=30)
    return process, stderr, recorded(course)


def check_complete(course: Path) -> None:
    scores = nbgrader_run.cell_scores(course, ASSIGNMENT)
    assert sorted(scores) == STUDENTS
    for student, cells in scores.items():
        got = sum(c.score for c in cells.values() if c.autograded)
        assert got == expected(student), student
    with sqlite3.connect(course / "gradebook.db") as db:
        stamps = dict(db.execute("SELECT student_id, timestamp FROM submitted_assignment"))
    assert stamps["student-01"].startswith("2026-03-02 09:30:00"), stamps  # from timestamp.txt
    rows = gradebook_rows(course)
    assert rows["submissions"] == rows["records"] == len(STUDENTS)
    assert rows["notebooks"] == len(STUDENTS)
    assert rows["grades"] == len(STUDENTS) * 5  # q1-test, q2-test, q3-answer, q4-test, q5-test


@pytest.fixture(scope="module")
def resumed(template, tmp_path_factory):
    """A run killed (SIGKILL) after three submissions, then the same command run again."""
    course = Path(shutil.copytree(template, tmp_path_factory.mktemp("killed") / "course"))
    first, _, done = kill_after(course, 3, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while scratch_processes(first.pid, course) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = scratch_processes(first.pid, course)
    second = subprocess.run(command(course), capture_output=True, text=True, timeout=300)
    return {"course": course, "first": first, "done": done, "left": left, "second": second}


def test_a_killed_run_resumes_where_it_stopped(resumed):
    """Killed after three submissions, does a second run grade only the rest, once each?"""
    done, second = resumed["done"], resumed["second"]
    assert 3 <= len(done) < len(STUDENTS), done
    assert resumed["left"] == [], "workers or kernels outlived the killed run"
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"{len(done)} unchanged since last graded (skipped)" in second.stdout
    assert f"{len(STUDENTS) - len(done)} graded" in second.stdout
    check_complete(resumed["course"])
    pid = resumed["first"].pid
    assert not list(Path("/tmp").glob(f"sicourse-grade-{pid}-*")), "scratch left behind"


def test_force_regrades_all_and_a_changed_submission_is_regraded(resumed):
    """Does --force grade everything again, and a changed file get graded again without it?"""
    course = resumed["course"]
    again = subprocess.run(command(course, "--force"), capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"{len(STUDENTS)} graded" in again.stdout
    assert "skipped" not in again.stdout
    check_complete(course)

    # student-01 fixes the answer to question 2: only that submission is graded again.
    path = course / "submitted" / "student-01" / ASSIGNMENT / NOTEBOOK
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "q2-answer":
            cell.source = 'answer_q2 = ["A", "C", "E", "F"]'
    nbformat.write(nb, path)
    third = subprocess.run(command(course), capture_output=True, text=True, timeout=300)
    assert third.returncode == 0, third.stdout + third.stderr
    assert "1 graded" in third.stdout
    assert f"{len(STUDENTS) - 1} unchanged since last graded (skipped)" in third.stdout
    scores = nbgrader_run.cell_scores(course, ASSIGNMENT)["student-01"]
    assert sum(c.score for c in scores.values() if c.autograded) == 6
    with open(course / "reports" / f"{ASSIGNMENT}-grades.csv", encoding="utf-8") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    assert set(rows) == set(STUDENTS)  # every student, the one regraded included
    assert not (course / "grades.csv").exists()


def test_sigterm_stops_cleanly(course):
    """Stopped by SIGTERM, does the run say how to resume and leave consistent records?"""
    first, stderr, done = kill_after(course, 2, signal.SIGTERM)
    assert first.returncode == 130, stderr
    assert "run the same command again" in stderr
    assert 2 <= len(done) < len(STUDENTS)
    rows = gradebook_rows(course)
    assert rows["records"] == len(done) <= rows["submissions"]
    assert scratch_processes(first.pid, course) == []
