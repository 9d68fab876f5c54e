"""``sicourse check``: every assignment validated both ways, and against its mutants, by nbgrader.

The work is :mod:`sicourse.grading.assignment_check`; this module prints each
assignment's table as soon as it is checked.
"""

from __future__ import annotations

import os
import sys

import click

from sicourse.commands.options import course_command
from sicourse.course import Course
from sicourse.grading import interactive_cells
from sicourse.grading.assignment_check import AssignmentCheck, check_course


def print_table(found: AssignmentCheck) -> None:
    click.echo(f"\n{found.name}")
    if found.error:
        click.echo(f"  FAIL: {found.error}", err=True)
        return
    header = f"  {'item':<24} {'points':>6} {'key':>6} {'blank':>6}  mutants caught"
    click.echo(header)
    click.echo("  " + "-" * (len(header) - 2))
    for r in found.items:
        total = r.caught + len(r.escaped)
        mark = "ok" if not r.problems else "FAIL: " + "; ".join(r.problems)
        click.echo(f"  {r.item:<24} {r.points:>6g} {r.key:>6g} {r.blank:>6g}  "
                   f"{r.caught}/{total}  {mark}")
    if not found.items:
        click.echo("  FAIL: no autograded items")
    for where in found.unguarded:
        click.echo(f"  FAIL: {found.notebook}, {where}: shows a widget or asks for input "
                   f"but does not test {interactive_cells.GUARD} (it would run while grading)")


@course_command
@click.argument("assignments", nargs=-1)
@click.option(
    "--jobs", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default="cores",
    help="How many assignments to check at once.",
)
def check(assignments: tuple[str, ...], course: Course, jobs: int) -> None:
    """Check ASSIGNMENTS (default: all) with nbgrader: key, blank version and mutants.

    Each assignment's table is printed as soon as it is checked (an assignment
    takes a minute or two).
    """
    course.require_config()
    names = list(assignments) or course.assignments()
    click.echo(f"Checking {len(names)} assignment(s), {min(jobs, len(names) or 1)} at a "
               "time: each is graded by nbgrader as key, blank version and every mutant.")
    results = check_course(course, names, jobs, on_done=print_table)
    failed = [found.name for found in results if not found.passed]
    if failed:
        click.echo(f"\nFailed: {', '.join(failed)}", err=True)
        sys.exit(1)
    click.echo(f"\nAll {len(names)} assignment(s) passed.")
