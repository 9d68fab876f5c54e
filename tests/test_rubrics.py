"""`sicourse rubrics`: each written question with its model answer and rubric, privately."""

from __future__ import annotations

from click.testing import CliRunner

from sicourse.cli import main


def test_every_written_answer_is_in_the_rubric_file(tmp_path, repo):
    """Does the file hold each written question with its rubric and points?"""
    out = tmp_path / "rubrics.html"
    result = CliRunner().invoke(main, ["rubrics", "--root", str(repo), "--output", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "Instructors only" in text
    assert "Rubric (4 points)" in text and "Question 3 (4 points" in text
    assert text.count("<section>") >= 1


def test_refuses_to_write_into_the_built_book(tmp_path, repo):
    """Is writing the rubrics inside _build (the published site) refused?"""
    out = tmp_path / "_build" / "html" / "rubrics.html"
    result = CliRunner().invoke(main, ["rubrics", "--root", str(repo), "--output", str(out)])
    assert result.exit_code == 2 and "must not be written into the built book" in result.output


def test_a_malformed_notebook_is_named(tmp_path, repo):
    """Does a broken source notebook give one line naming it, not a traceback?"""
    course = tmp_path / "course"
    (course / "exercises" / "01-x").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text((repo / "nbgrader_config.py").read_text())
    bad = course / "exercises" / "01-x" / "x.ipynb"
    bad.write_text('{"cells": 3, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    result = CliRunner().invoke(main, ["rubrics", "--root", str(course),
                                       "--output", str(tmp_path / "r.html")])
    assert result.exit_code == 1
    assert f"{bad}: not a valid notebook" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
