"""Check generated feedback before students see it: no answer-key text, scores present.

A line of the key counts as leaked from a student's feedback only if the
student did not write it themselves: a student who answered ``"B"`` sees
their own ``answer_q1 = "B"`` in their feedback, and that is no leak.

Feedback pages show code syntax-highlighted, one ``<span>`` per token, so a
line of the key never appears there verbatim: pages are compared as the text
a reader sees (tags removed, entities decoded, spaces collapsed), in addition
to :func:`sicourse.grading.leaks.find_leaks` on the raw file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import nbformat

from sicourse.course import Course
from sicourse.grading import leaks, mutants


@dataclass
class StudentCheck:
    student: str
    leaks: dict[Path, list[tuple[str, Path]]] = field(default_factory=dict)  # file -> (line, key)
    instructor_files: list[Path] = field(default_factory=list)
    missing_scores: dict[Path, list[str]] = field(default_factory=dict)  # html -> grade ids


def _strings(value) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def reader_text(path: Path) -> str:
    """The text of a file as a reader sees it, spaces collapsed."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix in (".html", ".htm"):
        raw = leaks.visible_text(raw)
    elif path.suffix == ".ipynb":
        try:
            raw = "\n".join(_strings(json.loads(raw)))
        except ValueError:
            pass
    return _squeeze(raw)


def find_secrets(files: Iterable[Path], secrets: Iterable[str]) -> list[tuple[Path, str]]:
    """(file, secret line) for each secret a file shows, raw or as rendered text."""
    secrets = list(secrets)
    found = set(leaks.find_leaks(files, secrets))
    for path in files:
        if path.suffix not in leaks.SCANNED_SUFFIXES or not path.is_file():
            continue
        text = reader_text(path)
        found.update((path, line) for line in secrets if _squeeze(line) in text)
    return sorted(found)


def assignment_secrets(course: Course, assignment: str) -> dict[str, Path]:
    """Every secret line of the assignment's source notebooks, with the notebook it is from."""
    return leaks.key_secrets(course.assignment_source(assignment))


def graded_cells(course: Course, assignment: str) -> dict[str, list[str]]:
    """{notebook stem: grade ids of its graded cells}, from the source notebooks."""
    found = {}
    for path in sorted(course.assignment_source(assignment).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        found[path.stem] = [
            c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade") and "grade_id" in c.metadata["nbgrader"]
        ]
    return found


def instructor_only(course: Course, assignment: str) -> set[PurePosixPath]:
    """Files of the assignment's source folder that students never get.

    nbgrader's autograde copies every non-notebook file of the source folder
    into each autograded folder, and generate_feedback copies those into the
    feedback folder; the mutants file (wrong answers the checks must catch)
    and anything not in release/ stay with the instructor.
    """
    source = course.assignment_source(assignment)
    release = course.folder("release") / assignment
    found = set()
    for path in source.rglob("*"):
        if not path.is_file() or path.suffix == ".ipynb":
            continue
        rel = PurePosixPath(path.relative_to(source).as_posix())
        if path.name == mutants.FILE or (release.is_dir() and not (release / rel).exists()):
            found.add(rel)
    return found


def check_student(
    folder: Path, student: str, submitted: Path, secrets: dict[str, Path],
    private: set[PurePosixPath], graded: dict[str, list[str]],
) -> StudentCheck:
    """Check one student's feedback folder (files are looked at, not changed)."""
    result = StudentCheck(student)
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    for path in files:
        if PurePosixPath(path.relative_to(folder).as_posix()) in private:
            result.instructor_files.append(path)
    written = sorted(p for p in submitted.rglob("*") if p.is_file()) if submitted.is_dir() else []
    own = {line for _, line in find_secrets(written, secrets)}
    candidates = [p for p in files if p not in result.instructor_files]
    for path, line in find_secrets(candidates, [s for s in secrets if s not in own]):
        result.leaks.setdefault(path, []).append((line, secrets[line]))
    for path in files:
        if path.suffix != ".html" or path in result.leaks:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        missing = [
            gid for gid in graded.get(path.stem, [])
            if not re.search(rf'href="#{re.escape(gid)}"[^\n]*\(Score: ', text)
        ]
        if missing:
            result.missing_scores[path] = missing
    return result
