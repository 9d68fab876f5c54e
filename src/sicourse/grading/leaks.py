"""Find answer-key text (solutions, hidden tests, model answers) where students can see it.

The secrets are read from the source notebooks themselves: every line inside
a solution or hidden-test region of a code cell (also without its trailing
comment), and every line of a manually graded markdown answer in the key
(model answer and rubric). Short
lines (``pass``, a lone bracket) are ignored because they also occur in
innocent text.
"""

from __future__ import annotations

import html
import io
import re
import tokenize
from collections.abc import Iterable
from pathlib import Path

import nbformat

REGIONS = [
    ("BEGIN SOLUTION", "END SOLUTION"),
    ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"),
    ("BEGIN MARK SCHEME", "END MARK SCHEME"),
]
MIN_LENGTH = 12
SCANNED_SUFFIXES = {".html", ".js", ".json", ".ipynb", ".md", ".txt", ".py", ".csv", ".yml",
                    ".yaml"}


def _regions(source: str) -> Iterable[str]:
    inside = None
    for line in source.splitlines():
        if inside is None:
            inside = next((end for begin, end in REGIONS if begin in line), None)
        elif inside in line:
            inside = None
        else:
            yield line


def secrets(notebook: Path) -> set[str]:
    """The lines of one source notebook that must never reach a student."""
    nb = nbformat.read(notebook, as_version=4)
    found = set()
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown" and meta.get("solution"):
            lines: Iterable[str] = cell.source.splitlines()
        else:
            lines = _regions(cell.source)
        for line in lines:
            found.update(part for part in (line.strip(), without_comment(line))
                         if len(part) >= MIN_LENGTH)
    return found


def without_comment(line: str) -> str:
    """A line of code without its trailing comment: it may be shown without it."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(line).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return line.strip()  # part of a larger statement, or prose: keep it whole
    comment = next((t for t in tokens if t.type == tokenize.COMMENT), None)
    return line[:comment.start[1]].strip() if comment else line.strip()


def key_secrets(folder: Path) -> dict[str, Path]:
    """Every secret line of the source notebooks under ``folder`` (the source folder, or one
    assignment's), with the notebook it is from."""
    notebooks = sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    return {line: nb for nb in notebooks for line in secrets(nb)}


def _variants(line: str) -> set[str]:
    # A line can appear escaped: in JSON ("\"B\""), in HTML (&quot;B&quot;).
    html = line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return {line, line.replace('"', '\\"'), html, html.replace('"', "&quot;"),
            html.replace('"', "&#34;"), html.replace("'", "&#39;")}


def visible_text(page: str) -> str:
    """What a reader sees of an HTML page: tags removed, entities decoded.

    Highlighted code wraps every token in its own span, so a leaked line only
    appears whole once the tags are gone.
    """
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def find_leaks(files: Iterable[Path], secret_lines: Iterable[str]) -> list[tuple[Path, str]]:
    """(file, secret line) for each secret that appears in a file."""
    patterns = {
        line: re.compile("|".join(map(re.escape, _variants(line)))) for line in secret_lines
    }
    leaks = []
    for path in files:
        if path.suffix not in SCANNED_SUFFIXES or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".html":
            text += "\n" + visible_text(text)
        leaks += [(path, line) for line, pattern in patterns.items() if pattern.search(text)]
    return leaks
