"""Render the four-language glossary (``book/glossary/*.yml``) as a MyST page.

Each entry holds a term, its English definition and the term in Arabic,
Hebrew and Swedish, the languages of the course's source texts. Arabic and
Hebrew are wrapped with ``lang`` and ``dir="rtl"`` so browsers lay them out
right to left and screen readers pronounce them in the right language.
"""

from __future__ import annotations

import html
from pathlib import Path

import yaml

from sicourse.errors import SicourseError

LANGUAGES = {  # code: (label, direction)
    "ar": ("Arabic", "rtl"),
    "he": ("Hebrew", "rtl"),
    "sv": ("Swedish", "ltr"),
}
FIELDS = ("term", "definition", *LANGUAGES)


class GlossaryError(SicourseError, ValueError):
    """The glossary file has a mistake; the message names the entry and field."""


def load(folder: Path) -> list[dict]:
    """Read every ``*.yml`` in ``folder`` (one per lesson); a term may appear once."""
    entries: list[dict] = []
    seen: dict[str, Path] = {}
    for path in sorted(folder.glob("*.yml")):
        for entry in load_file(path):
            key = entry["term"].lower()
            if key in seen:
                raise GlossaryError(f"{path}: term '{entry['term']}' is already in {seen[key]}")
            seen[key] = path
            entries.append(entry)
    if not entries:
        raise GlossaryError(f"{folder}: no glossary entries found (*.yml)")
    return entries


def load_file(path: Path) -> list[dict]:
    """Read and validate one glossary file; every entry needs every field, as text."""
    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise GlossaryError(f"{path}: invalid YAML: {exc}") from exc
    if not isinstance(entries, list):
        raise GlossaryError(f"{path}: expected a list of entries")
    for number, entry in enumerate(entries, start=1):
        where = f"{path}: entry {number}"
        if not isinstance(entry, dict):
            raise GlossaryError(f"{where}: expected a mapping with fields {', '.join(FIELDS)}")
        where = f"{path}: entry {number} ({entry.get('term', '?')})"
        for field in FIELDS:
            if not isinstance(entry.get(field), str) or not entry[field].strip():
                raise GlossaryError(f"{where}: field '{field}' is missing or not text")
        unknown = set(entry) - set(FIELDS)
        if unknown:
            raise GlossaryError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    return entries


def to_myst(entries: list[dict]) -> str:
    """The glossary page as MyST Markdown, terms in alphabetical order."""
    lines = [
        "(glossary)=",
        "# Glossary",
        "",
        "Every key term of the course, defined in English and given in Arabic,",
        "Hebrew and Swedish, the languages of the texts the course draws on.",
        "",
        ":::{glossary}",
    ]
    for entry in sorted(entries, key=lambda e: e["term"].lower()):
        translations = " · ".join(
            f'{label}: <span lang="{code}" dir="{direction}">{html.escape(entry[code])}</span>'
            for code, (label, direction) in LANGUAGES.items()
        )
        definition = " ".join(entry["definition"].split())
        lines += [entry["term"], f"  {definition}", "", f"  {translations}", ""]
    lines.append(":::")
    return "\n".join(lines) + "\n"
