"""``sicourse export``: the CSV an LMS (Canvas or Moodle) imports into its gradebook.

The work is :mod:`sicourse.grading.lms_export`; this module prints what happened and how
to import the file, every line with control characters escaped (names come from students).
"""

from __future__ import annotations

from pathlib import Path

import click

from sicourse.commands.options import course_command
from sicourse.course import Course
from sicourse.grading.collect_sources import escape_controls
from sicourse.grading.lms_export import LMS, MOODLE_IDS, Export, Grade, export_grades, points


def echo(line: str, err: bool = False) -> None:
    click.echo(escape_controls(line), err=err)


def who(grade: Grade) -> str:
    person = grade.person
    return f"{person.student_id} ({person.name})" if person.name else person.student_id


def how_to_import(done: Export, id_column: str) -> str:
    out_of = f"Scores are points out of {points(done.max_score)}"
    if done.lms == "canvas":
        return (f"In Canvas: Grades > Import, then this file. The column \"{done.column}\" goes "
                "to the assignment of that exact name, or to \"Name (id)\"; otherwise Canvas "
                f"offers to create a new assignment (--column names yours). {out_of}: the "
                f"assignment should be worth {points(done.max_score)} points.")
    label = MOODLE_IDS[id_column][1]
    return (f"In Moodle: Grades > Import > CSV file, then this file. Identify user by: map "
            f"from \"{label}\" to \"{label}\"; Grade item mappings: \"{done.column}\" to the "
            f"assignment's grade item. {out_of}: the grade item's maximum should be "
            f"{points(done.max_score)}.")


def print_export(done: Export, id_column: str) -> None:
    graded = [g for g in done.grades if g.score is not None]
    echo(f"{done.path}: {len(done.grades)} students, {len(graded)} with a grade, for "
         f"{done.lms.capitalize()}")
    lms = done.lms.capitalize()
    if done.ungraded:
        echo(f"no grade for {len(done.ungraded)} student(s), written with an empty grade "
             f"(on import, an empty grade clears one already in {lms}):", err=True)
        for grade in done.ungraded:
            echo(f"  {who(grade)}: {grade.status}", err=True)
    if done.provisional:
        echo(f"provisional: {len(done.provisional)} student(s) still have items awaiting "
             "manual grading; their score so far is written:", err=True)
        for grade in done.provisional:
            echo(f"  {who(grade)}: {points(grade.score or 0)}", err=True)
    if done.left_out:
        label = MOODLE_IDS[id_column][1]
        echo(f"not written: {len(done.left_out)} student(s) without a grade and without "
             f"{label} in the roster:", err=True)
        for grade in done.left_out:
            echo(f"  {who(grade)}: {grade.status}", err=True)
    for dropped, kept in done.merged:
        echo(f"note: students {dropped} and {kept} are the same person in {lms}: one row "
             f"written, for {kept}", err=True)
    for warning in done.warnings:
        echo(f"warning: {warning}", err=True)
    echo(how_to_import(done, id_column))


@course_command
@click.argument("assignment")
@click.option("--lms", type=click.Choice(LMS), required=True,
              help="The LMS whose gradebook import format to write.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The file to write [default: reports/<assignment>-<lms>-import.csv].")
@click.option("--column", default=None,
              help="The grade column's header [default: the assignment's name]. Canvas "
                   "matches it to its assignment by \"Name (id)\" or by exact name.")
@click.option("--id-column", type=click.Choice(tuple(MOODLE_IDS)), default=None,
              help="Moodle only: the column that identifies each student, from the roster "
                   "[default: email].")
@click.option("--include-provisional", is_flag=True,
              help="Write the score so far of submissions with items still awaiting manual "
                   "grading (without it they get an empty grade).")
def export(assignment: str, course: Course, lms: str, output: Path | None, column: str | None,
           id_column: str | None, include_provisional: bool) -> None:
    """Write the CSV that Canvas or Moodle imports into its gradebook, for ASSIGNMENT.

    Grades are the gradebook's current ones, manual grades included: each
    submission's score less its late penalty. Students are those of the roster
    (roster.csv) and of the gradebook; those without a grade (no submission, or
    items awaiting manual grading) get an empty grade and are listed.

    \b
    Canvas: Student, ID, SIS User ID, SIS Login ID, Section, then the grade
            column, and Canvas's "Points Possible" row (used only when the
            column creates a new assignment).
    Moodle: the identifier column (--id-column: Email address, ID number or
            Username) and the grade column; every graded student needs one.

    Names, ids and sections come from the roster: `sicourse roster import`
    fills them in from the LMS's own export. Text cells are escaped against
    spreadsheet formulas.
    """
    if id_column is not None and lms != "moodle":
        raise click.UsageError("--id-column is for --lms moodle only.")
    done = export_grades(course, assignment, lms, output, column, id_column or "email",
                         include_provisional)
    print_export(done, id_column or "email")
