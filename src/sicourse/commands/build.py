"""``sicourse build``: the strict book build that ``make book`` runs; see sicourse.book.build."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sicourse.book.build import BuildFailed, build_book
from sicourse.commands.options import course_command
from sicourse.course import Course


@course_command
@click.option(
    "--output", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Write _build/ under this folder instead of the course folder.",
)
@click.option("--all", "rebuild_all", is_flag=True,
              help="Rebuild every page, not only the ones that changed.")
@click.option("--offline", is_flag=True,
              help="Make a site that needs no internet: copy require.js, the widget manager, "
                   "anywidget and MathJax from node_modules/ (run `npm ci` first) into it.")
@click.option("--lang", "langs", multiple=True, metavar="CODE",
              help="Build this language only (repeat for several): en for the English book "
                   "at _build/html/, an edition's code (locales/languages.yml) for "
                   "_build/html/CODE/  [default: all]")
def build(course: Course, output: Path | None, rebuild_all: bool, offline: bool,
          langs: tuple[str, ...]) -> None:
    """Generate student versions of the exercises, run the lessons and build the HTML book,
    in English and in each edition of locales/languages.yml."""
    try:
        index = build_book(course.root, output, rebuild_all, offline, say=click.echo,
                           languages=list(langs) or None)
    except BuildFailed as exc:
        click.echo(str(exc), err=True)
        sys.exit(exc.returncode)
    click.echo(f"\nThe book is ready. Open this file in a browser:\n  {index}")
