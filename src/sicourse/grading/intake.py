"""Read one submitted folder and turn it into what nbgrader can grade, saying what was wrong.

nbgrader itself gives up on a whole submission for many small reasons (a
file it cannot parse, a graded cell whose id was changed, a deleted test
cell next to a deleted answer) and quietly copies whatever else the folder
holds. Here each notebook is read defensively, then compared with the
released student version of the assignment:

- a notebook with the wrong name is graded under the right one when there is
  no doubt which it is; bytes that are not UTF-8 are replaced;
- the nbgrader metadata of every known cell is reset to the released one,
  cells with unknown or duplicated grade ids become ordinary cells, deleted
  cells are put back (an answer cell comes back unanswered, a test cell
  comes back and runs), and read-only cells get their released text back
  (nbgrader's ``OverwriteCells`` then restores hidden tests from the gradebook);
- links and special files are left out; other extra files are kept, as
  nbgrader keeps them, and flagged.

Every repair is a :class:`~sicourse.grading.flags.Flag`; nothing here can
raise a score.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import os
import stat
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import nbformat
from nbgrader.utils import parse_utc

from sicourse.grading.flags import Flag, merge, scan_code
from sicourse.grading.protocol import Submission

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
MAX_FILE_BYTES = 20 * 1024 * 1024  # an extra file larger than this is left out
# nbgrader's own ignore patterns (CourseDirectory.ignore), plus editor litter.
IGNORED = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".DS_Store", "Thumbs.db",
           "__MACOSX"]
TIMESTAMP = "timestamp.txt"


class Unreadable(Exception):
    def __init__(self, flag: Flag):
        super().__init__(flag.reason)
        self.flag = flag


@dataclass
class Intake:
    notebooks: dict[str, nbformat.NotebookNode] = field(default_factory=dict)  # by released name
    files: list[str] = field(default_factory=list)  # other regular files, relative paths
    flags: list[Flag] = field(default_factory=list)
    unreadable: dict[str, Flag] = field(default_factory=dict)  # released name -> why


def _ignored(rel: str) -> bool:
    return any(fnmatch.fnmatch(part, pattern) for part in rel.split("/") for pattern in IGNORED)


def list_files(folder: Path) -> tuple[list[str], list[str]]:
    """(regular files, links and special files) under ``folder``, as relative paths."""
    regular, other = [], []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        base = Path(dirpath)
        for name in list(dirnames):
            rel = (base / name).relative_to(folder).as_posix()
            if (base / name).is_symlink():
                other.append(rel)
                dirnames.remove(name)
            elif _ignored(rel):
                dirnames.remove(name)
        for name in filenames:
            rel = (base / name).relative_to(folder).as_posix()
            if _ignored(rel):
                continue
            mode = os.lstat(base / name).st_mode
            (regular if stat.S_ISREG(mode) else other).append(rel)
    return sorted(regular), sorted(other)


def read_notebook(path: Path, max_bytes: int = MAX_NOTEBOOK_BYTES
                  ) -> tuple[nbformat.NotebookNode, list[Flag]]:
    """The notebook in ``path``, as best it can be read; raises :class:`Unreadable`."""
    size = path.stat().st_size
    if size > max_bytes:
        raise Unreadable(Flag("too-large", f"{size // 1024} KB"))
    data = path.read_bytes()
    if not data.strip():
        raise Unreadable(Flag("empty-file", path.name))
    found = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8-sig", errors="replace")
        found.append(Flag("not-utf8", f"{path.name}, first at byte {exc.start} (replaced)"))
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"{path.name}, line {exc.lineno} column {exc.colno}"
        raise Unreadable(Flag("invalid-json", where)) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("cells", []), list):
        raise Unreadable(Flag("invalid-notebook", f"{path.name}: no list of cells"))
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds
        message = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise Unreadable(Flag("invalid-notebook", f"{path.name}: {message}")) from None
    return nb, found


def _grade_id(cell) -> str | None:
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta.get("grade_id") if isinstance(meta, dict) else None


def _as_type(cell, cell_type: str):
    if cell_type == "code":
        new = nbformat.v4.new_code_cell(cell.source, metadata=cell.metadata)
    elif cell_type == "markdown":
        new = nbformat.v4.new_markdown_cell(cell.source, metadata=cell.metadata)
    else:
        new = nbformat.v4.new_raw_cell(cell.source, metadata=cell.metadata)
    if "id" in cell:
        new["id"] = cell["id"]
    return new


def _points(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def reconcile(nb: nbformat.NotebookNode, released: nbformat.NotebookNode
              ) -> tuple[nbformat.NotebookNode, list[Flag]]:
    """``nb`` with every nbgrader cell of ``released`` present, in place, as released."""
    found: list[Flag] = []
    ref = {}
    for index, cell in enumerate(released.cells):
        grade_id = _grade_id(cell)
        if grade_id:
            ref[grade_id] = (index, cell)
    cells, seen = [], set()
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader")
        if meta is None:
            cells.append(cell)
            continue
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        if grade_id not in ref or grade_id in seen:
            if grade_id in seen:
                found.append(Flag("duplicate-cell", str(grade_id)))
            else:
                found.append(Flag("changed-metadata", f"unknown grade id {grade_id!r}"))
            del cell.metadata["nbgrader"]
            cells.append(cell)
            continue
        seen.add(grade_id)
        original = ref[grade_id][1]
        want = original.metadata["nbgrader"]
        changed = [key for key in ("grade", "solution", "locked", "task")
                   if bool(meta.get(key)) != bool(want.get(key))]
        if want.get("grade") and _points(meta.get("points")) != _points(want.get("points")):
            changed.append("points")
        if cell.cell_type != original.cell_type:
            changed.append("cell type")
            cell = _as_type(cell, original.cell_type)
        if changed:
            found.append(Flag("changed-metadata", f"{grade_id}: {', '.join(changed)}"))
        cell.metadata["nbgrader"] = copy.deepcopy(want)
        if want.get("locked") and cell.source != original.source:
            found.append(Flag("edited-cell", grade_id))
            cell.source = original.source
        cells.append(cell)

    # Put back what was deleted, after the nearest released cell that is still there.
    order = list(ref)
    for grade_id in order:
        if grade_id in seen:
            continue
        position = 0
        for earlier in reversed(order[:order.index(grade_id)]):
            at = next((i for i, c in enumerate(cells) if _grade_id(c) == earlier), None)
            if at is not None:
                position = at + 1
                break
        restored = copy.deepcopy(ref[grade_id][1])
        if "id" in restored:
            restored["id"] = uuid.uuid4().hex[:12]
        if restored.cell_type == "code":
            restored.outputs, restored.execution_count = [], None
        cells.insert(position, restored)
        seen.add(grade_id)
        found.append(Flag("deleted-cell", f"{grade_id} (restored)"))
    nb.cells = cells
    _unique_ids(nb)
    return nb, found


def _unique_ids(nb: nbformat.NotebookNode) -> None:
    ids = set()
    for cell in nb.cells:
        if "id" in cell:
            if cell["id"] in ids or not isinstance(cell["id"], str):
                cell["id"] = uuid.uuid4().hex[:12]
            ids.add(cell["id"])


def scan_cells(nb: nbformat.NotebookNode) -> list[Flag]:
    """Flags for the student's own code cells (all code except the read-only cells)."""
    found = []
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or meta.get("locked"):
            continue
        where = meta.get("grade_id") or f"cell {index + 1}"
        found += [Flag(f.code, f"{where}: {f.detail}" if f.detail else where)
                  for f in scan_code(cell.source)]
    return found


