"""Without bubblewrap, grading still works on resource limits alone, and says so."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from sicourse.course import Course
from sicourse.grading import batch, nbgrader_run, sandbox
from sicourse.grading.protocol import Settings

ASSIGNMENT = "01-concepts"
NOTEBOOK = "concepts-and-definitions.ipynb"


@pytest.fixture(scope="module")
def course(tmp_path_factory, repo) -> Path:
    course = nbgrader_run.scratch_course(repo, tmp_path_factory.mktemp("fallback") / "course",
                                         [ASSIGNMENT])
    nbgrader_run.run(course, "generate_assignment", ASSIGNMENT)
    released = nbformat.read(course / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    nb = nbformat.from_dict(json.loads(json.dumps(released)))
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "q1-answer":
            cell.source = 'answer_q1 = "B"\nhog = bytearray(2 * 1024**3)'
    folder = course / "submitted" / "alice" / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / NOTEBOOK)
    return course


@pytest.mark.nbgrader
def test_missing_bwrap_falls_back_to_limits_with_a_warning(course, tmp_path, monkeypatch):
    """With no bwrap on PATH, is the batch graded, the memory limit kept, and a warning given?"""
    copy = Path(shutil.copytree(course, tmp_path / "course"))
    monkeypatch.setattr(sandbox, "find_bwrap", lambda: None)
    summary = batch.grade(Course.at(copy), ASSIGNMENT, workers=1,
                          settings=Settings(timeout=10, memory_mb=512, feedback=False))
    assert any("bubblewrap (bwrap) is not installed" in w and "answer key" in w
               for w in summary.warnings)
    [result] = summary.results
    assert result.status == "flagged", result.error
    assert "memory" in {flag.code for flag in result.flags}  # the 2 GB did not fit in 512 MB
    scores = nbgrader_run.cell_scores(copy, ASSIGNMENT)["alice"]
    assert scores["q1-test"].score == 2 and scores["q2-test"].score == 0


def test_a_failing_self_test_is_a_warning_not_an_error(monkeypatch):
    """Does a bwrap that cannot sandbox here mean limits only, with the reason shown?"""
    monkeypatch.setattr(sandbox, "self_test", lambda policy: "No permissions to create a ns")
    bwrap, warnings = batch.choose_sandbox()
    assert bwrap is None
    assert any("does not work here (No permissions to create a ns)" in w for w in warnings)
