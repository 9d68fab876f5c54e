"""``sicourse roster``: who each student id is (roster.csv), filled in from the LMS.

The work is :mod:`sicourse.grading.roster_import`; this module prints what happened, every
line with control characters escaped (names come from students).
"""

from __future__ import annotations

from pathlib import Path

import click

from sicourse.commands.options import course_command
from sicourse.course import Course
from sicourse.grading.collect_sources import escape_controls
from sicourse.grading.roster_import import Imported, import_roster

KINDS = {"canvas": "Canvas gradebook export", "moodle": "Moodle grading worksheet",
         "": "CSV"}


def echo(line: str, err: bool = False) -> None:
    click.echo(escape_controls(line), err=err)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def roster() -> None:
    """The roster, roster.csv: who each student id is in the LMS.

    sicourse collect adds every student a download names; `sicourse roster import`
    fills in what a download lacks from the LMS's own export.
    """


def print_imported(done: Imported, course: Course) -> None:
    matched = len(done.matched) - len(done.added)
    echo(f"{done.path}: {KINDS[done.lms]}, {done.rows} student rows: {matched} matched "
         f"({len(done.updated)} students updated), {len(done.added)} added, "
         f"{len(done.unmatched)} not matched")
    for line, why in done.unmatched:
        echo(f"not matched, line {line}: {why}", err=True)
    for line, name in done.refused:
        echo(f"left out, line {line}: {name} (control characters, spaces or too long for "
             "an identifier)", err=True)
    where = "and the gradebook's student records" if done.gradebook else (
        "(no gradebook yet: the names go into it at the next collect or roster import "
        "after nbgrader generate_assignment)")
    echo(f"roster: {course.roster} {where}")


@course_command
@click.argument("export", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--add-missing", is_flag=True,
              help="Add the rows that match no student as new students (their id: the "
                   "row's student_id or LMS id), e.g. those who submitted nothing.")
def roster_import(export: Path, course: Course, add_missing: bool) -> None:
    """Fill in roster.csv from EXPORT, the LMS's own CSV export of its students.

    \b
    Canvas: Grades > Export (CSV): Student, ID, SIS User ID, SIS Login ID, Section.
    Moodle: the assignment's "Download grading worksheet": Identifier
            ("Participant 1001", the id of the download), Full name, Email address
            and the other identity fields the site shows (ID number, Username).
    Any CSV with the roster's own columns (student_id, email, ...) works too.

    Each row is matched to the roster by student_id, LMS id (Canvas ID, Moodle
    participant id), SIS user id or ID number, SIS login id or username, or
    e-mail, the first the row has and the roster knows. Names, e-mails, SIS ids
    and sections are filled in (never erased), then written into the gradebook's
    student records, so that they appear in Formgrader and in sicourse export.
    Rows that match no student are listed.
    """
    course.require_config()
    done = import_roster(course, export, add_missing)
    print_imported(done, course)


roster.add_command(roster_import, name="import")
