"""The CSV file each LMS imports into its gradebook, from the gradebook's current grades.

The grade of a submission is nbgrader's: its score (manual grades included) less its late
penalty, never below 0 (as ``nbgrader export`` computes it). A submission with items still
awaiting manual grading has no grade yet (its provisional score with ``provisional``).
Every student of the roster or of the gradebook gets a row; those without a grade get an
empty cell and are listed (:attr:`Export.ungraded`). Who each student is comes from the
roster (:mod:`~sicourse.grading.roster`), then from the gradebook's student records.

Canvas, *Grades > Import* (the layout of its own export, ``lib/gradebook_exporter.rb`` and
``lib/gradebook_importer.rb`` in canvas-lms): ``Student, ID, SIS User ID, SIS Login ID,
Section``, then the assignment's column, whose header names the Canvas assignment
(``Name (id)`` or its exact name; any other header makes Canvas offer a new assignment).
Canvas finds each student by ID (the Canvas user id), then SIS User ID, SIS Login ID, then
name. The second row is Canvas's ``Points Possible`` row: Canvas reads it only to give a
new assignment its points, and never changes an existing assignment's.

Moodle, *Grades > Import > CSV file*: an identifier column (``Email address``, ``ID number``
or ``Username``, as Moodle's own exports spell them) and the grade column; at import the
instructor maps the identifier ("Map from" / "Map to") and the grade column to the grade
item. Moodle refuses the whole file if a row's identifier matches no user, and a row with
an empty identifier would take the student of the row before it, so every row must have one:
a graded student without one is an error, an ungraded one is left out (and listed).

In both, an empty grade clears a grade already in the LMS, and one identifier on two rows
would let the later row win: rows of the same person (Moodle numbers participants per
assignment, so one person can be several roster entries) are merged, keeping the grade.
Every text cell is escaped against spreadsheet formulas.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from sicourse.course import Course, mask_url
from sicourse.errors import SicourseError
from sicourse.grading import roster
from sicourse.grading.csv_files import FORMULA_START, escape_cell, render, write_atomically
from sicourse.grading.gradebook_check import require_gradebook
from sicourse.grading.roster import Person

LMS = ("canvas", "moodle")
CANVAS_HEADER = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
POINTS_POSSIBLE = "Points Possible"
# --id-column -> (roster field, the column's header in Moodle's own exports)
MOODLE_IDS = {"email": ("email", "Email address"), "idnumber": ("sis_user_id", "ID number"),
              "username": ("sis_login_id", "Username")}
GRADED, PROVISIONAL = "graded", "provisional"
AWAITING, NO_SUBMISSION = "awaiting manual grading", "no submission"


class ExportError(SicourseError):
    """The grades cannot be exported as asked; the message says why and what to do."""


@dataclass
class Grade:
    person: Person
    score: float | None  # None: nothing to import
    status: str  # GRADED, PROVISIONAL, AWAITING or NO_SUBMISSION


@dataclass
class Export:
    assignment: str
    lms: str
    column: str
    max_score: float
    grades: list[Grade]
    path: Path | None = None
    warnings: list[str] = field(default_factory=list)
    merged: list[tuple[str, str]] = field(default_factory=list)  # (dropped id, kept id)
    left_out: list[Grade] = field(default_factory=list)  # ungraded, without an identifier

    @property
    def ungraded(self) -> list[Grade]:
        return [g for g in self.grades if g.score is None]

    @property
    def provisional(self) -> list[Grade]:
        return [g for g in self.grades if g.status == PROVISIONAL]


def points(value: float) -> str:
    """A score as the LMS reads it: at most two decimals, no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _ours(value: str | None) -> str:
    """A gradebook name without the ``'`` the roster put before a formula-like one."""
    value = value or ""
    return value[1:] if value[:1] == "'" and value[1:2] in FORMULA_START else value


def load_grades(course: Course, assignment: str, provisional: bool = False
                ) -> tuple[float, list[Grade]]:
    """The assignment's maximum score, and a :class:`Grade` for every student of the roster
    and of the gradebook, sorted by name as Canvas sorts them."""
    url = require_gradebook(course, "sicourse export", assignment)
    people = roster.read(course.roster).people
    with Gradebook(url) as gb:
        try:
            record = gb.find_assignment(assignment)
        except MissingEntry:
            known = ", ".join(sorted(a.name for a in gb.assignments)) or "none"
            raise ExportError(f"{mask_url(url)}: no assignment {assignment!r} in the gradebook "
                              f"(assignments: {known}); grade it first.") from None
        max_score = float(record.max_score)
        scores = {sub.student_id: (max(0.0, float(sub.score or 0)
                                       - float(sub.late_submission_penalty or 0)),
                                   bool(sub.needs_manual_grade))
                  for sub in record.submissions}
        everyone: dict[str, Person] = {}
        for student in gb.students:
            everyone[student.id], _ = roster.make_person(
                student.id, first_name=_ours(student.first_name),
                last_name=_ours(student.last_name), email=_ours(student.email),
                lms_user_id=student.lms_user_id or "")
    for student, person in people.items():
        everyone.setdefault(student, Person(student)).merge(person)
    grades = []
    for student, person in everyone.items():
        score, waiting = scores.get(student, (None, False))
        if score is None:
            grades.append(Grade(person, None, NO_SUBMISSION))
        elif waiting:
            grades.append(Grade(person, score if provisional else None,
                                PROVISIONAL if provisional else AWAITING))
        else:
            grades.append(Grade(person, score, GRADED))
    grades.sort(key=lambda g: (_sort_key(g.person.sortable_name), g.person.student_id))
    return max_score, grades