def read_submission(folder: Path, release: Path) -> Intake:
    """Read ``folder`` (one student's submission) against ``release`` (the released assignment)."""
    intake = Intake()
    regular, special = list_files(folder)
    if special:
        intake.flags.append(Flag("symlink", ", ".join(special[:5])))
    released = sorted(p.name for p in release.glob("*.ipynb"))
    released_files = {rel for rel in list_files(release)[0] if not rel.endswith(".ipynb")}
    top_notebooks = [rel for rel in regular if "/" not in rel and rel.endswith(".ipynb")]
    unknown = [name for name in top_notebooks if name not in released]
    sources = {name: name for name in released if name in top_notebooks}
    missing = [name for name in released if name not in sources]
    if len(missing) == 1 and len(unknown) == 1:
        sources[missing[0]] = unknown.pop()
        intake.flags.append(Flag("wrong-name", f"{sources[missing[0]]} (graded as {missing[0]})"))
        missing = []
    for name in missing:
        intake.flags.append(Flag("missing-notebook", name))
        intake.unreadable[name] = Flag("missing-notebook", name)

    for name, source in sorted(sources.items()):
        try:
            nb, found = read_notebook(folder / source)
        except Unreadable as exc:
            intake.flags.append(exc.flag)
            intake.unreadable[name] = exc.flag
            continue
        reference = nbformat.read(release / name, as_version=4)
        nb, repairs = reconcile(nb, reference)
        intake.flags += found + repairs + scan_cells(nb)
        intake.notebooks[name] = nb

    used = set(sources.values())
    extra = [rel for rel in regular
             if rel not in used and rel not in released_files and rel != TIMESTAMP]
    if extra:
        shown = ", ".join(extra[:5]) + (f" and {len(extra) - 5} more" if len(extra) > 5 else "")
        intake.flags.append(Flag("extra-files", shown))
    kept = [rel for rel in regular if rel not in used and not
            (rel.endswith(".ipynb") and "/" not in rel)]
    large = [rel for rel in kept if (folder / rel).stat().st_size > MAX_FILE_BYTES]
    if large:
        intake.flags.append(Flag("extra-files", f"{', '.join(large[:3])} too large, left out"))
    intake.files = [rel for rel in kept if rel not in large]
    intake.flags = merge(intake.flags)
    return intake


def read_timestamp(folder: Path) -> datetime | None:
    """The time ``sicourse collect`` (or nbgrader) recorded for a submitted folder."""
    try:
        text = (folder / TIMESTAMP).read_text(encoding="utf-8").strip()
        return parse_utc(text) if text else None
    except (OSError, ValueError, OverflowError, UnicodeDecodeError):
        return None


def submission(folder: Path, release: Path, student: str,
               extension: timedelta | None = None) -> Submission:
    """One student's submitted ``folder``, read and repaired, as bytes for a grading worker."""
    taken = read_submission(folder, release)
    return Submission(
        student,
        {name: nbformat.writes(nb) for name, nb in taken.notebooks.items()},
        {rel: (folder / rel).read_bytes() for rel in taken.files if rel != TIMESTAMP},
        list(taken.flags), read_timestamp(folder), extension)
