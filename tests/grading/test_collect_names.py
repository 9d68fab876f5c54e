"""`sicourse collect` keeps who each student is: roster.csv and nbgrader's student records,
from Moodle's and Canvas's downloads, hostile names included."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from nbformat.v4 import new_code_cell, new_notebook
from nbgrader.api import Gradebook

from sicourse.commands.collect import collect
from sicourse.course import Course
from sicourse.grading import roster

ASSIGNMENT = "01-concepts"
LMS = Path(__file__).parents[1] / "files" / "lms"
FORMULA = "=cmd|'-C calc'!A0"  # Moodle removes "/" from names: none here


@pytest.fixture
def course(course_with_gradebook) -> Path:
    return course_with_gradebook


def run(course: Path, source: Path, *args: str):
    return CliRunner().invoke(
        collect, [ASSIGNMENT, str(source), "--root", str(course), *args], catch_exceptions=False
    )


def notebook() -> bytes:
    return nbformat.writes(new_notebook(cells=[new_code_cell('answer_q1 = "B"')])).encode()


def people(course: Path) -> dict[str, roster.Person]:
    return roster.read(course / "roster.csv").people


def students(course: Path) -> dict[str, tuple]:
    with Gradebook(Course.at(course).gradebook_url) as gb:
        return {s.id: (s.first_name, s.last_name, s.email, s.lms_user_id) for s in gb.students}


def test_moodle_names_and_participant_ids_reach_the_roster_and_the_gradebook(course):
    """Does every student of a Moodle download, the one with online text only included,
    get a roster entry and a gradebook record with their name and participant id?"""
    result = run(course, LMS / "moodle")
    assert result.exit_code == 0, result.output
    found = people(course)
    assert sorted(found) == ["1001", "1002", "1003"]
    ali = found["1002"]
    assert (ali.first_name, ali.last_name, ali.full_name, ali.lms, ali.lms_user_id) == (
        "Ali", "Ören", "Ali Ören", "moodle", "1002")
    assert found["1003"].full_name == "Bo Lee"  # typed online text only: still a student
    assert students(course) == {"1001": ("Jane", "Doe", None, "1001"),
                                "1002": ("Ali", "Ören", None, "1002"),
                                "1003": ("Bo", "Lee", None, "1003")}
    assert ("roster: 3 added, 0 updated in " f"{course / 'roster.csv'} and the gradebook's "
            "student records") in result.stdout


def test_canvas_user_ids_reach_the_roster_with_a_hint_for_names(course):
    """Are Canvas students kept by user id (the download has no usable names), with a note
    on how to add names?"""
    result = run(course, LMS / "canvas")
    assert result.exit_code == 0, result.output
    found = people(course)
    assert sorted(found) == ["1234", "1240", "1250", "1301", "1302", "1310"]
    assert {(p.lms, p.lms_user_id == p.student_id, p.full_name) for p in found.values()} == {
        ("canvas", True, "")}
    assert "sicourse roster import" in result.stdout


def test_a_second_collect_fills_in_and_loses_no_one(course, tmp_path):
    """Does collecting again (students skipped) keep every entry, and a later download of
    some students add to the roster without dropping the others?"""
    run(course, LMS / "moodle")
    (course / "roster.csv").write_text(
        (course / "roster.csv").read_text(encoding="utf-8").replace(
            "1001,Jane,Doe,Jane Doe,moodle,1001,,,,", "1001,Jane,Doe,Jane Doe,moodle,1001,,,"
            "jane@example.org,"), encoding="utf-8")
    result = run(course, LMS / "moodle")
    assert "roster: 0 added, 0 updated" in result.stdout
    late = tmp_path / "late.zip"
    with zipfile.ZipFile(late, "w") as zf:
        zf.writestr("Cem Kaya_1004_assignsubmission_file_/a.ipynb", notebook())
    run(course, late)
    found = people(course)
    assert sorted(found) == ["1001", "1002", "1003", "1004"]
    assert found["1001"].email == "jane@example.org"


def test_hostile_names_are_cleaned_capped_escaped_and_never_paths(course, tmp_path):
    """Do names with terminal escapes, a 3000-character name and a spreadsheet formula end
    up cleaned, capped and escaped, printed escaped, and never as a folder?"""
    long = "Ö" * 3000
    source = tmp_path / "evil.zip"
    with zipfile.ZipFile(source, "w") as zf:
        zf.writestr("Eve\x1b[2J\rMallory\u202e_1004_assignsubmission_file_/a.ipynb", notebook())
        zf.writestr(f"{long} Long_1005_assignsubmission_file_/a.ipynb", notebook())
        zf.writestr(f"{FORMULA}_1006_assignsubmission_file_/a.ipynb", notebook())
    result = run(course, source, "--verbose")
    assert result.exit_code == 0, result.output
    output = result.stdout + result.stderr
    assert "\x1b" not in output and "\r" not in output and "\u202e" not in output
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["1004", "1005", "1006"]
    found = people(course)
    assert found["1004"].full_name == "Eve[2J Mallory"
    assert len(found["1005"].full_name) == roster.MAX_TEXT
    assert found["1006"].full_name == FORMULA  # read back as given...
    cells = [cell for row in csv.reader((course / "roster.csv").open(encoding="utf-8"))
             for cell in row]
    assert "'" + FORMULA in cells and FORMULA not in cells  # ...but escaped in the file
    gradebook = students(course)
    assert gradebook["1006"][0] == "'" + FORMULA.rsplit(" ", 1)[0]
    assert 0 < len(gradebook["1005"][1]) <= 128  # nbgrader's columns hold 128 characters


def test_a_dry_run_records_no_one(course):
    """Does --dry-run leave the roster and the gradebook alone?"""
    run(course, LMS / "moodle", "--dry-run")
    assert not (course / "roster.csv").exists()
    assert students(course) == {}


def test_a_broken_roster_is_reported_and_the_submissions_still_imported(course):
    """With a roster.csv that is not a roster, are the submissions imported, the roster left
    as it is, and the problem reported with exit status 1?"""
    (course / "roster.csv").write_text("name,email\nAnn,a@b.c\n", encoding="utf-8")
    result = run(course, LMS / "moodle")
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["1001", "1002"]
    assert "roster not updated: " in result.stderr and "no student_id column" in result.stderr
    assert (course / "roster.csv").read_text(encoding="utf-8") == "name,email\nAnn,a@b.c\n"
    assert result.exit_code == 1


def test_without_a_gradebook_the_roster_still_keeps_the_names(course, remove_gradebook):
    """Before nbgrader generate_assignment, are names kept in the roster and the missing
    gradebook left uncreated, with a word on when they reach it?"""
    remove_gradebook(course)
    result = run(course, LMS / "moodle")
    assert sorted(people(course)) == ["1001", "1002", "1003"]
    assert not remove_gradebook.exists(course)
    assert "no gradebook yet" in result.stdout


def test_blind_marking_names_are_not_taken_for_names(course, tmp_path):
    """With Moodle's blind marking the download says "Participant_1001_...": is that kept
    out of the names, and a name already known kept?"""
    run(course, LMS / "moodle")
    blind = tmp_path / "blind.zip"
    with zipfile.ZipFile(blind, "w") as zf:
        zf.writestr("Participant_1001_assignsubmission_file_/a.ipynb", notebook())
        zf.writestr("Participant_1004_assignsubmission_file_/a.ipynb", notebook())
    result = run(course, blind, "--force")
    assert result.exit_code == 0, result.output
    found = people(course)
    assert found["1001"].full_name == "Jane Doe"
    assert (found["1004"].full_name, found["1004"].last_name) == ("", "")
