"""Plausible wrong answers ("mutants") kept beside an assignment, in ``mutants.yml``.

Format: a mapping from the grade_id of an autograded test cell to a list of
mutants; each mutant maps the grade_id of one or more answer cells to the
source that replaces it::

    q1-test:
      - q1-answer: 'answer_q1 = "A"'
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import yaml

from sicourse.errors import SicourseError

FILE = "mutants.yml"


class MutantsError(SicourseError, ValueError):
    """The mutants file has a mistake; the message names the file, item and field."""


def grade_ids(nb: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if "nbgrader" in c.metadata}


def load(folder: Path, notebook: nbformat.NotebookNode) -> dict[str, list[dict[str, str]]]:
    """Read and check ``folder/mutants.yml`` against the assignment's (single) notebook."""
    path = folder / FILE
    if not path.is_file():
        raise MutantsError(f"{path}: missing; every autograded item needs mutants")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise MutantsError(f"{path}: invalid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise MutantsError(f"{path}: expected a mapping from test-cell grade_id to mutants")
    cells = grade_ids(notebook)
    for item, mutants in data.items():
        where = f"{path}: item '{item}'"
        cell = cells.get(item)
        if cell is None or not cell.metadata["nbgrader"].get("grade") or cell.cell_type != "code":
            raise MutantsError(f"{where}: not the grade_id of an autograded test cell")
        if not isinstance(mutants, list) or not mutants:
            raise MutantsError(f"{where}: expected a non-empty list of mutants")
        for number, mutant in enumerate(mutants, start=1):
            if not isinstance(mutant, dict) or not mutant:
                raise MutantsError(f"{where}, mutant {number}: expected a mapping cell id → source")
            for target, source in mutant.items():
                answer = cells.get(target)
                if answer is None or not answer.metadata["nbgrader"].get("solution"):
                    raise MutantsError(
                        f"{where}, mutant {number}: '{target}' is not an answer cell's grade_id"
                    )
                if not isinstance(source, str):
                    raise MutantsError(f"{where}, mutant {number}, field '{target}': expected text")
    return data


def apply(notebook: nbformat.NotebookNode, mutant: dict[str, str]) -> nbformat.NotebookNode:
    """A copy of ``notebook`` with the mutant's answer cells replaced."""
    changed = nbformat.from_dict(notebook)
    cells = grade_ids(changed)
    for target, source in mutant.items():
        cells[target].source = source
    return changed
