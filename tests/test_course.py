"""The course object: folders, gradebook and configuration, read once from nbgrader_config.py."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from sicourse.cli import main
from sicourse.course import Course, CourseError, mask_url


def write_config(folder, *lines):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nbgrader_config.py").write_text("c = get_config()\n" + "\n".join(lines) + "\n")
    return folder


def test_folders_follow_the_configuration(tmp_path):
    """Does a changed source_directory move the answer key everywhere the course is asked?"""
    course = Course.at(write_config(tmp_path, 'c.CourseDirectory.source_directory = "key"',
                                    'c.CourseDirectory.feedback_directory = "fb"'))
    assert course.source == tmp_path / "key"
    assert course.assignment_source("01-a") == tmp_path / "key" / "01-a"
    assert course.folder("feedback") == tmp_path / "fb"
    assert course.folder("release") == tmp_path / "release"  # nbgrader's default
    (tmp_path / "key" / "01-a").mkdir(parents=True)
    (tmp_path / "key" / "01-a" / "a.ipynb").write_text("{}")
    (tmp_path / "key" / "empty").mkdir()
    assert course.assignments() == ["01-a"]


def test_the_gradebook_url_is_made_absolute_against_the_course(tmp_path):
    """Is a relative SQLite path read against the course folder, wherever we run from?"""
    course = Course.at(write_config(tmp_path, 'c.CourseDirectory.db_url = "sqlite:///gb.db"'))
    assert course.gradebook_url == f"sqlite:///{tmp_path / 'gb.db'}"
    assert course.gradebook_path == tmp_path / "gb.db"
    assert Course.at(tmp_path / "none").gradebook_path == (tmp_path / "none" / "gradebook.db")


def test_a_database_server_url_is_never_shown_with_its_password(tmp_path):
    """Is the password of a PostgreSQL db_url masked in what may be printed and in errors?"""
    url = "postgresql+psycopg://grader:pa55word@db.example.edu:5432/gradebook"
    course = Course.at(write_config(tmp_path, f'c.CourseDirectory.db_url = "{url}"'))
    assert course.gradebook_path is None
    assert course.gradebook_shown == "postgresql+psycopg://grader:***@db.example.edu:5432/gradebook"
    assert mask_url("sqlite:////tmp/gb.db") == "sqlite:////tmp/gb.db"


def test_a_broken_configuration_is_named(tmp_path):
    """Does a configuration that raises give one line naming the file?"""
    write_config(tmp_path, "1 / 0")
    with pytest.raises(CourseError, match=r"nbgrader_config.py: cannot be read \(ZeroDivision"):
        Course.at(tmp_path)


@pytest.mark.parametrize("command", [["check"], ["grade", "01-concepts"],
                                     ["feedback", "01-concepts"], ["report", "01-concepts"],
                                     ["collect", "01-concepts", "."]])
def test_every_grading_command_says_where_to_run_it(tmp_path, monkeypatch, command):
    """From a folder that is not a course, does each command say so in one line?"""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, [*command, "--root", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "nbgrader_config.py: not found" in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_root_is_defined_once_with_one_help_text():
    """Does every command that takes --root describe it the same way?"""
    helps = set()
    for name in ("build", "check", "collect", "feedback", "grade", "report", "rubrics"):
        command = main.get_command(None, name)
        [option] = [p for p in command.params if "--root" in getattr(p, "opts", [])]
        helps.add(option.help)
    assert len(helps) == 1
