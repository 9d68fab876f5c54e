"""A released copy of assignment 1 with one submission per student, for the grading tests."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

from sicourse.grading import nbgrader_run

ASSIGNMENT = "01-concepts"
NOTEBOOK = "concepts-and-definitions.ipynb"


def released_class(repo: Path, root: Path, answers: list[dict[str, str]],
                   students: list[str], timestamps: bool = True) -> Path:
    """A course at ``root`` with assignment 1 released and submitted by ``students``, the
    i-th answering ``answers[i % len(answers)]`` ({grade id: source}); each submission
    dated 2026-03-0(i+1) 09:30 UTC unless ``timestamps`` is False."""
    course = nbgrader_run.scratch_course(repo, root, [ASSIGNMENT])
    nbgrader_run.run(course, "generate_assignment", ASSIGNMENT)
    released = nbformat.read(course / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    for i, student in enumerate(students):
        nb = nbformat.from_dict(json.loads(json.dumps(released)))
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            cell.source = answers[i % len(answers)].get(grade_id, cell.source)
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / NOTEBOOK)
        if timestamps:
            (folder / "timestamp.txt").write_text(f"2026-03-0{i + 1} 09:30:00.000000 UTC")
    return course
