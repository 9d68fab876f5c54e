"""Turn nbgrader source notebooks (the answer key) into student versions.

This runs the same nbgrader preprocessors, in the same order, as
``nbgrader generate_assignment``, minus the two steps that need a course
folder (the header/footer and saving cells to the gradebook). The result is a
notebook an instructor could release: solutions replaced, hidden tests and mark
schemes removed, read-only cells locked, checksums computed.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import yaml
from nbgrader.preprocessors import (
    CheckCellMetadata,
    ClearHiddenTests,
    ClearMarkScheme,
    ClearOutput,
    ClearSolutions,
    ComputeChecksums,
    LockCells,
)

from sicourse.errors import SicourseError

# Order matters, as in nbgrader's GenerateAssignment: checksums are computed
# before hidden tests are cleared, then again after, so the student version
# carries checksums of what the student actually sees.
PREPROCESSORS = (
    LockCells,
    ClearSolutions,
    ClearOutput,
    CheckCellMetadata,
    ComputeChecksums,
    ClearHiddenTests,
    ClearMarkScheme,
    ComputeChecksums,
    CheckCellMetadata,
)


class StudentVersionError(SicourseError):
    """A source notebook could not be turned into a student version."""


def student_notebook(source: Path) -> nbformat.NotebookNode:
    """Return the student version of one source notebook."""
    try:
        nb = nbformat.read(source, as_version=4)
    except Exception as exc:  # nbformat raises several unrelated types
        raise StudentVersionError(f"{source}: not a readable notebook ({exc})") from exc
    resources: dict = {}
    for preprocessor in PREPROCESSORS:
        try:
            nb, resources = preprocessor().preprocess(nb, resources)
        except Exception as exc:  # nbgrader raises RuntimeError and others
            raise StudentVersionError(
                f"{source}: nbgrader {preprocessor.__name__} failed: {exc}"
            ) from exc
    return nb


# Files beside a notebook that students need too, and widget content (YAML with a
# `widget:` key). Anything else (mutants, instructor notes) stays in exercises/.
COPIED_SUFFIXES = {".csv", ".png", ".svg", ".jpg"}


def is_widget_content(path: Path) -> bool:
    if path.suffix not in {".yml", ".yaml"}:
        return False
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return False
    return isinstance(data, dict) and "widget" in data


def generate(source_dir: Path, target_dir: Path) -> list[Path]:
    """Write student versions of ``source_dir/<assignment>/*.ipynb`` under ``target_dir``.

    Data files students need are copied beside them. Files are rewritten only
    when their content changes, so Sphinx does not rebuild untouched pages.
    Returns the notebooks written.
    """
    notebooks = []
    for source in sorted(source_dir.glob("*/*")):
        if source.suffix == ".ipynb":
            data = nbformat.writes(student_notebook(source)).encode("utf-8") + b"\n"
            notebooks.append(target_dir / source.relative_to(source_dir))
        elif source.suffix in COPIED_SUFFIXES or is_widget_content(source):
            data = source.read_bytes()
        else:
            continue
        target = target_dir / source.relative_to(source_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)
    return notebooks
