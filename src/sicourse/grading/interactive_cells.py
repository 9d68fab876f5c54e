"""Code cells of an assignment that need a person at the screen, and are not guarded.

A cell that shows a widget or asks for input (``input()``, ``getpass``) has no
one to answer it while nbgrader grades: it must run only outside grading,
under a test of ``NBGRADER_EXECUTION``, which nbgrader (and ``sicourse grade``)
set while autograding::

    import os
    if not os.environ.get("NBGRADER_EXECUTION"):
        ...
"""

from __future__ import annotations

import io
import re
import tokenize

import nbformat

GUARD = "NBGRADER_EXECUTION"
INTERACTIVE_NAMES = {"input", "getpass"}  # widgets are caught by their imports
INTERACTIVE_MODULES = re.compile(r"^\s*(from|import)\s+(ipywidgets|anywidget|sicourse\.widgets)\b",
                                 flags=re.M)


def needs_a_person(source: str) -> bool:
    """Does this code show a widget or ask for input?"""
    if INTERACTIVE_MODULES.search(source):
        return True
    try:
        names = {t.string for t in tokenize.generate_tokens(io.StringIO(source).readline)
                 if t.type == tokenize.NAME}
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return False
    return bool(names & INTERACTIVE_NAMES)


def unguarded(nb: nbformat.NotebookNode) -> list[str]:
    """Where (grade id or cell number) ``nb`` has interactive code with no guard."""
    return [
        cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index + 1}"
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and needs_a_person(cell.source) and GUARD not in cell.source
    ]
