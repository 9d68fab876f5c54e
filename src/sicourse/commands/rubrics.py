"""``sicourse rubrics``: the model answers and rubrics of written questions, for instructors.

They live in the answer key (the written-answer cells of ``exercises/``) and
are never published; this writes them, with each question, into one private
HTML file for graders, by default ``rubrics.html`` (git-ignored).
"""

from __future__ import annotations

import html
from pathlib import Path

import click
import nbformat
from nbconvert.filters import markdown2html

from sicourse.commands.options import course_command
from sicourse.course import Course
from sicourse.errors import SicourseError


def written_answers(notebook: Path) -> list[tuple[str, str, float]]:
    """(question markdown, model answer and rubric, points) for each hand-graded cell."""
    try:
        nb = nbformat.read(notebook, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # unreadable JSON, not a notebook, a broken cell...
        why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SicourseError(f"{notebook}: not a valid notebook ({why})") from None
    found, question = [], ""
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown" and meta.get("solution") and meta.get("grade"):
            try:
                points = float(meta.get("points", 0))
            except (TypeError, ValueError):
                raise SicourseError(f"{notebook}: cell {meta.get('grade_id', '?')!r} has "
                                    f"points {meta.get('points')!r}, not a number") from None
            found.append((question, cell.source, points))
        elif cell.cell_type == "markdown":
            question = cell.source
    return found


def page(exercises: Path) -> str:
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Rubrics for written answers (instructors only)</title>",
        "<style>body{font-family:sans-serif;max-width:50rem;margin:auto;line-height:1.5}"
        ".answer{border-left:4px solid #0b5cad;padding-left:1rem}</style></head><body>",
        "<h1>Rubrics for written answers</h1>",
        "<p><strong>Instructors only.</strong> From the answer key in <code>exercises/</code>; "
        "do not publish or share with students.</p>",
    ]
    for notebook in sorted(exercises.glob("*/*.ipynb")):
        answers = written_answers(notebook)
        if not answers:
            continue
        parts.append(f"<h2>{html.escape(notebook.parent.name)}: {html.escape(notebook.stem)}</h2>")
        for question, answer, points in answers:
            parts += [
                f"<section><p><em>{points:g} points</em></p>{markdown2html(question)}",
                f"<div class='answer'>{markdown2html(answer)}</div></section>",
            ]
    parts.append("</body></html>")
    return "\n".join(parts)


@course_command
@click.option(
    "--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("rubrics.html"),
    show_default=True, help="Where to write the private HTML file (never inside the book).",
)
def rubrics(course: Course, output: Path) -> None:
    """Write the model answers and rubrics of every written question to a private HTML file."""
    if not course.source.is_dir():
        raise SicourseError(f"{course.source}: no such folder; run from the course folder "
                            "or give --root.")
    if "_build" in output.resolve().parts:
        raise click.UsageError(f"{output}: rubrics must not be written into the built book")
    output.write_text(page(course.source), encoding="utf-8")
    click.echo(f"Wrote {output} (instructors only: do not publish).")
