"""`sicourse export --lms canvas|moodle`: the file each LMS imports into its gradebook,
checked against each format's documented headers and a sample export from each LMS."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner
from nbgrader.api import Gradebook
from sqlalchemy.exc import SAWarning

from sicourse.cli import main
from sicourse.course import Course
from sicourse.grading import roster
from sicourse.grading.csv_files import FORMULA_START

ASSIGNMENT = "01-concepts"
LMS = Path(__file__).parents[1] / "files" / "lms"
NB = "concepts-and-definitions"
# student -> (autograded q1 of 6, hand-graded q2 of 4 or None: awaiting, late penalty)
CANVAS_GRADES = {"1234": (6, 4, 0), "1240": (6, 2.3333, 0), "1301": (4, 0, 0),
                 "1302": (6, 1, 0), "1310": (3, None, 0)}
MOODLE_GRADES = {"1001": (6, 3, 0.5), "1002": (6, None, 0)}


def sample(name: str) -> list[list[str]]:
    with (LMS / name).open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def grade(course: Path, scores: dict[str, tuple]) -> None:
    """The assignment and its graded submissions, as sicourse grade and Formgrader leave
    them: q1 autograded, q2 graded by hand (None: not yet), a late penalty."""
    with warnings.catch_warnings(), Gradebook(Course.at(course).gradebook_url) as gb:
        warnings.simplefilter("ignore", SAWarning)
        gb.add_assignment(ASSIGNMENT)
        gb.add_notebook(NB, ASSIGNMENT)
        gb.add_grade_cell("q1", NB, ASSIGNMENT, max_score=6, cell_type="code")
        gb.add_grade_cell("q2", NB, ASSIGNMENT, max_score=4, cell_type="markdown")
        for student, (auto, manual, penalty) in scores.items():
            gb.update_or_create_student(student)
            gb.add_submission(ASSIGNMENT, student)
            q1 = gb.find_grade("q1", NB, ASSIGNMENT, student)
            q1.auto_score, q1.needs_manual_grade = auto, False
            q2 = gb.find_grade("q2", NB, ASSIGNMENT, student)
            q2.manual_score, q2.needs_manual_grade = manual, manual is None
            gb.find_submission_notebook(NB, ASSIGNMENT, student).late_submission_penalty = (
                penalty)
        gb.db.commit()


@pytest.fixture
def course(course_with_gradebook) -> Path:
    return course_with_gradebook


def sicourse(course: Path, *args: str):
    return CliRunner().invoke(main, [*args, "--root", str(course)], catch_exceptions=False)


def rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


@pytest.fixture
def canvas(course) -> Path:
    """A Canvas course: collected, names from Canvas's gradebook export, graded."""
    assert sicourse(course, "collect", ASSIGNMENT, str(LMS / "canvas")).exit_code == 0
    result = sicourse(course, "roster", "import", "--add-missing",
                      str(LMS / "canvas-gradebook-export.csv"))
    assert result.exit_code == 0, result.output
    grade(course, CANVAS_GRADES)
    return course


@pytest.fixture
def moodle(course) -> Path:
    """A Moodle course: collected, e-mails and ID numbers from the grading worksheet."""
    assert sicourse(course, "collect", ASSIGNMENT, str(LMS / "moodle")).exit_code == 0
    result = sicourse(course, "roster", "import", "--add-missing",
                      str(LMS / "moodle-grading-worksheet.csv"))
    assert result.exit_code == 0, result.output
    grade(course, MOODLE_GRADES)
    return course


def canvas_header_is_valid(header: list[str]) -> bool:
    """Canvas's own check of an import's header (GradebookImporter#header? and
    #update_column_count): Student, ID, then SIS User ID + SIS Login ID, then Section."""
    return (len(header) > 3 and "Student" in header[0] and "ID" in header[1]
            and header[2] == "SIS User ID" and header[3] == "SIS Login ID"
            and "Section" in header[4])


