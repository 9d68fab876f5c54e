"""``sicourse collect``: import an LMS download into nbgrader's ``submitted/`` folders."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import click

from sicourse.grading import collect_layouts as layouts
from sicourse.grading import collect_sources as sources
from sicourse.grading.collect_layouts import Plan, Unmatched
from sicourse.grading.collect_limits import (
    MAX_BATCH_BYTES,
    MAX_FILE_BYTES,
    MAX_STUDENT_BYTES,
    MB,
    Budget,
    Limits,
    Rejected,
)
from sicourse.grading.intake import TIMESTAMP


@dataclass
class Outcome:
    imported: list[Plan] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (student, why)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (student, why)
    unmatched: list[Unmatched] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    timestamp: str = ""  # the submission time written for every student imported


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


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def write_submission(plan: Plan, target: Path, budget: Budget, timestamp: str,
                     dry_run: bool = False) -> None:
    """Write the planned files and ``timestamp.txt`` to ``target``, or raise :class:`Rejected`.

    Everything goes to a temporary folder beside ``target`` first, counted
    against the caps as it is read; only a complete folder replaces ``target``
    (an existing one is swapped out, and back in if that fails). With
    ``dry_run`` the files are read and checked the same way but not written.
    """
    budget.check_declared(list(plan.files.values()))
    if dry_run:
        for entry in plan.files.values():
            budget.copy(entry, None)
        return
    tmp = target.parent / f".{target.name}.collect-tmp"
    old = target.parent / f".{target.name}.collect-old"
    _remove(tmp)
    tmp.mkdir(parents=True)
    try:
        for rel, entry in plan.files.items():
            dest = tmp / rel
            if tmp.resolve() not in dest.resolve().parents:  # belt and braces
                raise Rejected(f"{rel}: path outside the submission folder")
            try:
                dest.parent.mkdir(parents=True, exist_ok=True)
                with open(dest, "xb") as out:
                    budget.copy(entry, out)
            except OSError as exc:
                raise Rejected(f"{entry.path}: cannot be written as {rel} ({exc.strerror or exc})"
                               ) from None
        with open(tmp / TIMESTAMP, "x", encoding="utf-8") as out:  # "x": never a student's
            out.write(timestamp + "\n")
        _remove(old)
        if target.exists() or target.is_symlink():
            os.replace(target, old)
        try:
            os.replace(tmp, target)
        except OSError:
            if old.exists():
                os.replace(old, target)
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            target.parent.rmdir()  # only if empty: a first import that failed
        except OSError:
            pass
        raise
    try:
        _remove(old)  # the earlier import, replaced
    except OSError:
        pass


def collect_submissions(
    root: Path, assignment: str, source: Path, layout: str = "auto", force: bool = False,
    limits: Limits | None = None, dry_run: bool = False, now: datetime | None = None,
) -> Outcome:
    """Import every student of ``source`` that can be; report the others with the reason.

    The submission time written to each ``timestamp.txt`` is ``now`` (the
    collect time): no layout's download carries a submission time that can be
    trusted, and a file a student supplied never becomes it.
    """
    limits = limits or Limits()
    expected = expected_notebooks(root, assignment)
    when = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    listing = sources.read(source)
    outcome = Outcome(ignored=listing.ignored,
                      timestamp=when.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
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
            budget = Budget(limits)
            try:
                write_submission(planned, target, budget, outcome.timestamp, dry_run)
            except (Rejected, OSError) as exc:
                why = str(exc) if isinstance(exc, Rejected) else f"cannot write {target} ({exc})"
                kept = "; the earlier import is kept" if target.exists() else ""
                outcome.failed.append((safe, f"{why}; nothing of this student imported{kept}"))
                continue
            budget.commit()
            outcome.imported.append(planned)
    finally:
        listing.close()
    return outcome


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
            notes.append(sub.full_name)
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
    if outcome.ignored:
        echo(f"ignored {len(outcome.ignored)} operating-system file(s) "
             "(__MACOSX/, .DS_Store and the like)")
    echo(
        f"{assignment}: {verb} {len(outcome.imported)}, skipped {len(outcome.skipped)}, "
        f"unmatched {len(outcome.unmatched)}, failed {len(outcome.failed)}"
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
def collect(assignment: str, source: Path, root: Path, layout: str, force: bool,
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
      Canvas  <login>_<userid>_<subid>_<original name>         (student id: <login>)
              late: <login>_late_<userid>_<subid>_<original name>
      plain   <student-id>/<files>  or  <student-id>.ipynb
    A folder wrapping the whole download is looked through.

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

    Exit status: 0 if every file was imported or deliberately skipped, 1 if
    any file was left unmatched or any student failed.
    """
    if not (root / "exercises").is_dir():
        raise click.UsageError(f"{root}: no exercises/ folder here; run from the course folder.")
    limits = Limits(max_file_size * MB, max_student_size * MB, max_batch_size * MB)
    try:
        outcome = collect_submissions(root, assignment, source, layout, force, limits, dry_run)
    except sources.SourceError as exc:
        raise click.ClickException(sources.escape_controls(str(exc))) from None
    print_outcome(outcome, assignment, verbose, dry_run)
    if outcome.failed:
        echo(f"{len(outcome.failed)} student(s) not imported: see the list above.", err=True)
    if outcome.unmatched:
        echo(f"{len(outcome.unmatched)} file(s) not imported: see the list above.", err=True)
    if outcome.failed or outcome.unmatched:
        sys.exit(1)
