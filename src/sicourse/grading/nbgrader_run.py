"""Run nbgrader in a course folder and read per-cell scores from its gradebook."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook

from sicourse.course import CONFIG, Course
from sicourse.errors import SicourseError


class NbgraderError(SicourseError, RuntimeError):
    """An nbgrader command failed; the message carries the end of its log."""


def run(course: Path, *args: str) -> subprocess.CompletedProcess:
    """Run one nbgrader command in ``course``, as an instructor would with the venv active.

    nbgrader itself calls other commands of the environment (alembic) through
    PATH, so the environment's bin folder goes first.
    """
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [str(bin_dir / "nbgrader"), *args], cwd=course, capture_output=True, text=True, env=env
    )
    if result.returncode != 0:
        command = " ".join(args)
        raise NbgraderError(f"nbgrader {command} failed in {course}:\n{result.stderr[-3000:]}")
    return result


def scratch_course(repo: Path, target: Path, assignments: list[str]) -> Path:
    """A throwaway course folder with the config and the named source assignments."""
    course = Course.at(repo).require_config()
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(repo / CONFIG, target / CONFIG)
    for name in assignments:
        shutil.copytree(course.assignment_source(name),
                        target / course.source.relative_to(course.root) / name)
    return target


@dataclass(frozen=True)
class CellScore:
    score: float
    max_score: float
    autograded: bool  # a test cell (code), not a hand-graded written answer


def cell_scores(course: Path, assignment: str) -> dict[str, dict[str, CellScore]]:
    """{student: {grade_id: CellScore}} for every graded submission of ``assignment``."""
    scores: dict[str, dict[str, CellScore]] = {}
    with Gradebook(Course.at(course).gradebook_url) as gb:
        for submission in gb.find_assignment(assignment).submissions:
            cells = scores.setdefault(submission.student_id, {})
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    cells[grade.name] = CellScore(
                        grade.score, grade.max_score, grade.cell.cell_type == "code"
                    )
    return scores
