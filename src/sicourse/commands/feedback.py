"""``sicourse feedback``: nbgrader's feedback, checked for answer-key text before it is kept.

The work is :func:`sicourse.grading.feedback.generate`; this module parses the
options and prints what happened (:func:`print_report`, also used by ``sicourse grade``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sicourse.commands.options import course_command
from sicourse.course import Course
from sicourse.errors import SicourseError
from sicourse.grading import feedback as feedback_mod
from sicourse.grading import report_data
from sicourse.grading.feedback import FeedbackReport
from sicourse.grading.gradebook_check import require_gradebook


def _short(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def print_report(report: FeedbackReport, course: Course, assignment: str) -> None:
    """What happened to each student's pages: leaks withheld, missing points, errors."""
    root = course.root
    for error in report.errors:
        click.echo(f"feedback failed for {error.strip()}", err=True)
    for check in report.checks:
        for path, found in check.leaks.items():
            sources = sorted({_short(nb, root) for _, nb in found})
            example = found[0][0]
            click.echo(
                f"LEAK {_short(path, root)}: shows {len(found)} line(s) of the answer key "
                f"({', '.join(sources)}), e.g. {example!r}; the file was deleted.", err=True
            )
        for path, ids in check.missing_scores.items():
            click.echo(f"warning: {_short(path, root)} does not show the points of "
                       f"{', '.join(ids)} (cell missing from the submission?)", err=True)
    removed = sorted({p.name for c in report.checks for p in c.instructor_files})
    if removed:
        count = sum(1 for c in report.checks if c.instructor_files)
        click.echo(f"removed instructor-only file(s) {', '.join(removed)} from {count} "
                   "feedback folder(s) (nbgrader copies them from exercises/)")
    folder = course.folder("feedback")
    kept = sum(1 for c in report.checks
               if any((folder / c.student / assignment).glob("*.html")))
    click.echo(f"{assignment}: feedback for {kept} student(s) in {folder} (hidden tests "
               f"removed), checked against the answer key; {len(report.leaked)} file(s) "
               "withheld.")


@course_command
@click.argument("assignment")
@click.option("--student", "students", multiple=True, metavar="ID",
              help="Only this student's feedback (repeat the option for several).")
@click.option("--allow-ungraded", is_flag=True,
              help="Release pages even where answers still await hand-grading (they say so, "
                   "and that their total is provisional).")
def feedback(assignment: str, students: tuple[str, ...], allow_ungraded: bool,
             course: Course) -> None:
    """Write feedback HTML for ASSIGNMENT to feedback/<student>/<assignment>/.

    Hidden tests are removed (each test cell keeps its points and whether it
    passed); every file is then checked against the answer key in exercises/,
    and any that would show a solution, hidden test or model answer is
    deleted and reported (exit status 1). Feedback is always regenerated from
    the current gradebook, so manual grades given since are included.

    While any answer still awaits hand-grading (in Formgrader), feedback is
    refused, naming them, unless --allow-ungraded: then each such answer says
    it is not graded yet and the total says it is provisional.
    """
    course.require_config()
    course.require_assignment(assignment)
    require_gradebook(course, "sicourse feedback", assignment)
    graded = course.folder("autograded")
    if not any(graded.glob(f"*/{assignment}")):
        raise SicourseError(
            f"nothing autograded for {assignment} in {graded}; run sicourse grade first.")
    for student in students:
        if not (graded / student / assignment).is_dir():
            raise SicourseError(f"no autograded submission for student {student!r}: "
                                f"{graded / student / assignment} does not exist.")
    waiting = feedback_mod.pending(course, assignment, list(students) or None)
    if waiting and not allow_ungraded:
        count = sum(map(len, waiting.values()))
        listing = "; ".join(f"{student}: {', '.join(items)}"
                            for student, items in sorted(waiting.items())[:10])
        more = f"; and {len(waiting) - 10} more student(s)" if len(waiting) > 10 else ""
        raise SicourseError(
            f"{count} answer(s) of {len(waiting)} student(s) still await hand-grading "
            f"({listing}{more}). Grade them in Formgrader first, or pass --allow-ungraded to "
            "release feedback that says which answers are not graded yet.")
    report = feedback_mod.generate(course, assignment, list(students) or None)
    print_report(report, course, assignment)
    click.echo(f"Grades: {report_data.grades_csv(course, assignment)}")
    if report.errors or report.leaked:
        sys.exit(1)
