"""Fill in the roster from an LMS's own export, matched by id.

A submission download carries little: Moodle's has full names and the assignment's
participant ids, Canvas's only user ids. The LMS's own exports carry the rest:

- Canvas, *Grades > Export*: ``Student`` ("Last, First"), ``ID`` (the user id),
  ``SIS User ID``, ``SIS Login ID``, ``Section``, then a column per assignment, with a
  "Points Possible" row (and, for hidden grades, a "Manual Posting" row) under the header.
- Moodle, the assignment's *Download grading worksheet*: ``Identifier``
  ("Participant 1001", the participant id of the download), ``Full name``, then the
  identity fields the site shows (``Email address``, ``ID number``, ``Username``...).
  Moodle's grades export and participants list have no participant id; they are matched
  by ID number, username or e-mail once the roster has those.
- any CSV with some of the roster's own column names (``student_id``, ``email``...).

Each row is matched to roster entries by the first of these it has and the roster knows:
``student_id``, the LMS user id (Canvas ID, Moodle participant id), SIS user id / ID
number, SIS login id / username, e-mail (any case). A row matching nothing is reported,
or added as a new student with ``add_missing`` (its id: the student id or LMS user id).
Only non-empty values are taken; nothing in the roster is erased.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from sicourse.course import Course
from sicourse.grading import roster
from sicourse.grading.collect_layouts import safe_student_id
from sicourse.grading.csv_files import FORMULA_START
from sicourse.grading.roster import Person, RosterError

MAX_BYTES = 20 * 1024 * 1024
# Header (lowercased, spaces collapsed) -> roster field; "sortable_name" is "Last, First".
COLUMNS = {
    "student_id": "student_id", "student id": "student_id",
    "id": "lms_user_id", "identifier": "lms_user_id", "lms_user_id": "lms_user_id",
    "user id": "lms_user_id", "lms user id": "lms_user_id",
    "student": "sortable_name", "full name": "full_name", "full_name": "full_name",
    "name": "full_name",
    "first name": "first_name", "firstname": "first_name", "first_name": "first_name",
    "last name": "last_name", "lastname": "last_name", "last_name": "last_name",
    "surname": "last_name",
    "email address": "email", "email": "email", "e-mail": "email", "e-mail address": "email",
    "sis user id": "sis_user_id", "sis_user_id": "sis_user_id", "id number": "sis_user_id",
    "idnumber": "sis_user_id",
    "sis login id": "sis_login_id", "sis_login_id": "sis_login_id", "username": "sis_login_id",
    "login id": "sis_login_id",
    "section": "section", "sections": "section", "groups": "section", "group": "section",
}
KEYS = ("student_id", "lms_user_id", "sis_user_id", "sis_login_id", "email")
CANVAS_FORMULA = re.compile(r'^="(.*)"$', re.DOTALL)  # Canvas exports "=x" names as ="=x"
TRAILING_NUMBER = re.compile(r"(\d+)\s*$")


@dataclass
class Imported:
    path: Path
    lms: str  # canvas | moodle | "" (not recognised)
    rows: int = 0
    matched: dict[int, list[str]] = field(default_factory=dict)  # line -> student ids
    updated: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    unmatched: list[tuple[int, str]] = field(default_factory=list)  # (line, why)
    refused: list[tuple[int, str]] = field(default_factory=list)  # (line, field left out)
    gradebook: bool = True


def _text(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise RosterError(f"{path}: {size // 1024 // 1024} MB; an LMS export of a course's "
                              f"students is far smaller (cap: {MAX_BYTES // 1024 // 1024} MB).")
        data = path.read_bytes()
    except OSError as exc:
        raise RosterError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if data[:2] == b"PK":
        raise RosterError(f"{path}: a spreadsheet (xlsx or ods), not CSV: export it from the "
                          "LMS as CSV (or save it as CSV, UTF-8).")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RosterError(f"{path}: not UTF-8 text: export it from the LMS as CSV in UTF-8 "
                          "(or save it as \"CSV UTF-8\").") from None


def _rows(path: Path) -> list[list[str]]:
    text = _text(path)
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def _plain(value: str) -> str:
    """A cell as the LMS meant it: Canvas's ``="..."`` and a ``'`` before a formula undone."""
    value = value.strip()
    canvas = CANVAS_FORMULA.match(value)
    if canvas:
        value = canvas[1]
    if value[:1] == "'" and value[1:2] in (*FORMULA_START, "'"):
        value = value[1:]
    return value


def _lms(header: list[str]) -> str:
    names = set(header)
    if "identifier" in names:
        return "moodle"
    if {"student", "id"} <= names and ("section" in names or "sis login id" in names):
        return "canvas"
    return ""


def _values(row: dict[str, str]) -> dict[str, str]:
    """The roster fields of one row."""
    values = {}
    for column, value in row.items():
        name = COLUMNS.get(column)
        value = _plain(value)
        if name is None or not value or (name.endswith("name") and roster.is_placeholder(value)):
            continue
        if name == "sortable_name":
            last, comma, first = value.partition(",")
            if comma:
                values.setdefault("last_name", last.strip())
                values.setdefault("first_name", first.strip())
            else:
                values.setdefault("full_name", value)
            continue
        if name == "lms_user_id" and column == "identifier":
            number = TRAILING_NUMBER.search(value)  # "Participant 1001"
            value = number[1] if number else value
        values.setdefault(name, value)
    return values


class _Index:
    """Roster entries by each identifying value."""

    def __init__(self, people: dict[str, Person], lms: str) -> None:
        self.by: dict[str, dict[str, list[str]]] = {key: {} for key in KEYS}
        for student, person in people.items():
            for key in KEYS:
                value = student if key == "student_id" else getattr(person, key)
                if key == "lms_user_id" and lms and person.lms not in ("", "plain", lms):
                    continue  # a Moodle participant id is not a Canvas user id
                if value:
                    self.by[key].setdefault(self._norm(key, value), []).append(student)

    @staticmethod
    def _norm(key: str, value: str) -> str:
        return value.casefold() if key == "email" else value

    def find(self, values: dict[str, str]) -> list[str]:
        for key in KEYS:
            value = values.get(key, "")
            if value and self._norm(key, value) in self.by[key]:
                return self.by[key][self._norm(key, value)]
        return []


def _describe(values: dict[str, str]) -> str:
    """``Name: no student in the roster has <key> <value> or ...`` for an unmatched row."""
    name = roster.clean_text(" ".join(
        v for v in (values.get("first_name"), values.get("last_name"), values.get("full_name"))
        if v))
    keys = " or ".join(f"{key} {roster.clean_text(values[key], 64)}" for key in KEYS
                       if values.get(key))
    return f"{name or 'a row'}: no student in the roster has {keys}"


def import_roster(course: Course, path: Path, add_missing: bool = False) -> Imported:
    """Fill in ``course``'s roster from the LMS export ``path``, then write every entry into
    the gradebook's student records (if there is a gradebook)."""
    rows = _rows(path)
    if not rows:
        raise RosterError(f"{path}: empty.")
    header = [" ".join(_plain(cell).casefold().split()) for cell in rows[0]]
    if not any(COLUMNS.get(name) in KEYS for name in header):
        raise RosterError(f"{path}: no column to match students by; expected one of ID and "
                          "SIS User ID (Canvas's gradebook export), Identifier (Moodle's grading "
                          "worksheet), ID number, Username, Email address or student_id.")
    done = Imported(path, _lms(header))
    with roster.editing(course.roster) as current:
        index = _Index(current.people, done.lms)
        changed: set[str] = set()
        for line, cells in enumerate(rows[1:], start=2):
            row = dict(zip(header, cells, strict=False))
            values = _values(row)
            if not any(values.get(key) for key in KEYS):
                continue  # an empty line, Canvas's "Points Possible" or "Manual Posting" row
            done.rows += 1
            person, refused = roster.make_person("", **{k: v for k, v in values.items()
                                                        if k != "student_id"})
            done.refused += [(line, name) for name in refused]
            students = index.find(values)
            if not students:
                added = _add(current.people, values, person, done.lms) if add_missing else None
                if added is None:
                    why = _describe(values)
                    if add_missing:
                        why += "; not added: it has no usable student id or LMS id"
                    done.unmatched.append((line, why))
                    continue
                done.added.append(added)
                students = [added]
                index = _Index(current.people, done.lms)
            done.matched[line] = students
            for student in students:
                entry = current.people[student]
                newer = _for_entry(person, entry, done.lms)
                if entry.merge(newer):
                    changed.add(student)
        done.updated = sorted(changed - set(done.added))
        everyone = list(current.people.values())
    done.gradebook = roster.update_gradebook(course, everyone)
    return done


def _for_entry(person: Person, entry: Person, lms: str) -> Person:
    """What of ``person`` (a row) goes into ``entry``: not an LMS id of another LMS."""
    newer = Person(entry.student_id, **{name: getattr(person, name)
                                        for name in roster.FIELDS[1:]})
    if lms and entry.lms not in ("", "plain", lms):
        newer.lms_user_id = ""
    elif lms and newer.lms_user_id:
        newer.lms = lms
    return newer


def _add(people: dict[str, Person], values: dict[str, str], person: Person,
         lms: str) -> str | None:
    """Add the row as a new student, its id from the row's student id or LMS id."""
    raw = values.get("student_id") or values.get("lms_user_id") or ""
    student = safe_student_id(raw) if raw else None
    if student is None or student != raw or student in people:
        return None
    people[student] = Person(student, lms=lms if person.lms_user_id else "")
    return student
