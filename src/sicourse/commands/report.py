"""``sicourse report``: the grades CSV and an HTML report of one assignment."""

from __future__ import annotations

from pathlib import Path

import click

from sicourse.grading import report_data, report_html


def write_report(root: Path, assignment: str, output: Path) -> tuple[Path, Path]:
    """Write ``<assignment>-grades.csv`` and ``<assignment>-report.html`` into ``output``."""
    data = report_data.load(root, assignment)
    output.mkdir(parents=True, exist_ok=True)
    csv_path = output / f"{assignment}-grades.csv"
    html_path = output / f"{assignment}-report.html"
    report_data.write_csv(data, csv_path)
    html_path.write_text(report_html.render(data), encoding="utf-8")
    return csv_path, html_path


@click.command()
@click.argument("assignment")
@click.option(
    "--root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=Path("."),
    show_default=True, help="The course folder (with nbgrader_config.py and the gradebook).",
)
@click.option(
    "--output", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Folder for the CSV and the HTML report [default: reports/ in the course folder].",
)
def report(assignment: str, root: Path, output: Path | None) -> None:
    """Write the grades CSV and an HTML report for ASSIGNMENT from the gradebook.

    The report is one self-contained HTML file: the distribution of total
    scores, each item's mean score as a share of its points (hardest first),
    the submissions flagged by sicourse grade (read from
    autograded/<assignment>.flags.json) and every submission's scores.
    """
    output = output if output is not None else root / "reports"
    try:
        csv_path, html_path = write_report(root, assignment, output)
    except report_data.ReportError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"grades: {csv_path}\nreport: {html_path}")
