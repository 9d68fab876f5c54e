"""The course roster: who each student id is, kept in ``roster.csv`` and in nbgrader's
student records.

``sicourse collect`` adds every student a download names (Moodle: full name and the
assignment's participant id; Canvas: the user id); ``sicourse roster import`` fills in
what a download lacks (e-mail, SIS ids, section) from the LMS's own export. The roster
file has one row per student id, with the columns of :data:`FIELDS` (Moodle's *ID number*
is kept as ``sis_user_id`` and its *username* as ``sis_login_id``), followed by any
column added by hand, which is kept. Entries are only ever added or filled in: a value
is replaced by a newer non-empty one, never erased, and no entry is removed.

Names come from students through the LMS and are hostile data: control, bidi and line
characters are removed, lengths capped (:data:`MAX_TEXT`, the size of nbgrader's own
columns), identifiers that would not survive that unchanged are refused rather than
altered, and no name is ever used in a path. Cells are escaped against spreadsheet
formulas in the file (reversibly) and in the gradebook (a ``'`` in front), since stock
``nbgrader export`` copies the gradebook's names into a CSV as they are.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from nbgrader.api import Gradebook, InvalidEntry
from sqlalchemy.exc import SQLAlchemyError

from sicourse.course import Course, mask_url
from sicourse.errors import SicourseError
from sicourse.grading.csv_files import (
    escape_cell,
    escape_reversibly,
    render,
    unescape_cell,
    write_atomically,
)
from sicourse.grading.gradebook_check import gradebook_exists

FIELDS = ("student_id", "first_name", "last_name", "full_name", "lms", "lms_user_id",
          "sis_user_id", "sis_login_id", "email", "section")
TEXT_FIELDS = ("first_name", "last_name", "full_name", "lms", "section")
ID_FIELDS = ("lms_user_id", "sis_user_id", "sis_login_id", "email")
MAX_TEXT = 128  # nbgrader keeps first and last name, e-mail and LMS id in 128 characters
LMS_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,127}")
PLACEHOLDER = re.compile(r"participant[\s_]*\d*")
# Characters that reorder or hide text; ZWJ and ZWNJ (U+200C, U+200D) stay: names need them.
BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class RosterError(SicourseError):
    """The roster or the gradebook's student records cannot be read or written."""


def clean_text(value: str, limit: int = MAX_TEXT) -> str:
    """``value`` without control, bidi or line characters, spaces collapsed, at most
    ``limit`` characters (a longer one ends in ``…``)."""
    kept = []
    for char in value:
        kind = unicodedata.category(char)
        if char.isspace():  # tabs, line breaks, odd spaces
            kept.append(" ")
        elif char in BIDI or kind in ("Cc", "Cs", "Co", "Cn") or (
                kind == "Cf" and char not in "\u200c\u200d"):
            continue
        else:
            kept.append(char)
    text = " ".join("".join(kept).split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def no_markup(value: str) -> str:
    """``value`` with ``<`` and ``>`` replaced by look-alike angle brackets (U+2039, U+203A),
    so it reads the same but can never be HTML."""
    return value.replace("<", "\u2039").replace(">", "\u203a")


def clean_id(name: str, value: str) -> str | None:
    """An identifier as given (trimmed), "" if empty, or None if it is unusable: changing
    it to fit (cutting it, removing characters) would make it name someone else or no one."""
    value = value.strip()
    if not value:
        return ""
    if name == "lms_user_id":
        return value if LMS_ID.fullmatch(value) else None
    return value if clean_text(value) == value else None


def is_placeholder(name: str) -> bool:
    """Whether ``name`` is Moodle's stand-in for a hidden name (blind marking: the download's
    "Participant_1001_...", the worksheet's "Participant 1001"), not a name."""
    return PLACEHOLDER.fullmatch(name.strip().casefold()) is not None


def split_full_name(full: str) -> tuple[str, str]:
    """(first, last): the last word is the last name, the words before it the first."""
    words = full.split()
    if not words:
        return "", ""
    return " ".join(words[:-1]), words[-1]


@dataclass
class Person:
    """One roster entry; every field but ``student_id`` may be empty."""

    student_id: str
    first_name: str = ""
    last_name: str = ""
    full_name: str = ""
    lms: str = ""  # moodle | canvas | plain, or empty
    lms_user_id: str = ""  # Canvas user id; Moodle: the assignment's participant id
    sis_user_id: str = ""  # Canvas SIS User ID; Moodle ID number
    sis_login_id: str = ""  # Canvas SIS Login ID; Moodle username
    email: str = ""
    section: str = ""
    extra: dict[str, str] = field(default_factory=dict)  # columns added to the file by hand

    @property
    def name(self) -> str:
        return self.full_name or " ".join(p for p in (self.first_name, self.last_name) if p)

    @property
    def sortable_name(self) -> str:
        """``Last, First`` (Canvas's order), or the name as it is."""
        if self.last_name and self.first_name:
            return f"{self.last_name}, {self.first_name}"
        return self.name

    def merge(self, newer: Person) -> bool:
        """Take every non-empty value of ``newer``; whether anything changed."""
        changed = False
        for name in FIELDS[1:]:
            value = getattr(newer, name)
            if value and value != getattr(self, name):
                setattr(self, name, value)
                changed = True
        for name, value in newer.extra.items():
            if value and value != self.extra.get(name):
                self.extra[name] = value
                changed = True
        return changed

    def gradebook_fields(self) -> dict[str, str]:
        """The non-empty fields nbgrader's ``Student`` has, escaped against formulas and
        without ``<`` or ``>``: Formgrader's grading page puts names into its HTML unescaped
        (nbconvert's templates do not autoescape), so a name must not be able to open a tag."""
        values = {"first_name": escape_cell(no_markup(self.first_name)),
                  "last_name": escape_cell(no_markup(self.last_name)),
                  "email": escape_cell(no_markup(self.email)),
                  "lms_user_id": no_markup(self.lms_user_id)}
        return {name: value for name, value in values.items() if value}


def make_person(student_id: str, **values: str) -> tuple[Person, list[str]]:
    """A cleaned :class:`Person`, and the names of the identifiers refused as unusable.

    With a full name and no first or last name, the full name is split
    (:func:`split_full_name`); with first and last names and no full name, they are joined.
    """
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown roster fields: {sorted(unknown)}")
    person = Person(clean_text(student_id))
    refused = []
    for name in TEXT_FIELDS:
        setattr(person, name, clean_text(values.get(name, "")))
    for name in ID_FIELDS:
        value = clean_id(name, values.get(name, ""))
        if value is None:
            refused.append(name)
        setattr(person, name, value or "")
    if person.full_name and not (person.first_name or person.last_name):
        person.first_name, person.last_name = split_full_name(person.full_name)
    elif not person.full_name:
        person.full_name = clean_text(" ".join(
            p for p in (person.first_name, person.last_name) if p))
    return person, refused


@dataclass
class Roster:
    path: Path
    people: dict[str, Person] = field(default_factory=dict)  # student id -> entry
    extra_columns: list[str] = field(default_factory=list)

    def header(self) -> list[str]:
        return [*FIELDS, *self.extra_columns]

    def rows(self) -> list[list[str]]:
        header = self.header()
        rows = [header]
        for student in sorted(self.people):
            person = self.people[student]
            values = {f.name: getattr(person, f.name) for f in fields(person) if f.name in FIELDS}
            values.update(person.extra)
            rows.append([escape_reversibly(values.get(name, "")) for name in header])
        return rows


def read(path: Path) -> Roster:
    """The roster in ``path`` (empty if there is none), or RosterError saying what is wrong."""
    roster = Roster(path)
    if not path.exists():
        return roster
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"{path}: cannot be read ({exc})") from None
    reader = csv.reader(io.StringIO(text))
    header = [cell.strip() for cell in next(reader, [])]
    if not header:
        return roster
    if "student_id" not in header:
        raise RosterError(f"{path}: its first line has no student_id column; it is not a "
                          f"roster written by sicourse (columns: {', '.join(FIELDS)}).")
    roster.extra_columns = [name for name in dict.fromkeys(header) if name and name not in FIELDS]
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = zip(header, row, strict=False)  # a short row: its missing cells are empty
        values = {name: unescape_cell(cell) for name, cell in cells if name}
        student = clean_text(values.pop("student_id", ""))
        if not student:
            raise RosterError(f"{path}, line {line}: no student_id; give the student's id "
                              "or delete the line.")
        extra = {name: values.pop(name) for name in roster.extra_columns if name in values}
        person, _ = make_person(student, **values)  # a refused id is left out
        person.extra = extra
        if student in roster.people:
            roster.people[student].merge(person)
        else:
            roster.people[student] = person
    return roster


