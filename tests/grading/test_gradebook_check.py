"""One check of the gradebook for every command: an SQLite file, or a database server
reached once, its password never shown (sicourse/grading/gradebook_check.py)."""

from __future__ import annotations

import shutil
import traceback
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from sicourse.cli import main
from sicourse.course import Course
from sicourse.grading.gradebook_check import GradebookError, require_gradebook

SECRET = "s3cret-Pa55"


def with_db_url(course: Path, url: str) -> Course:
    with (course / "nbgrader_config.py").open("a", encoding="utf-8") as config:
        config.write(f'\nc.CourseDirectory.db_url = "{url}"\n')
    return Course.at(course)


def test_a_missing_gradebook_is_named_with_what_creates_it(course_with_gradebook,
                                                           remove_gradebook):
    """SQLite file or PostgreSQL database: does the check find the gradebook, and once it is
    gone name where it should be and the command that creates it, creating nothing?"""
    root = course_with_gradebook
    course = Course.at(root)
    assert require_gradebook(course, "sicourse report") == course.gradebook_url
    remove_gradebook(root)
    with pytest.raises(GradebookError) as error:
        require_gradebook(course, "sicourse report", "01-concepts")
    assert str(error.value) == (
        f"sicourse report: no gradebook at {course.gradebook_path or course.gradebook_shown} "
        f"(db_url in {root / 'nbgrader_config.py'}): run `nbgrader generate_assignment "
        f"01-concepts` in {root} first, which creates it.")
    assert not remove_gradebook.exists(root)  # looking created nothing
    password = make_url(course.gradebook_url).password
    assert password is None or password not in str(error.value)


@pytest.mark.parametrize("url, why", [
    (f"postgresql+psycopg://grader:{SECRET}@127.0.0.1:1/gradebook",
     "the database server cannot be reached"),
    (f"postgresql+psycopg://grader:{SECRET}@/gradebook?host=/nonexistent",
     "the database server cannot be reached"),
    (f"postgresql+nodriver://grader:{SECRET}@db/gradebook", "is not a database URL"),
    (f"postgresql+pg8000://grader:{SECRET}@db/gradebook",
     "needs a database driver that is not installed (No module named 'pg8000'); for "
     "PostgreSQL write postgresql+psycopg://"),
    (f"not a url://grader:{SECRET}@db", "is not a database URL"),
])
def test_a_server_that_cannot_be_used_is_one_line_without_its_password(tmp_path, url, why):
    """Does an unreachable server or a bad URL give one line naming nbgrader_config.py and
    why, with the password masked, also in the traceback a user could be shown?"""
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n", encoding="utf-8")
    course = with_db_url(tmp_path, url)
    with pytest.raises(GradebookError) as error:
        require_gradebook(course, "sicourse grade")
    message = str(error.value)
    assert why in message and f"{tmp_path / 'nbgrader_config.py'}" in message
    assert "\n" not in message
    shown = "".join(traceback.format_exception(error.type, error.value, error.tb))
    assert "grader:***@" in message or "not a url" in message
    assert SECRET not in shown


def course_at(tmp_path: Path, repo: Path, url: str) -> Path:
    """A course with assignment 1's source whose db_url is ``url``."""
    root = tmp_path / "course"
    shutil.copytree(repo / "exercises" / "01-concepts", root / "exercises" / "01-concepts")
    shutil.copy(repo / "nbgrader_config.py", root)
    with_db_url(root, url)
    return root


COMMANDS = [["grade", "01-concepts"], ["report", "01-concepts"], ["feedback", "01-concepts"],
            ["export", "01-concepts", "--lms", "canvas"]]


@pytest.mark.postgres
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_a_wrong_password_is_one_line_that_never_shows_it(tmp_path, repo, postgres_server,
                                                          postgres_gradebook_template, command):
    """With the right server and database but a wrong password in db_url, does every command
    that reads the gradebook stop with one line naming nbgrader_config.py and saying the
    password is not accepted, neither password ever shown?"""
    database = postgres_server.create_database(postgres_gradebook_template)
    wrong = "wrong-" + postgres_server.password[::-1]
    root = course_at(tmp_path, repo, postgres_server.url(database, password=wrong))
    result = CliRunner().invoke(main, [*command, "--root", str(root)])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: cannot open the gradebook postgresql+psycopg://"
                                    f"sicourse:***@/{database}?host="), result.output
    assert f"db_url in {root / 'nbgrader_config.py'}" in result.output
    assert "the user name or password is not accepted" in result.output
    assert wrong not in result.output and postgres_server.password not in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


@pytest.mark.postgres
def test_a_database_that_does_not_exist_is_named(tmp_path, repo, postgres_server):
    """Does a db_url naming a database the server does not have say so, and how to fix it?"""
    root = course_at(tmp_path, repo, postgres_server.url("no_such_course"))
    result = CliRunner().invoke(main, ["report", "01-concepts", "--root", str(root)])
    assert result.exit_code == 1, result.output
    assert "the database does not exist (create it, e.g. with createdb)" in result.output
    assert postgres_server.password not in result.output


@pytest.mark.postgres
def test_an_empty_database_is_no_gradebook_yet(tmp_path, repo, postgres_url):
    """Does a database without nbgrader's tables read as no gradebook yet, not as an error
    of nbgrader's, and stay empty?"""
    root = course_at(tmp_path, repo, postgres_url)
    result = CliRunner().invoke(main, ["report", "01-concepts", "--root", str(root)])
    assert result.exit_code == 1, result.output
    assert "sicourse report: no gradebook at postgresql+psycopg://sicourse:***@" in result.output
    assert "nbgrader generate_assignment" in result.output
    with pytest.raises(GradebookError, match="no gradebook at"):
        require_gradebook(Course.at(root), "sicourse report")