def _sort_key(name: str) -> str:
    """Ören sorts with Oren, as in an LMS's list, not after Z."""
    letters = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in letters if not unicodedata.combining(c))


def _merge_same_person(export: Export, key) -> None:
    """Keep one row per identifier: the graded one; two different grades are an error."""
    kept: dict[str, Grade] = {}
    for grade in list(export.grades):
        ident = key(grade.person)
        if not ident:
            continue
        first = kept.setdefault(ident, grade)
        if first is grade:
            continue
        if first.score is not None and grade.score is not None and first.score != grade.score:
            raise ExportError(
                f"students {first.person.student_id} and {grade.person.student_id} are the "
                f"same person in the LMS ({roster.clean_text(ident, 64)}) with two different "
                f"grades ({points(first.score)} and {points(grade.score)}); correct one of "
                "them in the gradebook (Formgrader) or the roster.")
        drop, keep = (first, grade) if first.score is None and grade.score is not None else (
            grade, first)
        kept[ident] = keep
        export.grades.remove(drop)
        export.merged.append((drop.person.student_id, keep.person.student_id))


def canvas_rows(export: Export) -> list[list[str]]:
    _merge_same_person(export, lambda p: p.lms_user_id if p.lms_user_id.isdigit() else "")
    rows = [[*CANVAS_HEADER, export.column],
            [POINTS_POSSIBLE, "", "", "", "", points(export.max_score)]]
    for grade in export.grades:
        person = grade.person
        name = person.sortable_name
        if POINTS_POSSIBLE.casefold() in name.casefold():
            export.warnings.append(f"{person.student_id}: name left out (Canvas would read "
                                   f"the row as its {POINTS_POSSIBLE} row)")
            name = ""
        canvas_id = person.lms_user_id if (person.lms_user_id.isdigit()
                                           and person.lms in ("", "canvas")) else ""
        if not canvas_id:
            export.warnings.append(f"{person.student_id} ({person.name or 'no name'}): no "
                                   "Canvas user id; Canvas matches the row by SIS id or name")
        score = "" if grade.score is None else points(grade.score)
        rows.append([name, canvas_id, person.sis_user_id, person.sis_login_id,
                     person.section, score])
    return [[escape_cell(cell) for cell in row] for row in rows]


def moodle_rows(export: Export, id_column: str) -> list[list[str]]:
    name, label = MOODLE_IDS[id_column]
    lacking = [g for g in export.grades if not getattr(g.person, name)]
    graded = [g.person for g in lacking if g.score is not None]
    if graded:
        who = ", ".join(f"{p.student_id} ({p.name or 'no name'})" for p in graded[:10])
        more = f" and {len(graded) - 10} more" if len(graded) > 10 else ""
        raise ExportError(
            f"{len(graded)} graded student(s) have no {label} in the roster, and Moodle "
            f"needs one on every row: {who}{more}. Fill it in with `sicourse roster import` "
            "(the assignment's grading worksheet), or in roster.csv, or choose another "
            "--id-column (email, idnumber, username).")
    for grade in lacking:  # no grade to give: listed, not written
        export.grades.remove(grade)
        export.left_out.append(grade)
    _merge_same_person(export, lambda p: getattr(p, name).casefold())
    rows = [[label, export.column]]
    for grade in export.grades:
        ident = getattr(grade.person, name)
        if escape_cell(ident) != ident:
            export.warnings.append(f"{grade.person.student_id}: {label} {ident!r} starts like "
                                   "a formula and is written with a ' in front, which Moodle "
                                   "will not match: correct that row by hand")
        rows.append([ident, "" if grade.score is None else points(grade.score)])
    return [[escape_cell(cell) for cell in row] for row in rows]


def export_grades(course: Course, assignment: str, lms: str, output: Path | None = None,
                  column: str | None = None, id_column: str = "email",
                  provisional: bool = False) -> Export:
    """Write the import file for ``lms`` (default: ``reports/<assignment>-<lms>-import.csv``)."""
    if lms not in LMS:
        raise ExportError(f"unknown LMS {lms!r}; choose one of {', '.join(LMS)}.")
    if id_column not in MOODLE_IDS:
        raise ExportError(f"unknown --id-column {id_column!r}; choose one of "
                          f"{', '.join(MOODLE_IDS)}.")
    max_score, grades = load_grades(course, assignment, provisional)
    column = column if column is not None else assignment
    if not column.strip():
        raise ExportError("the grade column needs a header (--column).")
    export = Export(assignment, lms, column, max_score, grades)
    rows = canvas_rows(export) if lms == "canvas" else moodle_rows(export, id_column)
    path = output or course.root / "reports" / f"{assignment}-{lms}-import.csv"
    try:
        export.path = write_atomically(path, render(rows))
    except OSError as exc:
        raise ExportError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    return export
