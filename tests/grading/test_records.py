"""What sicourse grade writes into the gradebook (grading/records.py), on SQLite and on
PostgreSQL: the merged scores through nbgrader's API, and its own plain-SQL table."""

from __future__ import annotations

import json
import warnings
from datetime import datetime
from pathlib import Path

from nbgrader.api import Gradebook
from sqlalchemy.exc import SAWarning

from sicourse.course import Course
from sicourse.grading import records
from sicourse.grading.flags import Flag
from sicourse.grading.records import NotebookScores

ASSIGNMENT = "01-concepts"
NB = "concepts-and-definitions"


def released(url: str) -> None:
    """The assignment as generate_assignment leaves it: one test cell, one essay."""
    with warnings.catch_warnings(), Gradebook(url) as gb:
        warnings.simplefilter("ignore", SAWarning)
        gb.add_assignment(ASSIGNMENT)
        gb.add_notebook(NB, ASSIGNMENT)
        gb.add_grade_cell("q1-test", NB, ASSIGNMENT, max_score=6, cell_type="code")
        gb.add_grade_cell("q2-essay", NB, ASSIGNMENT, max_score=4, cell_type="markdown")


def merged(url: str, student: str, q1: float, flags: list[Flag], digest: str) -> None:
    with Gradebook(url) as gb:
        records.ensure_table(gb)
        scores = {NB: NotebookScores({"q1-test": q1, "q2-essay": None}, {}, 0.5)}
        records.merge(gb, ASSIGNMENT, student, datetime(2026, 3, 1, 12, 30), scores,
                      flagged=bool(flags))
        records.save(gb, ASSIGNMENT, student, digest, "flagged" if flags else "graded", flags,
                     1.25)
        gb.db.commit()


def test_grades_and_records_are_merged_and_read_back(course_with_gradebook):
    """Are the merged scores, the late penalty and the record (hash, status, flags) there
    after a merge, is a second merge an update (a manual grade kept, no second row), and are
    the flags exported?"""
    url = Course.at(course_with_gradebook).gradebook_url
    released(url)
    timeout = Flag("timeout", "cell q1-answer")
    merged(url, "ann", 6, [], "a" * 64)
    merged(url, "bob", 0, [timeout], "b" * 64)
    with Gradebook(url) as gb:  # a grader marks bob's essay in Formgrader
        essay = gb.find_grade("q2-essay", NB, ASSIGNMENT, "bob")
        essay.manual_score, essay.needs_manual_grade = 3, False
        gb.db.commit()
    merged(url, "bob", 2, [timeout], "c" * 64)  # graded again: the files changed

    done = records.load(url, ASSIGNMENT)
    assert sorted(done) == ["ann", "bob"]
    assert (done["ann"].submission_hash, done["ann"].status, done["ann"].flags) == (
        "a" * 64, "graded", [])
    assert (done["bob"].submission_hash, done["bob"].status, done["bob"].flags) == (
        "c" * 64, "flagged", [timeout])
    assert done["bob"].seconds == 1.25 and done["bob"].graded_at.startswith("20")
    with Gradebook(url) as gb:
        bob = gb.find_submission(ASSIGNMENT, "bob")
        assert (bob.score, bob.late_submission_penalty, bob.timestamp) == (
            5, 0.5, datetime(2026, 3, 1, 12, 30))
        essay = gb.find_grade("q2-essay", NB, ASSIGNMENT, "bob")
        assert (essay.manual_score, essay.needs_manual_grade) == (3, True)  # kept, to review
        assert gb.find_submission(ASSIGNMENT, "ann").score == 6
        assert len(gb.find_assignment(ASSIGNMENT).submissions) == 2
    path = records.export_flags(url, ASSIGNMENT, Path(course_with_gradebook) / "flags.json")
    assert json.loads(path.read_text()) == {"bob": [timeout.to_dict()]}


def test_merge_writes_every_notebook_grade_and_comment(course_with_gradebook):
    """A submission with two notebooks, one of them unreadable (missing from the scores):
    does the merge give the read one its scores, comments, penalty and flag, and the other
    zero everywhere, "No response." and no penalty, task cells included, as read back
    through nbgrader's own objects? And does it write nothing into another student's rows?"""
    url = Course.at(course_with_gradebook).gradebook_url
    released(url)
    with warnings.catch_warnings(), Gradebook(url) as gb:
        warnings.simplefilter("ignore", SAWarning)
        gb.add_solution_cell("q1-answer", NB, ASSIGNMENT)
        gb.add_task_cell("t1", NB, ASSIGNMENT, max_score=2, cell_type="markdown")
        gb.add_notebook("second", ASSIGNMENT)
        gb.add_grade_cell("s1-test", "second", ASSIGNMENT, max_score=3, cell_type="code")
        gb.add_solution_cell("s1-answer", "second", ASSIGNMENT)
    merged(url, "cat", 1, [], "c" * 64)  # a neighbour whose rows must stay as they are
    with Gradebook(url) as gb:
        records.merge(gb, ASSIGNMENT, "dan", None, {NB: NotebookScores(
            {"q1-test": 4, "q2-essay": None, "t1": None}, {"q1-answer": "checked", "t1": None},
            0.25)}, flagged=True)
        gb.db.commit()
    with Gradebook(url) as gb:
        dan = gb.find_submission(ASSIGNMENT, "dan")
        notebooks = {nb.name: nb for nb in dan.notebooks}
        assert sorted(notebooks) == ["concepts-and-definitions", "second"]
        first, second = notebooks[NB], notebooks["second"]
        assert {g.name: (g.auto_score, g.needs_manual_grade) for g in first.grades} == {
            "q1-test": (4, False), "q2-essay": (None, True), "t1": (None, True)}
        assert {c.name: c.auto_comment for c in first.comments} == {
            "q1-answer": "checked", "t1": None}
        assert (first.late_submission_penalty, first.flagged) == (0.25, True)
        assert {g.name: g.auto_score for g in second.grades} == {"s1-test": 0}
        assert {c.name: c.auto_comment for c in second.comments} == {"s1-answer": "No response."}
        assert (second.late_submission_penalty, second.flagged) == (None, True)
        assert dan.timestamp is None
        cat = gb.find_submission(ASSIGNMENT, "cat")
        assert {g.name: g.auto_score for nb in cat.notebooks for g in nb.grades
                if nb.name == NB} == {"q1-test": 1, "q2-essay": None, "t1": 0}
        assert all(not nb.flagged for nb in cat.notebooks)
