"""``sicourse collect``: import an LMS download into nbgrader's ``submitted/`` folders."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import click

from sicourse.grading import collect_layouts as layouts
from sicourse.grading import collect_sources as sources
from sicourse.grading.collect_layouts import Plan, Unmatched

MB = 1024 * 1024


@dataclass
class Outcome:
    imported: list[Plan] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (student, why)
    unmatched: list[Unmatched] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def expected_notebooks(root: Path, assignment: str) -> list[str]:
    """The notebook names nbgrader will grade: from release/ if generated, else exercises/."""
    for folder in (root / "release" / assignment, root / "exercises" / assignment):
        names = sorted(p.name for p in folder.glob("*.ipynb"))
        if names:
            return names
    raise click.UsageError(
        f"no notebooks for assignment {assignment!r} in {root / 'exercises' / assignment} "
        f"(or {root / 'release' / assignment}); check the name and --root."
    )


def write_submission(plan: Plan, target: Path, force: bool) -> None:
    """Write the planned files to ``target`` through a temporary folder beside it."""
    tmp = target.parent / f".{target.name}.collect-tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        for rel, entry in plan.files.items():
            dest = tmp / rel
            if tmp.resolve() not in dest.resolve().parents:  # belt and braces
                raise OSError(f"{rel}: path outside the submission folder")
            dest.parent.mkdir(parents=True, exist_ok=True)
            with entry.open() as src, open(dest, "wb") as out:
                shutil.copyfileobj(src, out)
        if target.exists() and force:
            shutil.rmtree(target)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def collect_submissions(
    root: Path, assignment: str, source: Path, layout: str = "auto", force: bool = False,
    max_size: int = 50 * MB, dry_run: bool = False,
) -> Outcome:
    expected = expected_notebooks(root, assignment)
    listing = sources.read(source, max_size)
    outcome = Outcome(ignored=listing.ignored)
    outcome.unmatched += [Unmatched(r.name, f"refused: {r.reason}") for r in listing.refused]
    try:
        subs, unmatched = layouts.classify(listing.entries, layout)
        outcome.unmatched += unmatched
        owners: dict[str, str] = {}  # safe id -> raw id
        for raw, sub in sorted(subs.items()):
            safe = layouts.safe_student_id(raw)
            reason = ""
            if safe is None:
                reason = f"student id {raw!r} has no usable characters for a folder name"
            elif safe in owners:
                reason = (f"student id {raw!r} becomes folder {safe!r}, "
                          f"which student {owners[safe]!r} already has")
            if reason:
                outcome.unmatched += [Unmatched(str(e.path), reason) for e in sub.files.values()]
                continue
            assert safe is not None
            owners[safe] = raw
            planned = layouts.plan(sub, safe, expected)
            if isinstance(planned, list):
                outcome.unmatched += planned
                continue
            outcome.unmatched += planned.problems
            target = root / "submitted" / safe / assignment
            if target.exists() and not force:
                why = f"{target} already exists (use --force to replace it)"
                outcome.skipped.append((safe, why))
                continue
            if not dry_run:
                try:
                    write_submission(planned, target, force)
                except (OSError, ValueError, EOFError) as exc:  # zipfile raises these on bad data
                    outcome.unmatched += [
                        Unmatched(str(e.path), f"student {raw}: could not be copied ({exc})")
                        for e in planned.files.values()
                    ]
                    continue
            outcome.imported.append(planned)
    finally:
        listing.close()
    return outcome


def print_outcome(outcome: Outcome, assignment: str, verbose: bool, dry_run: bool) -> None:
    verb = "would import" if dry_run else "imported"
    for plan in outcome.imported:
        sub = plan.submission
        notes = [f"{sub.layout} layout"]
        if plan.student != sub.student:
            notes.append(f"id {sub.student!r} written as {plan.student!r}")
        if sub.full_name:
            notes.append(sub.full_name)
        if sub.late:
            notes.append("marked late by the LMS")
        if verbose or plan.student != sub.student:
            click.echo(f"{verb} {plan.student} ({'; '.join(notes)})")
        if verbose:
            for old, new in plan.renamed:
                click.echo(f"  renamed {old} -> {new}")
        for name in plan.extra_notebooks:
            click.echo(f"note: {plan.student}: extra notebook {name} copied; it is not graded")
    late = [p.student for p in outcome.imported if p.submission.late]
    if late:
        click.echo(f"marked late by the LMS: {', '.join(late)}")
    for student, why in outcome.skipped:
        click.echo(f"skipped {student}: {why}", err=True)
    for item in outcome.unmatched:
        click.echo(f"unmatched {item.name}: {item.reason}", err=True)
    if outcome.ignored:
        click.echo(f"ignored {len(outcome.ignored)} operating-system file(s) "
                   "(__MACOSX/, .DS_Store and the like)")
    click.echo(
        f"{assignment}: {verb} {len(outcome.imported)}, skipped {len(outcome.skipped)}, "
        f"unmatched {len(outcome.unmatched)}"
    )


@click.command()
@click.argument("assignment")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=Path("."),
    show_default=True, help="The course folder (with exercises/; submitted/ is written here).",
)
@click.option(
    "--layout", type=click.Choice(layouts.LAYOUTS), default="auto", show_default=True,
    help="The download's layout; auto recognises each entry as Moodle, Canvas or plain.",
)
@click.option("--force", is_flag=True,
              help="Replace a student's existing submitted/<student>/<assignment>/ folder "
                   "(without it, such students are skipped).")
@click.option("--max-file-size", type=click.IntRange(min=1), default=50, show_default=True,
              help="Refuse any single file larger than this many megabytes.")
@click.option("--dry-run", is_flag=True, help="Show what would be imported; write nothing.")
@click.option("-v", "--verbose", is_flag=True,
              help="List every imported student and every renamed notebook.")
def collect(assignment: str, source: Path, root: Path, layout: str, force: bool,
            max_file_size: int, dry_run: bool, verbose: bool) -> None:
    """Import the submissions of ASSIGNMENT from SOURCE, an LMS zip download or a folder.

    Each student's files go to submitted/<student>/<assignment>/, the notebook
    renamed to the assignment's notebook name (from release/<assignment>/ if
    generated, else exercises/<assignment>/), other files copied beside it.

    \b
    Layouts recognised:
      Moodle  <Full Name>_<id>_assignsubmission_file_/<files>  (student id: <id>)
              or flat: <Full Name>_<id>_assignsubmission_file_<file>
      Canvas  <login>_<userid>_<subid>_<original name>         (student id: <login>)
              late: <login>_late_<userid>_<subid>_<original name>
      plain   <student-id>/<files>  or  <student-id>.ipynb
    A folder wrapping the whole download is looked through.

    Student ids become safe folder names (ASCII letters, digits and ._@-).
    Zip entries with absolute paths, ../ components or symbolic links are
    refused one by one. Every file not imported is listed with the reason.
    Exit status: 0 if every file was imported or deliberately skipped, 1 if
    any file was left unmatched.
    """
    if not (root / "exercises").is_dir():
        raise click.UsageError(f"{root}: no exercises/ folder here; run from the course folder.")
    try:
        outcome = collect_submissions(
            root, assignment, source, layout, force, max_file_size * MB, dry_run
        )
    except sources.SourceError as exc:
        raise click.ClickException(str(exc)) from None
    print_outcome(outcome, assignment, verbose, dry_run)
    if outcome.unmatched:
        click.echo(f"{len(outcome.unmatched)} file(s) not imported: see the list above.", err=True)
        sys.exit(1)
