"""``sicourse collect``: import an LMS download into nbgrader's ``submitted/`` folders.

The work is :mod:`sicourse.grading.collect`; this module prints what happened, every
line with control characters escaped (names come from students).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sicourse.commands.options import course_command
from sicourse.course import Course
from sicourse.errors import SicourseError
from sicourse.grading import collect_layouts as layouts
from sicourse.grading import collect_sources as sources
from sicourse.grading.collect import Outcome, collect_submissions
from sicourse.grading.collect_limits import (
    MAX_BATCH_BYTES,
    MAX_FILE_BYTES,
    MAX_STUDENT_BYTES,
    MB,
    Limits,
)
from sicourse.grading.git_exposure import exposed
from sicourse.grading.intake import TIMESTAMP
from sicourse.grading.roster import clean_text


def echo(line: str, err: bool = False) -> None:
    """Print one line with every control character in it escaped (names come from students)."""
    click.echo(sources.escape_controls(line), err=err)


def print_outcome(outcome: Outcome, assignment: str, verbose: bool, dry_run: bool) -> None:
    verb = "would import" if dry_run else "imported"
    for plan in outcome.imported:
        sub = plan.submission
        notes = [f"{sub.layout} layout"]
        if plan.student != sub.student:
            notes.append(f"id {sub.student!r} written as {plan.student!r}")
        if sub.full_name:
            notes.append(clean_text(sub.full_name))
        if sub.late:
            notes.append("marked late by the LMS")
        if verbose or plan.student != sub.student:
            echo(f"{verb} {plan.student} ({'; '.join(notes)})")
        if verbose:
            for old, new in plan.renamed:
                echo(f"  renamed {old} -> {new}")
        for name in plan.extra_notebooks:
            echo(f"note: {plan.student}: extra notebook {name} copied; it is not graded")
        if plan.own_timestamp:
            echo(f"note: {plan.student}: the submission's own {plan.own_timestamp} is not its "
                 f"submission time; copied as {layouts.STUDENT_TIMESTAMP}, an extra file")
    late = [p.student for p in outcome.imported if p.submission.late]
    if late:
        echo(f"marked late by the LMS: {', '.join(late)}")
    if outcome.imported and not dry_run:
        echo(f"submission time in each {TIMESTAMP}: {outcome.timestamp} (this collect's time)")
    for student, why in outcome.skipped:
        echo(f"skipped {student}: {why}", err=True)
    for student, why in outcome.failed:
        echo(f"{'would fail' if dry_run else 'failed'} {student}: {why}", err=True)
    for item in outcome.unmatched:
        echo(f"unmatched {item.name}: {item.reason}", err=True)
    for text in outcome.texts:
        lms = "Moodle" if text.layout == "moodle" else "Canvas"
        echo(f"note: {text.name}: {text.description} of student {text.student}, not a file "
             f"submission: not imported (read it in {lms})")
    if outcome.ignored:
        echo(f"ignored {len(outcome.ignored)} operating-system file(s) "
             "(__MACOSX/, .DS_Store and the like)")
    texts = f", online text {len(outcome.texts)} (noted)" if outcome.texts else ""
    echo(
        f"{assignment}: {verb} {len(outcome.imported)}, skipped {len(outcome.skipped)}, "
        f"unmatched {len(outcome.unmatched)}, failed {len(outcome.failed)}{texts}"
    )
    print_roster(outcome)


def print_roster(outcome: Outcome) -> None:
    """Where the students' names went."""
    done = outcome.recorded
    if outcome.roster_error:
        echo(f"roster not updated: {outcome.roster_error}", err=True)
    if done is None:
        return
    where = "and the gradebook's student records" if done.gradebook else (
        "(no gradebook yet: the names go into it at the next collect or roster import "
        "after nbgrader generate_assignment)")
    echo(f"roster: {len(done.added)} added, {len(done.updated)} updated in {done.path} {where}")
    if any(p.submission.layout == "canvas" for p in outcome.imported):
        echo("note: a Canvas download carries user ids, not names: export Canvas's gradebook "
             "(Grades > Export) and run `sicourse roster import <that file>` to add names, "
             "SIS ids and sections")


@course_command
@click.argument("assignment")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--layout", type=click.Choice(layouts.LAYOUTS), default="auto", show_default=True,
    help="The download's layout; auto recognises each entry as Moodle, Canvas or plain.",
)
@click.option("--force", is_flag=True,
              help="Replace a student's existing submitted/<student>/<assignment>/ folder "
                   "(without it, such students are skipped).")
