"""What ``sicourse grade`` writes into the course's gradebook, and what it remembers there.

Workers grade against private copies of the gradebook; the main process
merges each finished submission into the real one (student, submission and
timestamp, each cell's automatic score and comment, the late penalty,
nbgrader's ``flagged`` mark): a new submission through nbgrader's ``Gradebook``
API, then one statement per table on nbgrader's own models. It then
writes one row of its own table, ``sicourse_grading``::

    assignment, student, submission_hash, status, flags (JSON), seconds, graded_at

The row comes last: a row means the grades are in, and a second run skips a
submission whose row has the same hash as the files now in ``submitted/``.
A run killed halfway leaves at most the submissions it was merging without a
row, so they are graded again; grades are updated in place, never added
twice (the gradebook has one grade per student and cell).

The table is plain SQL in the gradebook's own database, so it works on
PostgreSQL too, and nbgrader ignores it. :func:`load` reads it; after each
run, :func:`export_flags` also writes the flags to
``autograded/<assignment>.flags.json`` (``{student: [{"code", "detail"}, ...]}``),
which ``sicourse report`` reads.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from nbgrader.api import (
    Assignment,
    BaseCell,
    Comment,
    Grade,
    Gradebook,
    MissingEntry,
    Notebook,
    SubmittedAssignment,
    SubmittedNotebook,
)
from nbgrader.utils import parse_utc
from sqlalchemy import select, text, update
from sqlalchemy.exc import SAWarning

from sicourse.grading.flags import REASONS, Flag

TABLE = "sicourse_grading"
STATUSES = ("graded", "flagged", "failed")


@dataclass
class Record:
    student: str
    submission_hash: str
    status: str  # graded | flagged | failed
    flags: list[Flag]
    seconds: float
    graded_at: str

    @property
    def reasons(self) -> list[str]:
        return [flag.reason for flag in self.flags]


@dataclass
class NotebookScores:
    """What a worker read from its private gradebook for one notebook of one submission."""

    grades: dict[str, float | None] = field(default_factory=dict)  # grade id -> auto score
    comments: dict[str, str | None] = field(default_factory=dict)  # grade id -> auto comment
    late_penalty: float | None = None


def submission_hash(folder: Path) -> str:
    """A digest of every file name and content under ``folder`` (links by their target)."""
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames + [d for d in dirnames if os.path.islink(
                os.path.join(dirpath, d))]):
            path = os.path.join(dirpath, name)
            digest.update(os.path.relpath(path, folder).encode("utf-8", "surrogateescape") + b"\0")
            if os.path.islink(path):
                digest.update(b"link:" + os.readlink(path).encode("utf-8", "surrogateescape"))
            elif os.path.isfile(path):
                with open(path, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        digest.update(chunk)
            digest.update(b"\0")
    return digest.hexdigest()


def ensure_table(gb: Gradebook) -> None:
    gb.db.execute(text(
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        " assignment VARCHAR(1024) NOT NULL, student VARCHAR(1024) NOT NULL,"
        " submission_hash VARCHAR(64) NOT NULL, status VARCHAR(16) NOT NULL,"
        " flags TEXT NOT NULL, seconds FLOAT, graded_at VARCHAR(40) NOT NULL,"
        " PRIMARY KEY (assignment, student))"
    ))
    gb.db.commit()


def load(db_url: str, assignment: str) -> dict[str, Record]:
    """{student: Record} for every submission of ``assignment`` that ``sicourse grade`` merged."""
    with Gradebook(db_url) as gb:
        ensure_table(gb)
        rows = gb.db.execute(text(
            f"SELECT student, submission_hash, status, flags, seconds, graded_at FROM {TABLE}"
            " WHERE assignment = :a"), {"a": assignment}).fetchall()
    return {
        row[0]: Record(row[0], row[1], row[2],
                       [Flag.from_dict(f) for f in json.loads(row[3]) if f.get("code") in REASONS],
                       row[4] or 0.0, row[5])
        for row in rows
    }


def export_flags(db_url: str, assignment: str, path: Path) -> Path:
    """Write every flagged or failed submission's flags as JSON (in one rename)."""
    flagged = {student: [flag.to_dict() for flag in record.flags]
               for student, record in sorted(load(db_url, assignment).items()) if record.flags}
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(flagged, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    partial.replace(path)
    return path


def save(gb: Gradebook, assignment: str, student: str, digest: str, status: str,
         flags: list[Flag], seconds: float) -> None:
    params = {"a": assignment, "s": student, "h": digest, "st": status,
              "f": json.dumps([f.to_dict() for f in flags]), "sec": round(seconds, 3),
              "t": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    gb.db.execute(text(f"DELETE FROM {TABLE} WHERE assignment = :a AND student = :s"), params)
    gb.db.execute(text(
        f"INSERT INTO {TABLE} (assignment, student, submission_hash, status, flags, seconds,"
        " graded_at) VALUES (:a, :s, :h, :st, :f, :sec, :t)"), params)


def merge(gb: Gradebook, assignment: str, student: str, timestamp: datetime | None,
          notebooks: dict[str, NotebookScores], flagged: bool) -> None:
    """Write one graded submission into the real gradebook, as nbgrader's autograde would.

    The caller commits (after :func:`save`, so the record and the last grades go together).

    Notebooks of the assignment missing from ``notebooks`` (unreadable or not
    submitted) score zero everywhere. A manual score already given stays, and
    the grade is marked for review, as ``SaveAutoGrades`` does.

    A new submission is added with nbgrader's API (which lays out its notebooks, grades
    and comments); then each table is read and written in one statement, not object by
    object: over a network, to PostgreSQL, that is four round trips instead of dozens.
    """
    found = gb.db.execute(
        select(SubmittedAssignment.id).join(Assignment, Assignment.id ==
                                            SubmittedAssignment.assignment_id)
        .where(Assignment.name == assignment, SubmittedAssignment.student_id == student)
    ).scalar()
    if found is None:
        gb.update_or_create_student(student)
        with warnings.catch_warnings():
            # nbgrader's add_submission builds the new rows before adding them to the
            # session, which SQLAlchemy 2 warns about; the rows are added right after.
            warnings.simplefilter("ignore", SAWarning)
            extra = {"timestamp": timestamp} if timestamp is not None else {}
            found = gb.add_submission(assignment, student, **extra).id
    elif timestamp is not None:
        gb.db.execute(update(SubmittedAssignment).where(SubmittedAssignment.id == found)
                      .values(timestamp=parse_utc(timestamp)))
    in_submission = SubmittedNotebook.assignment_id == found
    rows = gb.db.execute(select(SubmittedNotebook.id, Notebook.name).join(
        Notebook, Notebook.id == SubmittedNotebook.notebook_id).where(in_submission)).all()
    scores = {nb_id: notebooks.get(name) for nb_id, name in rows}
    if rows:
        gb.db.execute(update(SubmittedNotebook), [
            {"id": nb_id, "flagged": flagged,
             "late_submission_penalty": s.late_penalty if s else None}
            for nb_id, s in scores.items()])
    grades = [
        {"id": grade_id, "auto_score": auto,
         "needs_manual_grade": manual is not None or auto is None}
        for grade_id, manual, nb_id, cell in gb.db.execute(
            select(Grade.id, Grade.manual_score, Grade.notebook_id, BaseCell.name)
            .join(BaseCell, BaseCell.id == Grade.cell_id)
            .join(SubmittedNotebook, SubmittedNotebook.id == Grade.notebook_id)
            .where(in_submission))
        for auto in [scores[nb_id].grades.get(cell, 0) if scores[nb_id] else 0]
    ]
    if grades:
        gb.db.execute(update(Grade), grades)
    comments = [
        {"id": comment_id,
         "auto_comment": scores[nb_id].comments.get(cell) if scores[nb_id] else "No response."}
        for comment_id, nb_id, cell in gb.db.execute(
            select(Comment.id, Comment.notebook_id, BaseCell.name)
            .join(BaseCell, BaseCell.id == Comment.cell_id)
            .join(SubmittedNotebook, SubmittedNotebook.id == Comment.notebook_id)
            .where(in_submission))
    ]
    if comments:
        gb.db.execute(update(Comment), comments)


def read_scores(gb: Gradebook, assignment: str, student: str
                ) -> tuple[datetime | None, dict[str, NotebookScores]]:
    """The timestamp and scores of one submission, from a (private) gradebook."""
    try:
        submission = gb.find_submission(assignment, student)
    except MissingEntry:
        return None, {}
    found = {}
    for notebook in submission.notebooks:
        found[notebook.name] = NotebookScores(
            {g.name: g.auto_score for g in notebook.grades},
            {c.name: c.auto_comment for c in notebook.comments},
            notebook.late_submission_penalty,
        )
    return submission.timestamp, found
