"""``sicourse report``: the grades CSV and an HTML report of one assignment."""

from __future__ import annotations

from pathlib import Path

import click

from sicourse.commands.options import course_command
from sicourse.course import Course
from sicourse.grading import report_data, report_html


def write_report(course: Course, assignment: str, output: Path) -> tuple[Path, Path]:
    """Write ``<assignment>-grades.csv`` and ``<assignment>-report.html`` into ``output``."""
    data = report_data.load(course, assignment)  # read once, for both files
    csv_path = report_data.grades_csv(course, assignment, output, data)
    html_path = output / f"{assignment}-report.html"
    html_path.write_text(report_html.render(data), encoding="utf-8")
    return csv_path, html_path


@course_command
@click.argument("assignment")
@click.option(
    "--output", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Folder for the CSV and the HTML report [default: reports/ in the course folder].",
)
def report(assignment: str, course: Course, output: Path | None) -> None:
    """Write the grades CSV and an HTML report for ASSIGNMENT from the gradebook.

    The report is one self-contained HTML file: the distribution of total
    scores, each item's mean score as a share of its points (hardest first),
    the submissions flagged by sicourse grade (read from
    autograded/<assignment>.flags.json) and every submission's scores.
    """
    output = output if output is not None else course.root / "reports"
    csv_path, html_path = write_report(course, assignment, output)
    click.echo(f"grades: {csv_path}\nreport: {html_path}")
