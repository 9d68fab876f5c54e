"""``sicourse feedback``: nbgrader's feedback, checked for answer-key text before it is kept.

nbgrader writes the feedback into a staging folder inside the course (the
course's ``nbgrader_config.py`` removes hidden tests with
``sicourse.grading.hide_hidden_tests.HideHiddenTests``). Each student's folder is
then checked against the source notebooks: a file that shows a solution,
hidden test or model answer the student did not write is deleted and
reported; instructor-only files (``mutants.yml``) are dropped; the rest
replaces ``feedback/<student>/<assignment>/``. So nothing unchecked ever
sits in ``feedback/``.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import click

from sicourse.grading import feedback_check, nbgrader_run
from sicourse.grading.feedback_check import StudentCheck

STAGING = ".feedback-staging-"


@dataclass
class FeedbackReport:
    checks: list[StudentCheck] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # nbgrader failures

    @property
    def leaked(self) -> list[Path]:
        return [path for check in self.checks for path in check.leaks]


def _moved(check: StudentCheck, old: Path, new: Path) -> StudentCheck:
    """The same check with its paths in the final folder."""
    def move(path: Path) -> Path:
        return new / path.relative_to(old)
    return StudentCheck(
        check.student,
        {move(p): lines for p, lines in check.leaks.items()},
        [move(p) for p in check.instructor_files],
        {move(p): ids for p, ids in check.missing_scores.items()},
    )


def generate_feedback(
    root: Path, assignment: str, students: list[str] | None = None
) -> FeedbackReport:
    """Generate, check and install the feedback of ``assignment`` (all students, or some).

    Usable from other commands: ``sicourse grade`` calls it after autograding.
    """
    report = FeedbackReport()
    for stale in root.glob(f"{STAGING}*"):  # left by a run that was killed
        shutil.rmtree(stale, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING, dir=root))
    try:
        args = ["generate_feedback", assignment, "--force",
                f"--CourseDirectory.feedback_directory={staging.name}"]
        for student in students or [None]:
            try:
                nbgrader_run.run(root, *args, *(["--student", student] if student else []))
            except nbgrader_run.NbgraderError as exc:
                report.errors.append(str(exc))
        secrets = feedback_check.key_secrets(root, assignment)
        private = feedback_check.instructor_only(root, assignment)
        graded = feedback_check.graded_cells(root, assignment)
        for folder in sorted(staging.glob(f"*/{assignment}")):
            student = folder.parent.name
            submitted = root / "submitted" / student / assignment
            check = feedback_check.check_student(
                folder, student, submitted, secrets, private, graded
            )
            for path in [*check.leaks, *check.instructor_files]:
                path.unlink()
            target = root / "feedback" / student / assignment
            if target.exists():
                shutil.rmtree(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(folder), str(target))
            report.checks.append(_moved(check, folder, target))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return report


def _short(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def print_report(report: FeedbackReport, root: Path, assignment: str) -> None:
    for error in report.errors:
        click.echo(error, err=True)
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
    kept = sum(1 for c in report.checks if any(
        p for p in (root / "feedback" / c.student / assignment).glob("*.html")
    ))
    click.echo(f"{assignment}: feedback for {kept} student(s) in {root / 'feedback'}, "
               f"checked against the answer key; {len(report.leaked)} file(s) withheld.")


@click.command()
@click.argument("assignment")
@click.option("--student", "students", multiple=True, metavar="ID",
              help="Only this student's feedback (repeat the option for several).")
@click.option(
    "--root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=Path("."),
    show_default=True, help="The course folder (with nbgrader_config.py and autograded/).",
)
def feedback(assignment: str, students: tuple[str, ...], root: Path) -> None:
    """Write feedback HTML for ASSIGNMENT to feedback/<student>/<assignment>/.

    Hidden tests are removed (each test cell keeps its points and whether it
    passed); every file is then checked against the answer key in exercises/,
    and any that would show a solution, hidden test or model answer is
    deleted and reported (exit status 1). Feedback is always regenerated from
    the current gradebook, so manual grades given since are included.
    """
    if not (root / nbgrader_run.CONFIG).is_file():
        raise click.UsageError(
            f"{root}: no {nbgrader_run.CONFIG} here; run from the course folder."
        )
    if not (root / "exercises" / assignment).is_dir():
        raise click.UsageError(f"no such assignment: {root / 'exercises' / assignment}")
    graded = root / "autograded"
    if not any(graded.glob(f"*/{assignment}")):
        raise click.ClickException(
            f"nothing autograded for {assignment} in {graded}; run sicourse grade first."
        )
    for student in students:
        if not (graded / student / assignment).is_dir():
            raise click.ClickException(
                f"no autograded submission for student {student!r}: "
                f"{graded / student / assignment} does not exist."
            )
    report = generate_feedback(root, assignment, list(students) or None)
    print_report(report, root, assignment)
    if report.errors or report.leaked:
        sys.exit(1)
