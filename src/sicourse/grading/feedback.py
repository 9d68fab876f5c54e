"""Feedback pages: one path from nbgrader's pages to ``feedback/<student>/<assignment>/``.

nbgrader writes the pages (the course's ``nbgrader_config.py`` removes hidden
tests with :class:`~sicourse.grading.hide_hidden_tests.HideHiddenTests`), into
a staging folder: a grading worker's scratch course (``sicourse grade``) or a
staging folder in the course (``sicourse feedback``, :func:`generate`). Every
student's folder then passes the same :class:`FeedbackGate` before it is put in
place: a file that shows a solution, hidden test or model answer the student
did not write is deleted and reported, instructor-only files (``mutants.yml``)
are dropped, and the rest replaces the student's feedback folder in one rename.
So nothing unchecked ever sits in ``feedback/``.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from sicourse.course import Course
from sicourse.grading import feedback_check, nbgrader_run
from sicourse.grading.feedback_check import StudentCheck
from sicourse.grading.folder_swap import replace_folder
from sicourse.grading.mark_ungraded import awaiting

STAGING = ".feedback-staging-"


@dataclass
class FeedbackReport:
    checks: list[StudentCheck] = field(default_factory=list)  # one per student delivered
    errors: list[str] = field(default_factory=list)  # nbgrader failures

    @property
    def leaked(self) -> list[Path]:
        return [path for check in self.checks for path in check.leaks]

    @property
    def students(self) -> list[str]:
        return [check.student for check in self.checks]


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


class FeedbackGate:
    """The checks every feedback folder of one assignment passes before a student sees it."""

    def __init__(self, course: Course, assignment: str):
        self.course, self.assignment = course, assignment
        self.secrets = feedback_check.assignment_secrets(course, assignment)
        self.private = feedback_check.instructor_only(course, assignment)
        self.graded = feedback_check.graded_cells(course, assignment)

    def deliver(self, staged: Path, student: str) -> StudentCheck:
        """Check ``staged`` (one student's pages), delete what must not reach the student,
        and put the rest in the course's feedback folder; what was found, at its new paths."""
        submitted = self.course.folder("submitted") / student / self.assignment
        check = feedback_check.check_student(staged, student, submitted, self.secrets,
                                             self.private, self.graded)
        for path in [*check.leaks, *check.instructor_files]:
            path.unlink(missing_ok=True)
        target = self.course.folder("feedback") / student / self.assignment
        replace_folder(target, staged)
        return _moved(check, staged, target)


def pending(course: Course, assignment: str, students: list[str] | None = None
            ) -> dict[str, list[str]]:
    """{student: grade ids still awaiting a grader} for the submissions of ``assignment``
    (all when ``students`` is None, else only those listed) that have any."""
    found: dict[str, list[str]] = {}
    with Gradebook(course.gradebook_url) as gb:
        try:
            submissions = gb.find_assignment(assignment).submissions
        except MissingEntry:
            return {}
        for submission in submissions:
            student = submission.student_id
            if students is not None and student not in students:
                continue
            items = [grade_id for _, grade_id, _ in awaiting(gb, assignment, student)]
            if items:
                found[student] = items
    return found


def generate(course: Course, assignment: str, students: list[str] | None = None
             ) -> FeedbackReport:
    """Run nbgrader's generate_feedback for ``assignment`` (all students, or some) into a
    staging folder, and deliver each student's pages through the gate."""
    report = FeedbackReport()
    for stale in course.root.glob(f"{STAGING}*"):  # left by a run that was killed
        shutil.rmtree(stale, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING, dir=course.root))
    try:
        args = ["generate_feedback", assignment, "--force",
                f"--CourseDirectory.feedback_directory={staging.name}"]
        for student in students or [None]:
            try:
                nbgrader_run.run(course.root, *args, *(["--student", student] if student else []))
            except nbgrader_run.NbgraderError as exc:
                report.errors.append(str(exc))
        gate = FeedbackGate(course, assignment)
        for folder in sorted(staging.glob(f"*/{assignment}")):
            report.checks.append(gate.deliver(folder, folder.parent.name))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return report
