"""What every ``sicourse`` command shares: the course option and how errors are shown.

``--root`` is defined here once: it gives the command a :class:`~sicourse.course.Course`,
read once from the folder. :func:`course_command` also turns the project's own errors
(:class:`~sicourse.errors.SicourseError`) into one clear line and exit status 1.
"""

from __future__ import annotations

import functools
from pathlib import Path

import click

from sicourse.course import Course
from sicourse.errors import SicourseError

ROOT_HELP = "The course folder: the one with nbgrader_config.py, _config.yml and the exercises."


def _course(ctx: click.Context, param: click.Parameter, value: Path) -> Course:
    try:
        return Course.at(value)
    except SicourseError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


def course_command(function):
    """A click command (``function``'s docstring as its help) with ``--root`` as ``course``,
    whose :class:`SicourseError` is printed as ``Error: <message>``."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except SicourseError as exc:
            raise click.ClickException(str(exc)) from None

    option = click.option("--root", "course", default=Path("."), show_default=True,
                          type=click.Path(exists=True, file_okay=False, path_type=Path),
                          callback=_course, help=ROOT_HELP)
    return click.command(name=function.__name__)(option(wrapper))
