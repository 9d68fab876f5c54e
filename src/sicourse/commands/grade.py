"""``sicourse grade``: autograde every submission of an assignment, in parallel and sandboxed.

Then write the feedback (hidden tests removed, see ``sicourse feedback``) and
``reports/<assignment>-grades.csv`` (as ``sicourse report``). The engine is
:mod:`sicourse.grading.batch`.
"""

from __future__ import annotations

import contextlib
import sys

import click
from nbgrader.api import Gradebook, MissingEntry

from sicourse.commands.feedback import print_report
from sicourse.commands.options import course_command
from sicourse.course import Course
from sicourse.grading import batch, report_data
from sicourse.grading import feedback as feedback_mod
from sicourse.grading.collect_sources import escape_controls
from sicourse.grading.protocol import Settings

STATUS_ORDER = {"failed": 0, "error": 1, "flagged": 2, "graded": 3}


def _scores(course: Course, assignment: str, students: list[str]) -> dict[str, str]:
    found = {}
    with Gradebook(course.gradebook_url) as gb:
        for student in students:
            try:
                sub = gb.find_submission(assignment, student)
            except MissingEntry:
                continue
            found[student] = f"{sub.code_score:g}/{sub.max_code_score:g}"
    return found


def print_summary(summary: batch.Summary, course: Course) -> None:
    results = summary.results
    counts = {status: len(summary.by_status(status))
              for status in ("graded", "flagged", "failed", "error")}
    done = ", ".join(f"{n} {status}" for status, n in counts.items() if n) or "nothing graded"
    skipped = f"; {len(summary.skipped)} unchanged since last graded (skipped)" \
        if summary.skipped else ""
    click.echo(f"\n{summary.assignment}: {done}{skipped}, in {summary.seconds:.1f} s.")
    if results:
        click.echo(f"Peak memory per worker: {max(r.worker_rss_mb for r in results):.0f} MB "
                   f"(its largest kernel: {max(r.kernel_rss_mb for r in results):.0f} MB).")
    notable = sorted((r for r in results if r.status != "graded"),
                     key=lambda r: (STATUS_ORDER[r.status], r.student))
    if not notable:
        return
    scores = _scores(course, summary.assignment, [r.student for r in notable])
    width = max(7, *(len(r.student) for r in notable))
    click.echo(f"\n  {'student':<{width}}  {'status':<8} {'score':>8}  reason")
    click.echo("  " + "-" * (width + 30))
    for result in notable:
        if result.status == "error":
            reasons = [result.error.strip().splitlines()[-1] if result.error else "unknown error"]
        else:
            reasons = [flag.reason for flag in result.flags] or ["-"]
        score = scores.get(result.student, "0" if result.status == "failed" else "-")
        reasons = [escape_controls(reason) for reason in reasons]  # file names come from students
        click.echo(f"  {result.student:<{width}}  {result.status:<8} {score:>8}  {reasons[0]}")
        for reason in reasons[1:]:
            click.echo(f"  {'':<{width}}  {'':<8} {'':>8}  {reason}")
    if counts["error"]:
        click.echo("\nErrors are the grader's, not the students': those submissions will be "
                   "graded again on the next run.", err=True)


@course_command
@click.argument("assignment")
@click.option("--student", "students", multiple=True, metavar="ID",
              help="Grade only this student (repeat the option for several).")
@click.option("--workers", type=click.IntRange(min=1), metavar="N",
              help="Worker processes grading in parallel  [default: the number of cores]")
@click.option("--scheduler", metavar="ADDRESS",
              help="Grade on the Dask cluster of this scheduler (tcp://HOST:8786) instead "
                   "of local worker processes; needs `pip install 'sicourse[cluster]'`.")
@click.option("--timeout", type=click.IntRange(min=1), metavar="S",
              help="Seconds a cell may run  [default: nbgrader_config.py, else 30]")
@click.option("--notebook-timeout", type=click.IntRange(min=1), metavar="S",
              help="Seconds a whole notebook may run  [default: 10 x the cell timeout, "
                   "at least 60]")
@click.option("--memory", type=click.IntRange(min=64), default=1024, show_default=True,
              metavar="MB", help="Memory (address space) each kernel may use.")
@click.option("--force", is_flag=True,
              help="Grade again submissions already graded and unchanged since.")
@click.option("--feedback/--no-feedback", default=True, show_default=True,
              help="Write each graded student's feedback (hidden tests removed).")
def grade(assignment: str, students: tuple[str, ...], workers: int | None,
          scheduler: str | None, timeout: int | None, notebook_timeout: int | None,
          memory: int, force: bool, feedback: bool, course: Course) -> None:
    """Autograde ASSIGNMENT: every submission in submitted/*/ASSIGNMENT/, in parallel.

    Each notebook runs in its own sandboxed kernel (bubblewrap: no network, only
    its own folder writable, nothing of the course readable) with a time limit
    per cell and per notebook, and memory and process limits. Submissions that
    are broken or hostile are graded for what they earn and flagged. Running it
    again grades only what changed or is left (unless --force). Each graded
    submission's feedback is written as `sicourse feedback` writes it (run that
    again after manual grading), and reports/ASSIGNMENT-grades.csv as `sicourse
    report` does. With --scheduler, a Dask cluster's workers grade (each in its own
    sandbox, given only the submission and the assignment's tests); this machine keeps
    the course folder and the gradebook.
    """
    settings = Settings(timeout=timeout, notebook_timeout=notebook_timeout, memory_mb=memory,
                        feedback=feedback)
    with contextlib.ExitStack() as stack:
        bar = None

        def on_start(count: int, warnings: list[str]) -> None:
            nonlocal bar
            for warning in warnings:
                click.echo(f"warning: {warning}", err=True)
            if count:
                bar = stack.enter_context(click.progressbar(
                    length=count, label=f"Grading {assignment}", file=sys.stderr,
                    show_pos=True, item_show_func=lambda r: r.student if r else None))

        def on_done(result) -> None:
            if bar is not None:
                bar.update(1, result)

        def on_cluster(description: str) -> None:
            click.echo(description[0].upper() + description[1:], err=True)

        summary = batch.grade(course, assignment, students=list(students) or None,
                              workers=workers, settings=settings, force=force,
                              scheduler=scheduler, on_start=on_start, on_done=on_done,
                              on_cluster=on_cluster)
    print_summary(summary, course)
    if summary.interrupted:
        click.echo("\nInterrupted: run the same command again to grade what is left.", err=True)
        sys.exit(130)
    ok = not summary.by_status("error")
    if settings.feedback and summary.results:
        print_report(summary.feedback, course, assignment)
        ok = ok and not (summary.feedback.errors or summary.feedback.leaked)
        waiting = feedback_mod.pending(course, assignment, summary.feedback.students)
        if waiting:
            click.echo(f"Provisional: {len(waiting)} student(s)' feedback shows "
                       f"{sum(map(len, waiting.values()))} answer(s) awaiting hand-grading "
                       "(each marked, the total marked provisional). Grade them in "
                       f"Formgrader, then run `sicourse feedback {assignment}`.")
    if summary.results or summary.skipped:
        click.echo(f"Grades: {report_data.grades_csv(course, assignment)} (rewritten by "
                   "sicourse grade, feedback and report from the gradebook as it is then)")
    if not ok:
        sys.exit(1)