def test_canvas_file_has_canvas_columns_points_row_and_current_grades(canvas):
    """Is the Canvas file laid out as Canvas's own export (its first five columns, its
    Points Possible row), one row per student by user id, manual grades included?"""
    result = sicourse(canvas, "export", ASSIGNMENT, "--lms", "canvas")
    assert result.exit_code == 0, result.output
    found = rows(canvas / "reports" / f"{ASSIGNMENT}-canvas-import.csv")
    own = sample("canvas-gradebook-export.csv")
    assert found[0][:5] == own[0][:5] and canvas_header_is_valid(found[0])
    assert found[0][5] == ASSIGNMENT
    assert found[1][0].strip() == own[2][0].strip() == "Points Possible"
    assert found[1] == ["Points Possible", "", "", "", "", "10"]
    assert all(len(row) == 6 for row in found)
    by_id = {row[1]: row for row in found[2:]}
    assert by_id["1234"] == ["Doe, Jane", "1234", "S1234", "jdoe",
                             "Social Innovation 101 - A", "10"]
    assert {i: by_id[i][5] for i in by_id} == {
        "1234": "10", "1240": "8.33", "1301": "4", "1302": "7", "1310": "", "1250": "",
        "1320": "", "9999": ""}
    assert by_id["1320"][0] == "calc'!A0, =cmd|'-C"  # "Last, First" from a formula name
    assert [row[1] for row in found[2:]] == [
        "1320", "1234", "1250", "1310", "1240", "1301", "1302", "9999"]  # by name, Ö as O
    for line in ("1250 (Bo Lee): no submission", "1310 (Mary O_Neil): awaiting manual grading",
                 "9999 (Test Student): no submission"):
        assert line in result.stderr
    assert "on import, an empty grade clears one already in Canvas" in result.stderr
    assert "In Canvas: Grades > Import" in result.stdout


def test_canvas_column_header_and_output_can_be_chosen(canvas, tmp_path):
    """Do --column (Canvas's "Name (id)") and --output set the header and the file?"""
    out = tmp_path / "to-canvas.csv"
    result = sicourse(canvas, "export", ASSIGNMENT, "--lms", "canvas", "--output", str(out),
                      "--column", "Concepts and definitions (5678)")
    assert result.exit_code == 0, result.output
    assert rows(out)[0][5] == "Concepts and definitions (5678)"
    assert not (canvas / "reports").exists()


def test_provisional_scores_only_when_asked(canvas):
    """Is a submission awaiting manual grading empty by default, and its score so far
    written (and listed as provisional) with --include-provisional?"""
    result = sicourse(canvas, "export", ASSIGNMENT, "--lms", "canvas", "--include-provisional")
    found = {row[1]: row[5] for row in rows(canvas / "reports" / f"{ASSIGNMENT}-canvas-import.csv")}
    assert found["1310"] == "3"
    assert "provisional: 1 student(s)" in result.stderr and "1310 (Mary O_Neil): 3" in (
        result.stderr)


def test_moodle_file_has_the_identifier_and_grade_columns(moodle):
    """Is the Moodle file an identifier column named as Moodle's own export names it and
    the grade column, every row with an identifier, late penalty taken off?"""
    result = sicourse(moodle, "export", ASSIGNMENT, "--lms", "moodle")
    assert result.exit_code == 0, result.output
    found = rows(moodle / "reports" / f"{ASSIGNMENT}-moodle-import.csv")
    assert found[0] == ["Email address", ASSIGNMENT]
    assert found[0][0] in sample("moodle-grades-export.csv")[0]
    assert sorted(found[1:]) == [["ali.oren@example.org", ""], ["bo.lee@example.org", ""],
                                 ["dan.roe@example.org", ""], ["jane.doe@example.org", "8.5"]]
    assert "1002 (Ali Ören): awaiting manual grading" in result.stderr
    assert "1009 (Dan Roe): no submission" in result.stderr
    assert ('map from "Email address" to "Email address"; Grade item mappings: '
            f'"{ASSIGNMENT}" to the assignment\'s grade item') in result.stdout
    result = sicourse(moodle, "export", ASSIGNMENT, "--lms", "moodle", "--id-column",
                      "idnumber")
    found = rows(moodle / "reports" / f"{ASSIGNMENT}-moodle-import.csv")
    assert found[0] == ["ID number", ASSIGNMENT] and ["S1001", "8.5"] in found
    assert found[0][0] in sample("moodle-grades-export.csv")[0]


def test_moodle_without_identifiers_is_a_clear_error_and_writes_nothing(moodle):
    """Does a graded student without the chosen identifier stop the export with a line
    naming them and the way out, leaving no file?"""
    result = sicourse(moodle, "export", ASSIGNMENT, "--lms", "moodle", "--id-column",
                      "username")
    assert result.exit_code == 1
    assert "graded student(s) have no Username in the roster" in result.stderr
    assert "1001 (Jane Doe)" in result.stderr and "sicourse roster import" in result.stderr
    assert not (moodle / "reports").exists()


