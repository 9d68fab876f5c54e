"""Cells that show a widget or ask for input are skipped while nbgrader grades."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from nbformat.v4 import new_code_cell

from sicourse.cli import main
from sicourse.grading import interactive_cells, mutants


@pytest.mark.parametrize("source, interactive", [
    ("from sicourse.widgets import load\nload('x.yml')", True),
    ("import ipywidgets as w\nw.IntSlider()", True),
    ("name = input('Your name? ')", True),
    ("from getpass import getpass", True),
    ("answer_q1 = 'B'  # input from the table", False),
    ("text = 'import ipywidgets'", False),
    ("display(table)", False),
])
def test_interactive_code_is_recognised(source, interactive):
    """Are widgets (by their imports) and input() told apart from ordinary code and text?"""
    assert interactive_cells.needs_a_person(source) is interactive


def test_only_unguarded_cells_are_reported():
    """Is a widget cell under an NBGRADER_EXECUTION test accepted, and one without named?"""
    nb = nbformat.v4.new_notebook(cells=[
        new_code_cell("import os\nif not os.environ.get('NBGRADER_EXECUTION'):\n"
                      "    from sicourse.widgets import load"),
        new_code_cell("from sicourse.widgets import load"),
    ])
    assert interactive_cells.unguarded(nb) == ["cell 2"]


def test_every_assignment_guards_its_interactive_cells(repo):
    """Does no source notebook have a widget or input() cell that would run while grading,
    and does at least one have a guarded widget (assignment 5's simulator)?"""
    guarded = 0
    for source in sorted((repo / "exercises").glob("*/*.ipynb")):
        nb = nbformat.read(source, as_version=4)
        assert interactive_cells.unguarded(nb) == [], source
        guarded += sum(interactive_cells.needs_a_person(c.source) for c in nb.cells
                       if c.cell_type == "code")
    assert guarded >= 1


@pytest.mark.nbgrader
def test_check_fails_an_unguarded_widget_cell(tmp_path, repo):
    """Does `sicourse check` fail an assignment whose widget cell would run while grading,
    naming the notebook and the cell?"""
    shutil.copy(repo / "nbgrader_config.py", tmp_path)
    folder = tmp_path / "exercises" / "01-concepts"
    shutil.copytree(repo / "exercises" / "01-concepts", folder)
    path = folder / "concepts-and-definitions.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(1, new_code_cell("from sicourse.widgets import load"))
    nbformat.write(nb, path)
    result = CliRunner().invoke(main, ["check", "01-concepts", "--root", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "concepts-and-definitions.ipynb, cell 2: shows a widget" in result.output


@pytest.mark.nbgrader
def test_the_simulator_cell_runs_outside_grading(repo, tmp_path):
    """Outside grading, does assignment 5's guarded cell really open the simulator?"""
    from nbclient import NotebookClient

    folder = Path(shutil.copytree(repo / "exercises" / "05-impact-bonds", tmp_path / "a5"))
    nb = nbformat.read(folder / "impact-bonds.ipynb", as_version=4)
    cell = next(c for c in nb.cells if interactive_cells.needs_a_person(c.source))
    run = nbformat.v4.new_notebook(cells=[new_code_cell(cell.source)])
    run.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    NotebookClient(run, resources={"metadata": {"path": str(folder)}},
                   kernel_name="python3").execute(
        env={"PATH": str(Path(sys.executable).parent)})
    outputs = run.cells[0].outputs
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {})
               for o in outputs), outputs


@pytest.mark.nbgrader
def test_the_simulator_cell_is_skipped_by_sicourse_grade(repo, tmp_path):
    """In the grading sandbox, is the guarded cell skipped (no output, no error) while the
    answers around it are graded?"""
    from sicourse.grading import nbgrader_run

    assignment, name = "05-impact-bonds", "impact-bonds.ipynb"
    course = nbgrader_run.scratch_course(repo, tmp_path / "course", [assignment])
    nbgrader_run.run(course, "generate_assignment", assignment)
    folder = course / "submitted" / "key" / assignment
    shutil.copytree(course / "release" / assignment, folder)
    key = nbformat.read(repo / "exercises" / assignment / name, as_version=4)
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in key.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    released = nbformat.read(folder / name, as_version=4)
    nbformat.write(mutants.apply(released, answers), folder / name)  # the key's answers
    from sicourse.course import Course
    from sicourse.grading.batch import grade

    summary = grade(Course.at(course), assignment, workers=1)
    assert [r.student for r in summary.by_status("graded")] == ["key"], summary
    graded = nbformat.read(course / "autograded" / "key" / assignment / name, as_version=4)
    cell = next(c for c in graded.cells if interactive_cells.needs_a_person(c.source))
    assert cell.outputs == []
    scores = nbgrader_run.cell_scores(course, assignment)["key"]
    assert all(s.score == s.max_score for s in scores.values() if s.autograded)
