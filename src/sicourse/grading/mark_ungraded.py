"""nbgrader feedback preprocessor: say which answers still await a grader, and that the total
is provisional until they are graded.

Stock feedback shows an essay nobody has graded yet as "Score: 0.0 / 4.0" and
counts it in the total, so a page written by ``sicourse grade`` before
hand-grading looks final. Here, after ``GetGrades``, each item whose grade
still needs a person gets a notice right after it, and the page opens with a
notice saying the total is provisional and how many points are still to come.
Configured in ``nbgrader_config.py``; :func:`awaiting` is what ``sicourse
feedback`` asks before releasing pages.
"""

from __future__ import annotations

from nbformat.v4 import new_markdown_cell
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade

MARK = "sicourse_awaiting_grade"
ITEM = ("**Not graded yet.** Your instructor has not graded this answer yet: the "
        "{points:g} point(s) it is worth are not in the total above.")
TOTAL = ("**Provisional total.** {count} answer(s) worth {points:g} point(s) still await "
         "grading by your instructor; the score above will change once they are graded.")


def awaiting(gb: Gradebook, assignment: str, student: str) -> list[tuple[str, str, float]]:
    """(notebook, grade id, points) of each item of a submission that still needs a grader."""
    submission = gb.find_submission(assignment, student)
    return [(nb.name, grade.name, float(grade.max_score))
            for nb in submission.notebooks for grade in nb.grades if grade.needs_manual_grade]


class MarkUngraded(NbGraderPreprocessor):
    """Mark every item still awaiting manual grading, and the total as provisional."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            pending = {grade_id: points for notebook, grade_id, points
                       in awaiting(gb, info["assignment"], info["student"])
                       if notebook == info["notebook"]}
        if not pending:
            return nb, resources
        cells = []
        for cell in nb.cells:
            cells.append(cell)
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if is_grade(cell) and grade_id in pending:
                cells.append(new_markdown_cell(ITEM.format(points=pending[grade_id]),
                                               metadata={MARK: grade_id}))
        notice = new_markdown_cell(TOTAL.format(count=len(pending),
                                                points=sum(pending.values())),
                                   metadata={MARK: "total"})
        nb.cells = [notice, *cells]
        resources["nbgrader"]["awaiting"] = sorted(pending)
        return nb, resources
