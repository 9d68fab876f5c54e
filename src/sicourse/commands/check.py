"""``sicourse check``: every assignment validated both ways, and against its mutants, by nbgrader.

For each assignment, in a scratch course folder, nbgrader grades the answer
key, the unchanged student version and every mutant. The check fails when
the key misses an autograded point, the blank version earns one, or a mutant
earns its item's full points, when a test reads an answer of the key that is not
plain data (tests run in a clean evaluator, :mod:`sicourse.grading.isolated_tests`),
and when a cell that shows a widget or asks for input would run during grading
(see :mod:`sicourse.grading.interactive_cells`).
(``nbgrader validate`` exits 0 even when tests fail, so this reads the
gradebook instead of an exit code.)
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import click
import nbformat

from sicourse.grading import interactive_cells, mutants, nbgrader_run


@dataclass
class ItemResult:
    item: str
    points: float
    key: float
    blank: float
    caught: int = 0
    escaped: list[int] = field(default_factory=list)
    not_plain: str = ""  # why the test could not read the key's answers

    @property
    def problems(self) -> list[str]:
        found = []
        if self.not_plain:
            found.append(f"the test needs answers that are not plain data ({self.not_plain})")
        if self.key < self.points:
            found.append(f"the answer key earns {self.key:g} of {self.points:g}")
        if self.blank > 0:
            found.append(f"the blank student version earns {self.blank:g}")
        if self.caught + len(self.escaped) == 0:
            found.append("has no mutants")
        found += [f"mutant {n} earns full points" for n in self.escaped]
        return found


def source_notebook(folder: Path) -> Path:
    notebooks = sorted(folder.glob("*.ipynb"))
    if len(notebooks) != 1:
        raise click.ClickException(
            f"{folder}: expected one source notebook, found {len(notebooks)}"
        )
    return notebooks[0]


def submit(course: Path, assignment: str, student: str, nb, files_from: Path) -> None:
    folder = course / "submitted" / student / assignment
    shutil.copytree(files_from, folder, ignore=shutil.ignore_patterns("*.ipynb", mutants.FILE))
    nbformat.write(nb, folder / nb.metadata["sicourse_name"])


def check_assignment(repo: Path, assignment: str, scratch: Path) -> list[ItemResult]:
    source_dir = repo / "exercises" / assignment
    source = source_notebook(source_dir)
    key = nbformat.read(source, as_version=4)
    try:
        wanted = mutants.load(source_dir, key)
    except mutants.MutantsError as exc:
        raise click.ClickException(str(exc)) from None
    course = nbgrader_run.scratch_course(repo, scratch, [assignment])
    nbgrader_run.run(course, "generate_assignment", assignment, "--force")
    release = course / "release" / assignment
    blank = nbformat.read(release / source.name, as_version=4)
    key.metadata["sicourse_name"] = blank.metadata["sicourse_name"] = source.name
    submit(course, assignment, "key", key, release)
    submit(course, assignment, "blank", blank, release)
    for item, item_mutants in wanted.items():
        for number, mutant in enumerate(item_mutants, start=1):
            mutated = mutants.apply(key, mutant)
            submit(course, assignment, f"mutant-{item}-{number}", mutated, release)
    nbgrader_run.run(course, "autograde", assignment, "--force")
    scores = nbgrader_run.cell_scores(course, assignment)
    graded_key = nbformat.read(course / "autograded" / "key" / assignment / source.name,
                               as_version=4)
    not_plain = {item: out.evalue for item, cell in mutants.grade_ids(graded_key).items()
                 for out in cell.get("outputs", [])
                 if out.output_type == "error" and out.ename == "NotPlainData"}

    results = []
    for item, cell in sorted(scores["key"].items()):
        if not cell.autograded:
            continue
        result = ItemResult(item, cell.max_score, cell.score, scores["blank"][item].score,
                            not_plain=_reason(not_plain.get(item, "")))
        for number in range(1, len(wanted.get(item, [])) + 1):
            if scores[f"mutant-{item}-{number}"][item].score >= cell.max_score:
                result.escaped.append(number)
            else:
                result.caught += 1
        results.append(result)
    return results


def _reason(message: str) -> str:
    """The names and types in a NotPlainData message (isolated_tests.NOT_PLAIN)."""
    return message.split(". ", 1)[-1].rsplit(". The test", 1)[0] if message else ""


def print_table(assignment: str, results: list[ItemResult]) -> None:
    click.echo(f"\n{assignment}")
    header = f"  {'item':<24} {'points':>6} {'key':>6} {'blank':>6}  mutants caught"
    click.echo(header)
    click.echo("  " + "-" * (len(header) - 2))
    for r in results:
        total = r.caught + len(r.escaped)
        mark = "ok" if not r.problems else "FAIL: " + "; ".join(r.problems)
        click.echo(f"  {r.item:<24} {r.points:>6g} {r.key:>6g} {r.blank:>6g}  "
                   f"{r.caught}/{total}  {mark}")


@click.command()
@click.argument("assignments", nargs=-1)
@click.option(
    "--root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=Path("."),
    show_default=True, help="The course repository (the folder with exercises/).",
)
@click.option(
    "--jobs", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default="cores",
    help="How many assignments to check at once.",
)
def check(assignments: tuple[str, ...], root: Path, jobs: int) -> None:
    """Check ASSIGNMENTS (default: all) with nbgrader: key, blank version and mutants."""
    exercises = root / "exercises"
    if not exercises.is_dir():
        raise click.UsageError(f"{root}: no exercises/ folder; run from the course repository.")
    names = list(assignments) or sorted(p.name for p in exercises.iterdir() if p.is_dir())
    unknown = [n for n in names if not (exercises / n).is_dir()]
    if unknown:
        raise click.UsageError(f"no such assignment in {exercises}: {', '.join(unknown)}")
    failed = []
    with tempfile.TemporaryDirectory(prefix="sicourse-check-") as tmp:

        def one(name: str):
            try:
                return check_assignment(root, name, Path(tmp) / name)
            except nbgrader_run.NbgraderError as exc:
                return exc

        # Each check spends its time in nbgrader subprocesses, so threads suffice.
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            outcomes = list(pool.map(one, names))
    for name, results in zip(names, outcomes, strict=True):
        if isinstance(results, Exception):
            click.echo(f"\n{name}\n  FAIL: {results}", err=True)
            failed.append(name)
            continue
        print_table(name, results)
        if not results:
            click.echo("  FAIL: no autograded items")
        source = source_notebook(exercises / name)
        loose = interactive_cells.unguarded(nbformat.read(source, as_version=4))
        for where in loose:
            click.echo(f"  FAIL: {source.name}, {where}: shows a widget or asks for input "
                       f"but does not test {interactive_cells.GUARD} (it would run while grading)")
        if not results or loose or any(r.problems for r in results):
            failed.append(name)
    if failed:
        click.echo(f"\nFailed: {', '.join(failed)}", err=True)
        sys.exit(1)
    click.echo(f"\nAll {len(names)} assignment(s) passed.")
