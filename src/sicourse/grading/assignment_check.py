"""Is an assignment ready to release? Its key, blank version and mutants, graded by nbgrader.

For each assignment, in a scratch course folder, nbgrader grades the answer
key, the unchanged student version and every mutant. An item fails when the
key misses an autograded point, the blank version earns one, or a mutant
earns its item's full points, or when its test reads an answer of the key that
is not plain data (tests run in a clean evaluator,
:mod:`sicourse.grading.isolated_tests`); an assignment also fails when a cell
that shows a widget or asks for input would run during grading
(:mod:`sicourse.grading.interactive_cells`). (``nbgrader validate`` exits 0
even when tests fail, so this reads the gradebook instead of an exit code.)
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from sicourse.course import Course
from sicourse.errors import SicourseError
from sicourse.grading import interactive_cells, mutants, nbgrader_run


class CheckError(SicourseError):
    """An assignment cannot be checked; the message names the file and the problem."""


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
        raise CheckError(f"{folder}: expected one source notebook, found {len(notebooks)}")
    return notebooks[0]


def submit(course: Path, assignment: str, student: str, nb, files_from: Path) -> None:
    folder = course / "submitted" / student / assignment
    shutil.copytree(files_from, folder, ignore=shutil.ignore_patterns("*.ipynb", mutants.FILE))
    nbformat.write(nb, folder / nb.metadata["sicourse_name"])


def check_assignment(repo: Course, assignment: str, scratch: Path) -> list[ItemResult]:
    """Grade the key, the blank student version and every mutant of ``assignment`` with
    nbgrader in a scratch course; one result per autograded item."""
    source_dir = repo.assignment_source(assignment)
    source = source_notebook(source_dir)
    key = nbformat.read(source, as_version=4)
    wanted = mutants.load(source_dir, key)
    course = nbgrader_run.scratch_course(repo.root, scratch, [assignment])
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


@dataclass
class AssignmentCheck:
    name: str
    items: list[ItemResult] = field(default_factory=list)
    unguarded: list[str] = field(default_factory=list)  # cells that would wait for a person
    notebook: str = ""
    error: str = ""  # nbgrader failed, or the assignment could not be read

    @property
    def passed(self) -> bool:
        return not (self.error or not self.items or self.unguarded
                    or any(r.problems for r in self.items))


def check_one(course: Course, name: str, scratch: Path) -> AssignmentCheck:
    found = AssignmentCheck(name)
    try:
        source = source_notebook(course.assignment_source(name))
        found.notebook = source.name
        found.unguarded = interactive_cells.unguarded(nbformat.read(source, as_version=4))
        found.items = check_assignment(course, name, scratch)
    except (SicourseError, nbformat.ValidationError, ValueError) as exc:
        found.error = str(exc)
    return found


def check_course(course: Course, names: Iterable[str] | None = None, jobs: int = 1,
                 on_done: Callable[[AssignmentCheck], object] | None = None
                 ) -> list[AssignmentCheck]:
    """Check ``names`` (default: every assignment of the course), ``jobs`` at a time; each
    result goes to ``on_done`` as soon as it is known. Results in the order of ``names``."""
    course.require_config()
    names = list(names or course.assignments())
    for name in names:
        course.require_assignment(name)
    if not names:
        raise CheckError(f"no assignments in {course.source}")
    results: dict[str, AssignmentCheck] = {}
    with tempfile.TemporaryDirectory(prefix="sicourse-check-") as tmp:
        # Each check spends its time in nbgrader subprocesses, so threads suffice.
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(check_one, course, n, Path(tmp) / n): n for n in names}
            for future in as_completed(futures):
                results[futures[future]] = found = future.result()
                if on_done:
                    on_done(found)
    return [results[n] for n in names]