@click.option("--max-file-size", type=click.IntRange(min=1), default=MAX_FILE_BYTES // MB,
              show_default=True,
              help="Cap on any one file, in megabytes once uncompressed; a student with a "
                   "larger file is not imported.")
@click.option("--max-student-size", type=click.IntRange(min=1),
              default=MAX_STUDENT_BYTES // MB, show_default=True,
              help="Cap on all of one student's files together, in megabytes once "
                   "uncompressed; a student over it is not imported.")
@click.option("--max-batch-size", type=click.IntRange(min=1), default=MAX_BATCH_BYTES // MB,
              show_default=True,
              help="Cap on everything this run writes, in megabytes once uncompressed; "
                   "students who would take it over are not imported.")
@click.option("--dry-run", is_flag=True, help="Show what would be imported; write nothing.")
@click.option("-v", "--verbose", is_flag=True,
              help="List every imported student and every renamed notebook.")
def collect(assignment: str, source: Path, course: Course, layout: str, force: bool,
            max_file_size: int, max_student_size: int, max_batch_size: int, dry_run: bool,
            verbose: bool) -> None:
    """Import the submissions of ASSIGNMENT from SOURCE, an LMS zip download or a folder.

    Each student's files go to submitted/<student>/<assignment>/, the notebook
    renamed to the assignment's notebook name (from release/<assignment>/ if
    generated, else exercises/<assignment>/), other files copied beside it.

    \b
    Layouts recognised:
      Moodle  <Full Name>_<id>_assignsubmission_file_/<files>  (student id: <id>)
              or flat: <Full Name>_<id>_assignsubmission_file_<file>
      Canvas  <name>_<userid>_<fileid>_<original name>         (student id: <userid>)
              late: <name>_LATE_<userid>_<fileid>_<original name>
      plain   <student-id>/<files>  or  <student-id>.ipynb
    A folder wrapping the whole download is looked through. Online text
    (Moodle's ..._assignsubmission_onlinetext_..., Canvas's <name>_<userid>_text.html
    and _link.html) is not a file submission: it is noted, not imported.

    Student ids become safe folder names (ASCII letters, digits and ._@-).
    Zip entries with absolute paths, ../ components or symbolic links are
    refused one by one. Every file not imported is listed with the reason.

    Sizes are counted on the bytes actually read, whatever a zip declares.
    A student over a cap, or with a file that is corrupt, encrypted or
    compressed in a way collect cannot read (Deflate64…), is reported with
    the file and the reason and not imported at all; the others are. Each
    student is written to a temporary folder first, so nothing is left
    half-written and an earlier import survives a failed --force.

    Each submitted/<student>/<assignment>/timestamp.txt holds the time of
    this collect: LMS downloads carry no trustworthy submission time. A
    student's own timestamp.txt is copied as timestamp-from-student.txt,
    which grading flags as an extra file. Control characters in names are
    printed escaped (\\x1b).

    Every student the download names goes into roster.csv and the gradebook's
    student records with what the download says of them (Moodle: full name and
    participant id; Canvas: user id), so that names appear in Formgrader, reports
    and sicourse export; `sicourse roster import` adds what a download lacks.

    Exit status: 0 if every file submission was imported or deliberately
    skipped (online text noted), 1 if any file was left unmatched, any
    student failed or the roster could not be written.
    """
    course.require_config()
    repository = exposed(source)
    if repository is not None:
        echo(f"warning: {source} is inside the git repository {repository} and not ignored: "
             "it holds students' names and work, one `git add .` away from being published. "
             "Move it to downloads/ (ignored by the course's .gitignore) or add it to "
             ".gitignore.", err=True)
    limits = Limits(max_file_size * MB, max_student_size * MB, max_batch_size * MB)
    try:
        outcome = collect_submissions(course, assignment, source, layout, force, limits,
                                      dry_run)
    except SicourseError as exc:
        raise click.ClickException(sources.escape_controls(str(exc))) from None
    print_outcome(outcome, assignment, verbose, dry_run)
    if outcome.failed:
        echo(f"{len(outcome.failed)} student(s) not imported: see the list above.", err=True)
    if outcome.unmatched:
        echo(f"{len(outcome.unmatched)} file(s) not imported: see the list above.", err=True)
    if outcome.failed or outcome.unmatched or outcome.roster_error:
        sys.exit(1)
