"""The roster (roster.csv and nbgrader's student records): names kept, cleaned, capped,
escaped, merged without losing anything."""

from __future__ import annotations

import csv
import shutil
import stat
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from sicourse.course import Course
from sicourse.grading import roster
from sicourse.grading.csv_files import escape_cell, escape_reversibly, unescape_cell
from sicourse.grading.roster import Person, RosterError, clean_text, make_person

FORMULA = "=cmd|' /C calc'!A0"


@pytest.fixture
def course(tmp_path, repo) -> Course:
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(repo / "nbgrader_config.py", root)
    return Course.at(root)


@pytest.fixture
def gradebook(course, empty_gradebook) -> str:
    shutil.copy(empty_gradebook, course.root / "gradebook.db")
    return course.gradebook_url


def test_names_lose_control_bidi_and_line_characters_and_are_capped():
    """Are ESC, CR/LF, NUL and bidi overrides removed, spaces collapsed, length capped?"""
    assert clean_text("Ali\x1b[31m \r\nÖren\u202e\0") == "Ali[31m Ören"
    assert clean_text("  Zoë   O\u2019Brien ") == "Zoë O\u2019Brien"
    assert clean_text("می\u200cخواهم") == "می\u200cخواهم"  # ZWNJ is part of Persian words
    long = clean_text("A" * 5000)
    assert len(long) == roster.MAX_TEXT and long.endswith("…")


def test_a_full_name_is_split_and_first_and_last_names_joined():
    """Is the last word the last name, the rest the first, and the full name kept?"""
    person, refused = make_person("1001", full_name="Maria de la  Cruz", lms="moodle")
    assert (person.first_name, person.last_name, person.full_name) == (
        "Maria de la", "Cruz", "Maria de la Cruz")
    assert refused == []
    person, _ = make_person("1", first_name="Ali", last_name="Ören")
    assert person.full_name == "Ali Ören" and person.sortable_name == "Ören, Ali"
    person, _ = make_person("2", full_name="Plato")
    assert (person.first_name, person.last_name) == ("", "Plato")


def test_identifiers_that_would_change_are_refused_not_altered():
    """Is an e-mail with a control character, or an LMS id with spaces, left out and named?"""
    person, refused = make_person("1", email="a@b.c\x1b[2J", lms_user_id="12 34",
                                  sis_user_id="S" * 200, sis_login_id="jdoe")
    assert refused == ["lms_user_id", "sis_user_id", "email"]
    assert (person.email, person.lms_user_id, person.sis_user_id) == ("", "", "")
    assert person.sis_login_id == "jdoe"


