"""Read a widget's content from YAML and check it, with errors an author can act on.

Every error is one ``ContentError`` whose message names the file, the entry
and the field, for example::

    lessons/01-what-is-social-innovation/quiz.yml: questions[2] (id 'q3'):
    field 'options': no option is marked correct: true
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

try:
    import yaml
    SYNTAX_ERROR: type[Exception] = yaml.YAMLError
except ImportError:  # in JupyterLite, where PyYAML (compiled) is not installed
    yaml = None
    SYNTAX_ERROR = json.JSONDecodeError

from sicourse.errors import SicourseError
from sicourse.widgets import translation


class ContentError(SicourseError, ValueError):
    """A widget content file has a mistake; the message says where and what."""


def read(path: str | Path) -> Fields:
    """Parse one YAML content file into a top-level ``Fields``."""
    path = Path(path)
    try:
        if yaml is None:  # the JupyterLite site has each YAML file also as JSON
            data = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        else:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ContentError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise ContentError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except SYNTAX_ERROR as exc:
        raise ContentError(f"{path}: invalid {'YAML' if yaml else 'JSON'}: {exc}") from None
    if not isinstance(data, dict):
        raise ContentError(f"{path}: expected a mapping of fields at the top level")
    lookup = translation.current_lookup()  # a book edition in another language
    if lookup is not None:
        data = translation.translate(data, lookup)
    return Fields(data, path, "")


class Fields:
    """Typed, checked access to one mapping of a content file."""

    def __init__(self, data: dict, path: Path, where: str):
        self.data, self.path, self.where = data, path, where

    def error(self, field: str | None, problem: str) -> ContentError:
        place = f"{self.path}: " + (f"{self.where}: " if self.where else "")
        if field is not None:
            place += f"field '{field}': "
        return ContentError(place + problem)

    def _get(self, field: str, kind: type | tuple, default: Any, label: str) -> Any:
        if field not in self.data:
            if default is REQUIRED:
                raise self.error(field, "missing")
            return default
        value = self.data[field]
        # bool is an int in Python; a number field must not accept true/false.
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise self.error(field, f"expected {label}, got {type(value).__name__} {value!r}")
        return value

    def text(self, field: str, default: Any = None) -> str:
        value = self._get(field, str, REQUIRED if default is None else default, "text")
        if not value.strip() and default is None:
            raise self.error(field, "is empty")
        return value.strip()

    def flag(self, field: str, default: Any = None) -> bool:
        return self._get(field, bool, REQUIRED if default is None else default, "true or false")

    def number(self, field: str, default: Any = None) -> float:
        return self._get(field, (int, float), REQUIRED if default is None else default, "a number")

    def entries(self, field: str, minimum: int = 1) -> list[Fields]:
        """A list of mappings, each with a unique text ``id``."""
        items = self._get(field, list, REQUIRED, "a list")
        if len(items) < minimum:
            noun = "entry" if minimum == 1 else "entries"
            raise self.error(field, f"needs at least {minimum} {noun}, has {len(items)}")
        result, seen = [], set()
        for index, item in enumerate(items):
            where = f"{self.where + '.' if self.where else ''}{field}[{index + 1}]"
            if not isinstance(item, dict):
                raise self.error(field, f"entry {index + 1} is not a mapping")
            entry = Fields(item, self.path, where)
            ident = entry.ident()
            entry.where = f"{where} (id '{ident}')"
            if ident in seen:
                raise entry.error("id", f"duplicate id '{ident}'")
            seen.add(ident)
            result.append(entry)
        return result

    def ident(self) -> str:
        value = self.data.get("id")
        if isinstance(value, bool):
            raise self.error("id", "read as true/false: put ids like yes, no, on, off in quotes")
        if not isinstance(value, (str, int)) or str(value) == "":
            raise self.error("id", "missing, or not text or a number")
        return str(value)

    def only(self, *allowed: str) -> None:
        """Reject fields the schema does not know (often a typo)."""
        unknown = sorted(set(self.data) - set(allowed))
        if unknown:
            raise self.error(unknown[0], f"unknown field; allowed: {', '.join(allowed)}")


REQUIRED = object()
