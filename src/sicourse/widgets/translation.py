"""The text of widget content files, for translation through gettext catalogues.

Every string value of a widget's YAML is text a reader sees, except the values of
:data:`NOT_TEXT` keys (ids, kinds, categories...) and strings with no letter. The
same walk lists the strings for the catalogue (``sicourse translations update``
writes them to the catalogues) and, when a book edition
is built, replaces them with their translations (:func:`translate`): the lesson's
code reads the English YAML file and gets the widget in the edition's language.

The language comes from the environment of the build, which the lessons' kernels
inherit: ``SICOURSE_LANGUAGE`` (e.g. ``ar``) and ``SICOURSE_LOCALES`` (the folder of
catalogues). A string without a translation stays in English.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

CATALOGUE = "widgets"
NOT_TEXT = {"id", "widget", "kind", "category", "currency", "correct", "answer_id"}


def strings(data: Any, key: str = "") -> Iterator[str]:
    """Every text string in ``data`` (a parsed YAML file), in document order."""
    if isinstance(data, dict):
        for k, value in data.items():
            if k not in NOT_TEXT:
                yield from strings(value, str(k))
    elif isinstance(data, list):
        for value in data:
            yield from strings(value, key)
    elif isinstance(data, str) and any(c.isalpha() for c in data):
        yield data


def translate(data: Any, lookup: Callable[[str], str]) -> Any:
    """``data`` with each text string replaced by ``lookup(string)``."""
    if isinstance(data, dict):
        return {k: value if k in NOT_TEXT else translate(value, lookup)
                for k, value in data.items()}
    if isinstance(data, list):
        return [translate(value, lookup) for value in data]
    if isinstance(data, str) and any(c.isalpha() for c in data):
        return lookup(data)
    return data


def read_translations(paths) -> dict[str, str]:
    """{English: translation} of the given .po files: translated messages that are not fuzzy."""
    from babel.messages.pofile import read_po

    found: dict[str, str] = {}
    for path in paths:
        with open(path, "rb") as f:
            found.update((m.id, m.string) for m in read_po(f)
                         if m.id and isinstance(m.id, str) and m.string and not m.fuzzy)
    return found


@cache
def _catalogue(locales: str, language: str) -> dict[str, str]:
    return read_translations(sorted(
        (Path(locales) / language / "LC_MESSAGES" / CATALOGUE).glob("*.po")))


def current_lookup() -> Callable[[str], str] | None:
    """The translation of the build's language (None for English or no catalogues)."""
    language = os.environ.get("SICOURSE_LANGUAGE", "")
    locales = os.environ.get("SICOURSE_LOCALES", "")
    if not language or language == "en" or not locales:
        return None
    found = _catalogue(locales, language)
    return lambda text: found.get(text) or text
