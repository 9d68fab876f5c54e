"""Formgrader on a PostgreSQL gradebook: nbgrader's own API (``NbGraderAPI``, what
Formgrader's pages and handlers call) reads the submissions from db_url in
nbgrader_config.py, and a manual grade written through ``Gradebook`` reads back."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.apps.api import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from traitlets.config.loader import PyFileConfigLoader

from sicourse.course import Course
from sicourse.grading import mutants, nbgrader_run

pytestmark = [pytest.mark.nbgrader, pytest.mark.postgres]

ASSIGNMENT = "01-concepts"
NOTEBOOK = "concepts-and-definitions"


@pytest.fixture(scope="module")
def graded(tmp_path_factory, repo, to_postgres) -> Path:
    """Two students autograded by stock nbgrader, the gradebook then moved to PostgreSQL."""
    course = nbgrader_run.scratch_course(repo, tmp_path_factory.mktemp("fg"), [ASSIGNMENT])
    nbgrader_run.run(course, "generate_assignment", ASSIGNMENT)
    released = nbformat.read(course / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb",
                             as_version=4)
    submissions = {
        "key": nbformat.read(course / "exercises" / ASSIGNMENT / f"{NOTEBOOK}.ipynb",
                             as_version=4),
        "wrong": mutants.apply(released, {"q1-answer": 'answer_q1 = "D"'}),
    }
    for student, nb in submissions.items():
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{NOTEBOOK}.ipynb")
    nbgrader_run.run(course, "autograde", ASSIGNMENT)
    to_postgres(course)
    return course


def api_of(course: Path) -> NbGraderAPI:
    """The API as Formgrader builds it: from the course's nbgrader_config.py."""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    coursedir = CourseDirectory(config=config)
    coursedir.root = str(course)
    return NbGraderAPI(coursedir, config=config)


def test_formgrader_lists_the_assignment_and_submissions_from_postgresql(graded):
    """Do the calls behind Formgrader's pages (assignments, submissions, notebook
    submissions, students, one submission) answer from the PostgreSQL gradebook?"""
    assert Course.at(graded).gradebook_path is None and not (graded / "gradebook.db").exists()
    api = api_of(graded)
    assert api.coursedir.db_url.startswith("postgresql+psycopg://")
    assignment = api.get_assignment(ASSIGNMENT)
    assert (assignment["num_submissions"], assignment["max_score"]) == (2, 14)
    assert [a["name"] for a in api.get_assignments()] == [ASSIGNMENT]
    submissions = {s["student"]: s for s in api.get_submissions(ASSIGNMENT)}
    assert sorted(submissions) == ["key", "wrong"]
    assert submissions["key"]["code_score"] == 10 and submissions["wrong"]["code_score"] < 10
    assert submissions["key"]["needs_manual_grade"]  # its essays await a grader
    notebooks = api.get_notebook_submissions(ASSIGNMENT, NOTEBOOK)
    assert sorted(n["student"] for n in notebooks) == ["key", "wrong"]
    assert [n["name"] for n in api.get_notebooks(ASSIGNMENT)] == [NOTEBOOK]
    assert {s["id"] for s in api.get_students()} == {"key", "wrong"}
    assert api.get_submission(ASSIGNMENT, "wrong")["student"] == "wrong"
    assert [s["student"] for s in api.get_student_submissions("key")] == ["key"]


def test_a_manual_grade_saved_as_formgrader_does_reads_back(graded, tmp_path):
    """Is a manual grade and comment written through nbgrader's Gradebook API (what
    Formgrader's handlers do) in the gradebook, and in the API's totals?"""
    url = Course.at(graded).gradebook_url
    with Gradebook(url) as gb:
        [essay] = [g for g in gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, "key").grades
                   if g.name == "q3-answer"]
        before = gb.find_submission(ASSIGNMENT, "key").score
        essay.manual_score = 2.5
        essay.needs_manual_grade = False
        comment = gb.find_comment("q3-answer", NOTEBOOK, ASSIGNMENT, "key")
        comment.manual_comment = "Clear, but name the innovation's users."
        gb.db.commit()
    with Gradebook(url) as gb:
        grade = gb.find_grade("q3-answer", NOTEBOOK, ASSIGNMENT, "key")
        assert (grade.manual_score, grade.score, grade.needs_manual_grade) == (2.5, 2.5, False)
        assert gb.find_comment("q3-answer", NOTEBOOK, ASSIGNMENT, "key").manual_comment == (
            "Clear, but name the innovation's users.")
        assert gb.find_submission(ASSIGNMENT, "key").score == before + 2.5
    submissions = {s["student"]: s for s in api_of(graded).get_submissions(ASSIGNMENT)}
    assert submissions["key"]["score"] == before + 2.5


def test_nbgraders_own_commands_work_on_postgresql(graded, tmp_path, postgres_url):
    """Do `nbgrader export` (its grades CSV) and `nbgrader db upgrade` (alembic, as the
    README tells instructors) work against a PostgreSQL db_url, and does the first
    generate_assignment create the gradebook in an empty database?"""
    nbgrader_run.run(graded, "export", "--to", str(tmp_path / "grades.csv"))
    lines = (tmp_path / "grades.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("assignment,duedate,timestamp,student_id")
    assert sorted(line.split(",")[3] for line in lines[1:]) == ["key", "wrong"]
    nbgrader_run.run(graded, "db", "upgrade")

    fresh = Path(shutil.copytree(graded / "exercises", tmp_path / "fresh" / "exercises")).parent
    shutil.copy(graded / "nbgrader_config.py", fresh)
    with (fresh / "nbgrader_config.py").open("a", encoding="utf-8") as config:
        config.write(f'\nc.CourseDirectory.db_url = "{postgres_url}"\n')
    nbgrader_run.run(fresh, "generate_assignment", ASSIGNMENT)
    with Gradebook(postgres_url) as gb:
        assert gb.find_assignment(ASSIGNMENT).max_score == 14
    assert not (fresh / "gradebook.db").exists()
