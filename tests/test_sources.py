"""The sources page describes each of the five source texts, and says truly where each is used."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PAGE = (REPO / "book" / "sources.md").read_text("utf-8")
BIB = (REPO / "book" / "references.bib").read_text("utf-8")
KEYS = [f"src00{i}" for i in range(5)]


def lessons_citing(key: str) -> set[int]:
    return {int(p.stem[:2]) for p in (REPO / "lessons").glob("*.md")
            if re.search(rf"\{{cite\}}`[^`]*\b{key}\b", p.read_text("utf-8"))}


def numbers(cell: str) -> set[int]:
    found = set()
    for part in cell.split(","):
        a, _, b = part.strip().partition("–")
        found |= set(range(int(a), int(b or a) + 1))
    return found


def test_each_source_text_has_a_section_and_a_bibliography_entry_pointing_to_it():
    """A labelled section per source text, and a bib entry that names the sources page?"""
    assert "(sources)=" in PAGE
    for key in KEYS:
        assert f"(source-{key[3:]})=" in PAGE, key
        entry = re.search(rf"@\w+\{{{key},(.*?)\n\}}", BIB, flags=re.S).group(1)
        assert "The source texts" in entry, f"{key}: the entry does not point to the page"
        assert "Source text" not in entry, f"{key}: cited as a bare number"


def test_the_table_lists_the_lessons_that_cite_each_source():
    """Does the 'Used in lessons' column match the lessons' own citations?"""
    rows = [r for r in PAGE.splitlines() if r.startswith("| ") and r.count("|") == 5][1:]
    assert len(rows) == len(KEYS)
    for key, row in zip(KEYS, rows, strict=True):
        assert numbers(row.split("|")[4]) == lessons_citing(key), key


def test_the_sources_page_is_in_the_table_of_contents_and_linked_from_every_lesson():
    """Is the page in _toc.yml, and does each lesson's reference list link to it?"""
    assert "file: book/sources" in (REPO / "_toc.yml").read_text("utf-8")
    for lesson in (REPO / "lessons").glob("*.md"):
        references = lesson.read_text("utf-8").split("## References", 1)[1]
        assert "{ref}`sources`" in references, lesson.stem