def write(roster: Roster) -> Path:
    return write_atomically(roster.path, render(roster.rows()))


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (two commands never edit the roster at once)."""
    try:
        import fcntl
    except ImportError:  # not on POSIX: no lock
        fcntl = None
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        if fcntl is not None:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


@contextlib.contextmanager
def editing(path: Path) -> Iterator[Roster]:
    """The roster in ``path``, written back (in one rename) if the block changed it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path.parent):
        roster = read(path)
        before = roster.rows()
        yield roster
        if roster.rows() != before:
            try:
                write(roster)
            except OSError as exc:
                raise RosterError(f"{path}: cannot be written ({exc.strerror or exc})") from None


@dataclass
class Recorded:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    path: Path | None = None
    gradebook: bool = True  # False: there is no gradebook yet, names wait in the roster


def record(course: Course, people: list[Person]) -> Recorded:
    """Add ``people`` to the course's roster (or fill in their entries), then write every
    roster entry's name, e-mail and LMS id into nbgrader's student records.

    The whole roster goes to the gradebook each time, so names recorded before the
    gradebook existed get there too. A gradebook that does not exist yet is not created
    (``nbgrader generate_assignment`` creates it): ``gradebook`` is then False.
    """
    done = Recorded(path=course.roster)
    with editing(course.roster) as roster:
        for person in people:
            entry = roster.people.get(person.student_id)
            if entry is None:
                roster.people[person.student_id] = replace(person, extra=dict(person.extra))
                done.added.append(person.student_id)
            elif entry.merge(person):
                done.updated.append(person.student_id)
        everyone = list(roster.people.values())
    done.gradebook = update_gradebook(course, everyone)
    return done


def update_gradebook(course: Course, people: list[Person]) -> bool:
    """Create or update each student's record in nbgrader's gradebook (empty fields leave
    what is there); False if there is no gradebook yet (it is not created)."""
    if not gradebook_exists(course):
        return False
    url = course.gradebook_url
    try:
        with Gradebook(url) as gradebook:
            for person in people:
                gradebook.update_or_create_student(person.student_id,
                                                   **person.gradebook_fields())
    except (InvalidEntry, SQLAlchemyError, OSError) as exc:
        raise RosterError(f"{mask_url(url)}: the students' names were not written to the "
                          f"gradebook ({type(exc).__name__}: {exc})") from None
    return True
