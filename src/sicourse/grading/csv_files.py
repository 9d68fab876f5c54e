"""CSV files that people open in spreadsheets: cells kept from being read as formulas,
files written in one rename.

A spreadsheet program reads a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return as a formula; names and e-mail addresses come from students, so every text
cell of a file this package writes goes through :func:`escape_cell`, which puts a ``'`` in
front. Files the package reads back (the roster) use :func:`escape_reversibly` and
:func:`unescape_cell`, which also protect a leading ``'`` so that reading gives back
exactly what was written.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PRIVATE = 0o600  # the mode of a new file: these files hold students' personal data


def escape_cell(value: str) -> str:
    """``value`` with a ``'`` in front if a spreadsheet would read it as a formula."""
    return "'" + value if value[:1] in FORMULA_START else value


def escape_reversibly(value: str) -> str:
    """Like :func:`escape_cell`, and a leading ``'`` doubled, so :func:`unescape_cell`
    gives ``value`` back."""
    return "'" + value if value[:1] in (*FORMULA_START, "'") else value


def unescape_cell(value: str) -> str:
    """The value :func:`escape_reversibly` was given."""
    return value[1:] if value.startswith("'") else value


def render(rows: Iterable[Sequence[str]]) -> str:
    """The rows as CSV text (cells are written as given: escape them first)."""
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


def write_atomically(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file beside it and one rename,
    so that a reader sees the old file or the new one, never half of one. An existing
    file's mode is kept; a new file is readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = PRIVATE
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
