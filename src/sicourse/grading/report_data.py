"""The numbers behind ``sicourse report``: grades from the gradebook, flags from the engine.

Flags: ``sicourse grade`` writes ``autograded/<assignment>.flags.json``, a JSON
object mapping a student id to a list of reasons (``{"alice": ["timed out"]}``);
a reason may also be an object, ``{"reason": ...}`` or the engine's
``{"code": "timeout", "detail": ...}``.
"""

from __future__ import annotations

import csv
import json
import statistics
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry

from sicourse.course import Course, mask_url
from sicourse.errors import SicourseError
from sicourse.grading.csv_files import escape_cell
from sicourse.grading.gradebook_check import require_gradebook


class ReportError(SicourseError, ValueError):
    """Bad or missing input; the message names the file and the problem."""


@dataclass(frozen=True)
class Item:
    notebook: str
    grade_id: str
    points: float
    autograded: bool  # a test cell, not a hand-graded written answer
    label: str  # grade_id, or notebook/grade_id when several notebooks share an id


@dataclass
class Row:
    student: str
    score: float
    max_score: float
    penalty: float
    timestamp: datetime | None
    items: dict[str, float | None] = field(default_factory=dict)  # label -> score; None: ungraded

    @property
    def needs_manual_grade(self) -> bool:
        return any(v is None for v in self.items.values())


@dataclass
class ItemStats:
    item: Item
    graded: int  # submissions with a score for this item
    waiting: int  # submissions still waiting for a manual grade
    mean: float | None

    @property
    def fraction(self) -> float | None:
        return None if self.mean is None or not self.item.points else self.mean / self.item.points


@dataclass
class ReportData:
    assignment: str
    max_score: float
    items: list[Item]
    rows: list[Row]
    flags: dict[str, list[str]]
    no_submission: list[str]  # students in the gradebook without a submission

    def item_stats(self) -> list[ItemStats]:
        """Per-item means, hardest item (lowest share of its points) first."""
        stats = []
        for item in self.items:
            present = [r.items[item.label] for r in self.rows if item.label in r.items]
            scores = [s for s in present if s is not None]
            waiting = len(present) - len(scores)
            mean = statistics.fmean(scores) if scores else None
            stats.append(ItemStats(item, len(scores), waiting, mean))
        return sorted(stats, key=lambda s: (s.fraction is None, s.fraction or 0, s.item.label))


def gradebook(course: Course, assignment: str = "<assignment>") -> str:
    """The course's gradebook URL, once it is known to exist."""
    return require_gradebook(course, "sicourse report", assignment)


def read_flags(path: Path) -> dict[str, list[str]]:
    """``{student: [reason, ...]}`` from the engine's flags file (empty if there is none)."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ReportError(f"{path}: expected an object mapping student ids to lists of reasons")
    flags = {}
    for student, reasons in data.items():
        if isinstance(reasons, (str, dict)):
            reasons = [reasons]
        if not isinstance(reasons, list) or not all(_reason(r) for r in reasons):
            raise ReportError(f"{path}: student {student!r}: expected a list of reasons "
                              '(strings, or objects with "reason" or "code" and "detail")')
        flags[student] = [_reason(r) for r in reasons]
    return flags


def _reason(value) -> str:
    """A reason as text: a string, {"reason": ...}, or the engine's {"code", "detail"}."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("reason"), str):
        return value["reason"]
    if isinstance(value, dict) and isinstance(value.get("code"), str):
        try:
            from sicourse.grading.flags import REASONS
        except ImportError:  # the engine's list of reasons, if it is installed
            REASONS = {}
        text = REASONS.get(value["code"], value["code"])
        detail = value.get("detail")
        return f"{text}: {detail}" if isinstance(detail, str) and detail else text
    return ""


def _cell_order(course: Course, assignment: str) -> dict[tuple[str, str], int]:
    order = {}
    for path in sorted(course.assignment_source(assignment).glob("*.ipynb")):
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # an unreadable source only loses the ordering
            continue
        for index, cell in enumerate(nb.cells):
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id:
                order[(path.stem, grade_id)] = index
    return order


def load(course: Course, assignment: str) -> ReportData:
    url = gradebook(course, assignment)
    flags = read_flags(course.folder("autograded") / f"{assignment}.flags.json")
    order = _cell_order(course, assignment)
    with Gradebook(url) as gb:
        try:
            record = gb.find_assignment(assignment)
        except MissingEntry:
            raise ReportError(
                f"{mask_url(url)}: no assignment {assignment!r} in the gradebook; "
                "grade it first."
            ) from None
        cells = [(nb.name, cell) for nb in record.notebooks for cell in nb.grade_cells]
        cells.sort(key=lambda c: (c[0], order.get((c[0], c[1].name), 10**6), c[1].name))
        names = [cell.name for _, cell in cells]
        items = [
            Item(nb, cell.name, float(cell.max_score), cell.cell_type == "code",
                 cell.name if names.count(cell.name) == 1 else f"{nb}/{cell.name}")
            for nb, cell in cells
        ]
        labels = {(i.notebook, i.grade_id): i.label for i in items}
        rows = []
        for sub in record.submissions:
            row = Row(sub.student_id, float(sub.score), float(sub.max_score),
                      float(sub.late_submission_penalty or 0), sub.timestamp)
            for notebook in sub.notebooks:
                for grade in notebook.grades:
                    label = labels.get((notebook.name, grade.name))
                    if label is not None:
                        row.items[label] = None if grade.needs_manual_grade else float(grade.score)
            rows.append(row)
        submitted = {r.student for r in rows}
        no_submission = sorted(s.id for s in gb.students if s.id not in submitted)
        max_score = float(record.max_score)
    rows.sort(key=lambda r: r.student)
    return ReportData(assignment, max_score, items, rows, flags, no_submission)


def grades_csv(course: Course, assignment: str, folder: Path | None = None,
               data: ReportData | None = None) -> Path:
    """Write the assignment's one grades file, ``reports/<assignment>-grades.csv`` (or in
    ``folder``), from the gradebook as it is now (or ``data`` just loaded from it); its path.

    ``sicourse grade``, ``feedback`` and ``report`` all call this when they finish, so
    the file always holds the current grades, manual ones included.
    """
    folder = folder or course.root / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{assignment}-grades.csv"
    write_csv(data or load(course, assignment), path)
    return path


def write_csv(data: ReportData, path: Path) -> None:
    """One row per submission: totals, each item's score, and the flags (written beside
    ``path`` first, then renamed: never half-written)."""
    partial = path.with_name(f".{path.name}.partial")
    _write_rows(data, partial)
    partial.replace(path)


def _write_rows(data: ReportData, path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        labels = [i.label for i in data.items]
        writer.writerow(["student_id", "timestamp", "score", "max_score",
                         "late_submission_penalty", *labels, "needs_manual_grade", "flags"])
        for row in data.rows:
            writer.writerow([
                escape_cell(row.student), row.timestamp.isoformat() if row.timestamp else "",
                f"{row.score:g}", f"{row.max_score:g}", f"{row.penalty:g}",
                *("" if row.items.get(label) is None else f"{row.items[label]:g}"
                  for label in labels),
                "yes" if row.needs_manual_grade else "no",
                escape_cell("; ".join(data.flags.get(row.student, []))),
            ])