def test_cells_are_escaped_against_formulas_and_read_back_exactly():
    """Does a formula-like value get a ' in front, and does the reversible form round-trip?"""
    for value in ("=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert escape_cell(value) == "'" + value
    assert escape_cell("'quoted") == "'quoted" and escape_cell("Ann") == "Ann"
    for value in (FORMULA, "'quoted", "''", "Ann", "", "-"):
        assert unescape_cell(escape_reversibly(value)) == value


def test_the_roster_file_round_trips_hostile_names_and_keeps_hand_added_columns(tmp_path):
    """Are formula names escaped in the file but read back as given, non-ASCII kept, and a
    column the instructor added kept on rewrite?"""
    path = tmp_path / "roster.csv"
    path.write_text("student_id,full_name,notes\n1001,Ali Ören,met in office hours\n",
                    encoding="utf-8")
    with roster.editing(path) as r:
        r.people["1002"], _ = make_person("1002", full_name=FORMULA, email="x@example.org")
        r.people["1003"], _ = make_person("1003", full_name="'Quoted O'Name")
    text = path.read_text(encoding="utf-8")
    rows = list(csv.reader(text.splitlines()))
    assert rows[0] == [*roster.FIELDS, "notes"]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    again = roster.read(path)
    assert again.people["1002"].full_name == FORMULA
    assert again.people["1003"].full_name == "'Quoted O'Name"
    assert again.people["1001"].extra == {"notes": "met in office hours"}
    assert again.people["1001"].last_name == "Ören"


def test_the_roster_is_written_in_one_rename_readable_by_its_owner_only(tmp_path):
    """Is a new roster private (0600), with no temporary file left beside it?"""
    path = tmp_path / "roster.csv"
    with roster.editing(path) as r:
        r.people["a"] = Person("a", full_name="A")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["roster.csv"]


def test_a_bad_roster_is_named_not_overwritten(tmp_path):
    """Does a file without student_id, or a line without an id, stop with the file and line?"""
    path = tmp_path / "roster.csv"
    path.write_text("name,email\nAnn,a@b.c\n", encoding="utf-8")
    with pytest.raises(RosterError, match="no student_id column"):
        roster.read(path)
    path.write_text("student_id,full_name\n1,Ann\n,Bob\n", encoding="utf-8")
    with pytest.raises(RosterError, match=r"line 3: no student_id"):
        with roster.editing(path) as r:
            r.people.clear()
    assert path.read_text(encoding="utf-8").endswith(",Bob\n")


def test_record_fills_in_without_erasing_and_never_loses_entries(course, gradebook):
    """Does recording add new students, fill in known ones, keep values it has no new value
    for, and keep students it was not given?"""
    first, _ = make_person("1001", full_name="Ali Ören", lms="moodle", lms_user_id="1001",
                           email="ali@example.org")
    other, _ = make_person("1002", full_name="Jane Doe", lms="moodle", lms_user_id="1002")
    done = roster.record(course, [first, other])
    assert done.added == ["1001", "1002"] and done.updated == []
    newer, _ = make_person("1001", full_name="Ali Ören Yılmaz", lms="moodle")
    done = roster.record(course, [newer])
    assert done.added == [] and done.updated == ["1001"]
    people = roster.read(course.roster).people
    assert set(people) == {"1001", "1002"}
    assert people["1001"].email == "ali@example.org"  # not erased by the empty newer value
    assert people["1001"].last_name == "Yılmaz"
    assert roster.record(course, [newer]).updated == []  # nothing new: nothing changed


def test_record_writes_names_into_nbgraders_student_records(course, gradebook):
    """Do first and last name, e-mail and LMS id reach the gradebook, a formula name
    escaped there too (stock nbgrader export copies names into a CSV as they are)?"""
    ali, _ = make_person("1001", full_name="Ali Ören", lms_user_id="1001",
                         email="ali@example.org")
    evil, _ = make_person("1002", first_name=FORMULA, last_name="-2+3")
    assert roster.record(course, [ali, evil]).gradebook
    with Gradebook(gradebook) as gb:
        student = gb.find_student("1001")
        assert (student.first_name, student.last_name, student.email, student.lms_user_id) == (
            "Ali", "Ören", "ali@example.org", "1001")
        student = gb.find_student("1002")
        assert (student.first_name, student.last_name) == ("'" + FORMULA, "'-2+3")


def test_an_unusable_gradebook_is_reported_as_a_roster_error(course, tmp_path):
    """Is a gradebook that cannot be opened reported in one line, the roster still written?"""
    bad = Course(course.root, course.config)
    (course.root / "gradebook.db").write_bytes(b"not a database" * 100)
    person, _ = make_person("1", full_name="Ann Lee")
    with pytest.raises(RosterError, match="names were not written to the gradebook"):
        roster.record(bad, [person])
    assert "Ann Lee" in Path(course.roster).read_text(encoding="utf-8")


def test_without_a_gradebook_names_wait_in_the_roster_and_reach_it_later(course,
                                                                         empty_gradebook):
    """Is a missing gradebook left uncreated, and does the next record write every roster
    entry into it, those recorded before included?"""
    ann, _ = make_person("1", full_name="Ann Lee")
    done = roster.record(course, [ann])
    assert done.added == ["1"] and not done.gradebook
    assert not (course.root / "gradebook.db").exists()
    shutil.copy(empty_gradebook, course.root / "gradebook.db")  # as generate_assignment would
    bob, _ = make_person("2", full_name="Bob Ray")
    assert roster.record(course, [bob]).gradebook
    with Gradebook(course.gradebook_url) as gb:
        assert [(s.id, s.last_name) for s in gb.students] == [("1", "Lee"), ("2", "Ray")]
