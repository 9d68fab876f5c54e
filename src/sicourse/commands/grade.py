"""``sicourse grade``: autograde every submission of an assignment, in parallel and sandboxed.

Then write the feedback (hidden tests removed, see ``sicourse feedback``) and
``grades.csv`` (as ``nbgrader export``). The engine is :mod:`sicourse.grading.batch`.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click
from nbgrader.api import Gradebook, MissingEntry

from sicourse.grading import batch
from sicourse.grading.collect_sources import escape_controls
from sicourse.grading.worker import Settings

STATUS_ORDER = {"failed": 0, "error": 1, "flagged": 2, "graded": 3}


def _scores(root: Path, assignment: str, students: list[str]) -> dict[str, str]:
    found = {}
    with Gradebook(batch.gradebook_url(root)) as gb:
        for student in students:
            try:
                sub = gb.find_submission(assignment, student)
            except MissingEntry:
                continue
            found[student] = f"{sub.code_score:g}/{sub.max_code_score:g}"
    return found


def print_summary(summary: batch.Summary, root: Path) -> None:
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
    scores = _scores(root, summary.assignment, [r.student for r in notable])
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


def print_feedback(summary: batch.Summary, root: Path) -> bool:
    """What happened to the feedback pages; False if any was withheld or failed."""
    stats = summary.feedback
    for error in stats.errors:
        click.echo(f"feedback failed for {error.strip()}", err=True)
    for where, line in stats.withheld:
        click.echo(f"LEAK feedback/{where}: shows a line of the answer key ({line!r}); "
                   "the file was deleted.", err=True)
    for page in stats.missing_scores:
        click.echo(f"warning: feedback/{page} does not show every graded cell's points",
                   err=True)
    if stats.written:
        click.echo(f"Feedback for {len(stats.written)} student(s) in {root / 'feedback'} "
                   f"(hidden tests removed, checked against the answer key; "
                   f"{len(stats.withheld)} file(s) withheld).")
    return not (stats.errors or stats.withheld)


@click.command()
@click.argument("assignment")
@click.option("--student", "students", multiple=True, metavar="ID",
              help="Grade only this student (repeat the option for several).")
@click.option("--workers", type=click.IntRange(min=1), metavar="N",
              help="Worker processes grading in parallel  [default: the number of cores]")
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
@click.option(
    "--root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=Path("."),
    show_default=True, help="The course folder (with nbgrader_config.py and submitted/).",
)
def grade(assignment: str, students: tuple[str, ...], workers: int | None, timeout: int | None,
          notebook_timeout: int | None, memory: int, force: bool, feedback: bool,
          root: Path) -> None:
    """Autograde ASSIGNMENT: every submission in submitted/*/ASSIGNMENT/, in parallel.

    Each notebook runs in its own sandboxed kernel (bubblewrap: no network, only
    its own folder writable, nothing of the course readable) with a time limit
    per cell and per notebook, and memory and process limits. Submissions that
    are broken or hostile are graded for what they earn and flagged. Running it
    again grades only what changed or is left (unless --force). Each graded
    submission's feedback is written as `sicourse feedback` writes it (run that
    again after manual grading), and grades.csv as `nbgrader export` does.
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

        try:
            summary = batch.grade(root, assignment, students=list(students) or None,
                                  workers=workers, settings=settings, force=force,
                                  on_start=on_start, on_done=on_done)
        except batch.GradingError as exc:
            raise click.ClickException(str(exc)) from None
    print_summary(summary, root.resolve())
    if summary.interrupted:
        click.echo("\nInterrupted: run the same command again to grade what is left.", err=True)
        sys.exit(130)
    ok = print_feedback(summary, root.resolve()) and not summary.by_status("error")
    csv = batch.export_csv(root.resolve())
    click.echo(f"Grades of every assignment: {csv}")
    if not ok:
        sys.exit(1)