def test_ungraded_students_without_an_identifier_are_listed_not_written(moodle):
    """Is a student with nothing to import and no e-mail listed and left out, not an error?"""
    with roster.editing(moodle / "roster.csv") as r:
        r.people["1004"], _ = roster.make_person("1004", full_name="Cem Kaya", lms="moodle")
    result = sicourse(moodle, "export", ASSIGNMENT, "--lms", "moodle")
    assert result.exit_code == 0, result.output
    assert "not written: 1 student(s) without a grade and without Email address" in (
        result.stderr)
    assert "  1004 (Cem Kaya): no submission" in result.stderr
    emails = [row[0] for row in rows(moodle / "reports" / f"{ASSIGNMENT}-moodle-import.csv")]
    assert len(emails) == 5 and "" not in emails


def test_one_person_under_two_ids_gets_one_row_with_the_grade(moodle):
    """Moodle numbers participants per assignment: is the roster entry of the same person
    from another assignment merged into one row (the grade kept), and two different grades
    for one person an error?"""
    with roster.editing(moodle / "roster.csv") as r:
        r.people["0999"], _ = roster.make_person("0999", full_name="Jane Doe", lms="moodle",
                                                 lms_user_id="999", email="JANE.DOE@example.org")
    result = sicourse(moodle, "export", ASSIGNMENT, "--lms", "moodle")
    found = rows(moodle / "reports" / f"{ASSIGNMENT}-moodle-import.csv")
    assert [row for row in found if row[0].casefold() == "jane.doe@example.org"] == [
        ["jane.doe@example.org", "8.5"]]
    assert "students 0999 and 1001 are the same person in Moodle" in result.stderr
    with roster.editing(moodle / "roster.csv") as r:
        r.people["1002"].email = "jane.doe@example.org"
    with Gradebook(Course.at(moodle).gradebook_url) as gb:
        gb.find_grade("q2", NB, ASSIGNMENT, "1002").manual_score = 1
        gb.find_grade("q2", NB, ASSIGNMENT, "1002").needs_manual_grade = False
        gb.db.commit()
    result = sicourse(moodle, "export", ASSIGNMENT, "--lms", "moodle")
    assert result.exit_code == 1 and "with two different grades (8.5 and 7)" in result.stderr


def test_hostile_values_are_escaped_in_every_cell(canvas):
    """Do names, SIS ids, sections and e-mails that look like formulas (or like Canvas's
    Points Possible row) reach the files only escaped or left out?"""
    with roster.editing(canvas / "roster.csv") as r:
        r.people["1234"].sis_user_id = "@SUM(1+1)*cmd|' /C calc'!A0"
        r.people["1234"].section = "+A1"
        r.people["1240"].first_name = "Points Possible"
        r.people["1301"].sis_login_id = "-2+3"
        r.people["1302"].email = "=1+1@example.org"
        for student in r.people:
            r.people[student].email = r.people[student].email or f"{student}@example.org"
    assert sicourse(canvas, "export", ASSIGNMENT, "--lms", "canvas").exit_code == 0
    result = sicourse(canvas, "export", ASSIGNMENT, "--lms", "moodle")
    assert "written with a ' in front, which Moodle will not match" in result.stderr
    files = [canvas / "reports" / f"{ASSIGNMENT}-{lms}-import.csv" for lms in ("canvas", "moodle")]
    for path in files:
        for row in rows(path):
            for cell in row:
                assert cell[:1] not in FORMULA_START, (path.name, cell)
    by_id = {row[1]: row for row in rows(files[0])}
    assert by_id["1234"][2:5] == ["'@SUM(1+1)*cmd|' /C calc'!A0", "jdoe", "'+A1"]
    assert by_id["1240"][0] == ""  # not read by Canvas as a second Points Possible row
    assert ["'=1+1@example.org", "7"] in rows(files[1])


def test_bad_requests_are_refused_in_one_line(canvas, remove_gradebook):
    """Do an unknown assignment, --id-column with Canvas and a missing gradebook give one
    clear line and exit status 1?"""
    result = sicourse(canvas, "export", "01-concept", "--lms", "canvas")
    assert result.exit_code == 1
    assert "no assignment '01-concept' in the gradebook (assignments: 01-concepts)" in (
        result.stderr)
    result = sicourse(canvas, "export", ASSIGNMENT, "--lms", "canvas", "--id-column", "email")
    assert result.exit_code == 2 and "--id-column is for --lms moodle only" in result.stderr
    remove_gradebook(canvas)
    result = sicourse(canvas, "export", ASSIGNMENT, "--lms", "canvas")
    assert result.exit_code == 1 and "no gradebook at " in result.stderr
