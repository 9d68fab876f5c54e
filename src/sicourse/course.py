"""The course folder, read once: its nbgrader configuration, folders and gradebook.

In the spirit of nbgrader's ``CourseDirectory``: every command builds one
:class:`Course` from ``--root`` and passes it down, and every module asks it
for a path instead of working one out (``exercises/`` is only the default of
``source_directory``, whatever ``nbgrader_config.py`` says wins).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from sicourse.errors import SicourseError

CONFIG = "nbgrader_config.py"
ROSTER = "roster.csv"
SQLITE = "sqlite:///"
# nbgrader's own defaults for the folders of a course.
FOLDERS = {"source": "source", "release": "release", "submitted": "submitted",
           "autograded": "autograded", "feedback": "feedback"}


class CourseError(SicourseError):
    """The course folder or its configuration cannot be used; the message says why."""


def mask_url(url: str) -> str:
    """``url`` with its password (``user:secret@host``) shown as ``***``."""
    return re.sub(r"(//[^/:@]*:)[^@/]*@", r"\1***@", url)


@dataclass(frozen=True)
class Course:
    root: Path
    config: Config = field(default_factory=Config, compare=False, repr=False)

    @classmethod
    def at(cls, root: Path | str = ".") -> Course:
        """The course in ``root``, with its ``nbgrader_config.py`` if it has one."""
        root = Path(root).resolve()
        path = root / CONFIG
        if not path.is_file():
            return cls(root)
        try:
            return cls(root, PyFileConfigLoader(CONFIG, path=str(root)).load_config())
        except Exception as exc:  # the configuration is Python code: any error is possible
            raise CourseError(f"{path}: cannot be read ({type(exc).__name__}: {exc})") from None

    def require_config(self) -> Course:
        """This course, or CourseError if it has no nbgrader configuration."""
        if not (self.root / CONFIG).is_file():
            raise CourseError(f"{self.root / CONFIG}: not found. Run from the course folder "
                              "(the one with nbgrader_config.py) or give --root.")
        return self

    def setting(self, name: str, default=None):
        directory = self.config.get("CourseDirectory", {})
        return directory.get(name, default) if hasattr(directory, "get") else default

    def folder(self, kind: str) -> Path:
        """``source``, ``release``, ``submitted``, ``autograded`` or ``feedback``."""
        return self.root / self.setting(f"{kind}_directory", FOLDERS[kind])

    @property
    def source(self) -> Path:
        return self.folder("source")

    def assignment_source(self, assignment: str) -> Path:
        """The answer key's folder of ``assignment``."""
        return self.source / assignment

    def assignments(self) -> list[str]:
        """The assignments in the source folder, sorted."""
        return sorted(p.name for p in self.source.iterdir()
                      if p.is_dir() and any(p.glob("*.ipynb"))) if self.source.is_dir() else []

    def require_assignment(self, name: str) -> Path:
        """The source folder of assignment ``name``, or CourseError saying which ones exist
        and which one was probably meant."""
        folder = self.assignment_source(name)
        if folder.is_dir():
            return folder
        known = self.assignments()
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        meant = f"Did you mean {close[0]}? " if close else ""
        raise CourseError(f"no assignment {name} in {self.source}. {meant}"
                          f"(assignments: {', '.join(known) or 'none'})")

    @property
    def roster(self) -> Path:
        """The roster file: who each student id is in the LMS (``grading.roster``)."""
        return self.root / ROSTER

    @property
    def ignore(self) -> list[str]:
        return list(self.setting("ignore", [".ipynb_checkpoints", "*.pyc", "__pycache__",
                                            "feedback"]))

    @cached_property
    def gradebook_url(self) -> str:
        """nbgrader's ``db_url``, a relative SQLite path made absolute (against the root)."""
        url = str(self.setting("db_url", "") or f"{SQLITE}gradebook.db")
        if url.startswith(SQLITE):
            path = Path(url[len(SQLITE):])
            return f"{SQLITE}{path if path.is_absolute() else self.root / path}"
        return url

    @property
    def gradebook_path(self) -> Path | None:
        """The SQLite file of the gradebook, or None for a database server."""
        url = self.gradebook_url
        return Path(url[len(SQLITE):]) if url.startswith(SQLITE) else None

    @property
    def gradebook_shown(self) -> str:
        """The gradebook URL as it may be printed: any password masked."""
        return mask_url(self.gradebook_url)
