"""`sicourse roster import`: what a submission download lacks, from the LMS's own export,
matched by id; rows that match no one reported; hostile values cleaned and escaped."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from nbgrader.api import Gradebook

from sicourse.cli import main
from sicourse.course import Course
from sicourse.grading import roster

ASSIGNMENT = "01-concepts"
LMS = Path(__file__).parents[1] / "files" / "lms"


@pytest.fixture
def course(course_with_gradebook) -> Path:
    return course_with_gradebook


def sicourse(course: Path, *args: str):
    return CliRunner().invoke(main, [*args, "--root", str(course)], catch_exceptions=False)


def collected(course: Path, lms: str) -> None:
    result = sicourse(course, "collect", ASSIGNMENT, str(LMS / lms))
    assert result.exit_code == 0, result.output


def people(course: Path) -> dict[str, roster.Person]:
    return roster.read(course / "roster.csv").people


def test_canvas_gradebook_export_adds_names_sis_ids_and_sections(course):
    """After a Canvas collect (user ids only), does Canvas's gradebook export fill in names,
    SIS ids and sections by ID, in the roster and the gradebook, and list the rows of
    students who submitted nothing?"""
    collected(course, "canvas")
    result = sicourse(course, "roster", "import", str(LMS / "canvas-gradebook-export.csv"))
    assert result.exit_code == 0, result.output
    assert ("Canvas gradebook export, 8 student rows: 6 matched (6 students updated), "
            "0 added, 2 not matched") in result.stdout
    assert ("not matched, line 11: Test Student: no student in the roster has "
            "lms_user_id 9999") in result.stderr
    assert "not matched, line 10: =cmd|'-C calc'!A0:" in result.stderr
    found = people(course)
    jane = found["1234"]
    assert (jane.first_name, jane.last_name, jane.full_name, jane.sis_user_id,
            jane.sis_login_id, jane.section) == (
        "Jane", "Doe", "Jane Doe", "S1234", "jdoe", "Social Innovation 101 - A")
    assert (found["1301"].sis_login_id, found["1302"].sis_login_id) == ("jsmith", "jsmith2")
    with Gradebook(Course.at(course).gradebook_url) as gb:
        ali = gb.find_student("1240")
        assert (ali.first_name, ali.last_name, ali.lms_user_id) == ("Ali", "Ören", "1240")


def test_moodle_grading_worksheet_matches_participant_ids(course):
    """Does Moodle's grading worksheet ("Participant 1001") add e-mails and ID numbers, and
    --add-missing add the student who submitted nothing under their participant id?"""
    collected(course, "moodle")
    worksheet = str(LMS / "moodle-grading-worksheet.csv")
    result = sicourse(course, "roster", "import", worksheet)
    assert "Moodle grading worksheet, 4 student rows: 3 matched" in result.stdout
    assert "line 5: Dan Roe: no student in the roster has lms_user_id 1009" in result.stderr
    found = people(course)
    assert (found["1002"].email, found["1002"].sis_user_id) == ("ali.oren@example.org", "S1002")
    assert "1009" not in found
    result = sicourse(course, "roster", "import", "--add-missing", worksheet)
    assert "1 added, 0 not matched" in result.stdout
    dan = people(course)["1009"]
    assert (dan.full_name, dan.lms, dan.lms_user_id, dan.email) == (
        "Dan Roe", "moodle", "1009", "dan.roe@example.org")
    with Gradebook(Course.at(course).gradebook_url) as gb:
        assert gb.find_student("1009").email == "dan.roe@example.org"


def test_an_export_without_participant_ids_matches_by_id_number_or_email(course):
    """Is Moodle's grades export (no participant id) matched by ID number or e-mail once
    the roster has them, and does it erase nothing it has no value for?"""
    collected(course, "moodle")
    sicourse(course, "roster", "import", str(LMS / "moodle-grading-worksheet.csv"))
    before = people(course)
    result = sicourse(course, "roster", "import", str(LMS / "moodle-grades-export.csv"))
    assert "2 student rows: 2 matched (0 students updated)" in result.stdout
    assert people(course) == before


def test_a_participant_id_is_not_taken_for_a_canvas_user_id(course, tmp_path):
    """Does "Participant 1234" from Moodle leave alone the Canvas student whose user id is
    1234 (the numbers mean different things)?"""
    collected(course, "canvas")
    sheet = tmp_path / "worksheet.csv"
    sheet.write_text("Identifier,Full name,Email address\nParticipant 1234,Someone Else,"
                     "else@example.org\n", encoding="utf-8")
    result = sicourse(course, "roster", "import", str(sheet))
    assert "0 matched" in result.stdout and "1 not matched" in result.stdout
    assert people(course)["1234"].email == ""


def test_hostile_values_are_cleaned_refused_or_escaped(course, tmp_path, gradebook_backend):
    """Are names with terminal escapes cleaned, an e-mail with one left out and named, a very
    long name capped, Canvas's ="..." undone, and everything printed escaped?"""
    collected(course, "canvas")
    export = tmp_path / "export.csv"
    export.write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section\n"
        '"Doe\x1b[2J, Jane\r\u202e",1234,,,A\n'
        f'"{"X" * 4000}, Y",1240,,,A\n'
        '"=""=HYPERLINK(""http://evil"")""",1250,,,A\n'
        "Smith,1301,,,=1+1\n", encoding="utf-8")
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("student_id,email\n1302,a@b.c\x1b]0;pwned\x07\n", encoding="utf-8")
    result = sicourse(course, "roster", "import", str(export))
    second = sicourse(course, "roster", "import", str(sheet))
    output = result.output + second.output
    for raw in ("\x1b", "\r", "\u202e", "\x07"):
        assert raw not in output
    assert r"left out, line 2: email" in second.stderr
    found = people(course)
    assert (found["1234"].last_name, found["1234"].first_name) == ("Doe[2J", "Jane")
    assert len(found["1240"].last_name) == roster.MAX_TEXT
    assert found["1250"].full_name == '=HYPERLINK("http://evil")'
    assert found["1301"].section == "=1+1"
    assert found["1302"].email == ""
    text = (course / "roster.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and "'=1+1" in text
    assert sorted(p.name for p in course.iterdir()) == [  # exchange/: the config makes it
        "exchange", "exercises", *(["gradebook.db"] if gradebook_backend == "sqlite" else []),
        "nbgrader_config.py", "roster.csv", "submitted"]


def test_semicolons_and_a_byte_order_mark_are_read(course, tmp_path):
    """Is an export with ; between fields (Canvas in some locales) read the same?"""
    collected(course, "canvas")
    export = tmp_path / "export.csv"
    export.write_text("\ufeffStudent;ID;SIS User ID;SIS Login ID;Section\n"
                      "Doe, Jane;1234;S1234;jdoe;A\n", encoding="utf-8")
    result = sicourse(course, "roster", "import", str(export))
    assert "1 matched" in result.stdout
    assert people(course)["1234"].sis_user_id == "S1234"


@pytest.mark.parametrize("content, message", [
    (b"PK\x03\x04 spreadsheet", "a spreadsheet (xlsx or ods), not CSV"),
    ("Nom,Prénom\nÖren,Ali\n".encode("latin-1"), "not UTF-8 text"),
    (b"Name,Grade\nAli,3\n", "no column to match students by"),
    (b"", "empty"),
])
def test_unusable_files_are_refused_with_the_reason(course, tmp_path, content, message):
    """Do a spreadsheet, a non-UTF-8 file, a file with no id column and an empty file stop
    with one clear line and exit status 1, the roster untouched?"""
    collected(course, "moodle")
    before = (course / "roster.csv").read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    result = sicourse(course, "roster", "import", str(bad))
    assert result.exit_code == 1
    assert message in result.stderr and "Traceback" not in result.output
    assert (course / "roster.csv").read_bytes() == before


def test_a_blind_marking_worksheet_adds_no_names(course, tmp_path):
    """Does a worksheet of a blind-marked assignment ("Participant 1001" as the full name)
    add e-mails but keep "Participant 1001" out of the names?"""
    collected(course, "moodle")
    sheet = tmp_path / "worksheet.csv"
    sheet.write_text("Identifier,Full name,Email address\n"
                     "Participant 1001,Participant 1001,jane@example.org\n", encoding="utf-8")
    sicourse(course, "roster", "import", str(sheet))
    jane = people(course)["1001"]
    assert (jane.full_name, jane.email) == ("Jane Doe", "jane@example.org")
