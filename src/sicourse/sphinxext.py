"""Sphinx extension: generate the book's derived pages before Sphinx reads sources.

Listed in ``_config.yml`` so that a plain ``jupyter-book build .`` gives the
full book. It writes into ``book/generated/`` (git-ignored), which the TOC
points to:

* ``book/generated/assignments/``: student versions of ``exercises/`` (the
  answer key itself is never build input);
* ``book/generated/glossary.md``: the glossary page from ``book/glossary/*.yml``.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

from sicourse import glossary, student_versions

GENERATED = Path("book") / "generated"


def generate_pages(app: Sphinx, config) -> None:
    root = Path(app.srcdir)
    out = root / GENERATED
    try:
        student_versions.generate(root / "exercises", out / "assignments")
        entries = glossary.load(root / "book" / "glossary")
    except (student_versions.StudentVersionError, glossary.GlossaryError) as exc:
        raise ExtensionError(str(exc)) from exc
    page = out / "glossary.md"
    text = glossary.to_myst(entries)
    if not page.exists() or page.read_text(encoding="utf-8") != text:
        page.write_text(text, encoding="utf-8")


def setup(app: Sphinx) -> dict:
    # Before sphinx-external-toc (priority 500) checks that the TOC's files exist.
    app.connect("config-inited", generate_pages, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
