"""Recognise the LMS download layouts and decide what each student's folder will hold.

Layouts (``auto`` tries them in this order, entry by entry):

- Moodle: ``<Full Name>_<id>_assignsubmission_file_/<files>`` (one folder per
  student), or the flat form ``<Full Name>_<id>_assignsubmission_file_<file>``.
  The student id is ``<id>``, the assignment's participant id (Moodle numbers
  participants per assignment; its grading worksheet calls it "Participant <id>").
  ``..._assignsubmission_onlinetext_...`` is the online text the student typed:
  it is noted (a :class:`TextEntry`), not imported.
- Canvas: flat files ``<name>_<userid>_<fileid>_<original name>``, or
  ``<name>_LATE_<userid>_<fileid>_<original name>`` for a late submission, where
  ``<name>`` is the student's sortable name ("Doe, Jane") lowercased with
  everything but letters, digits and ``_`` removed (``doejane``). The student
  id is ``<userid>``, the Canvas user id (the ID column of Canvas's gradebook);
  the download carries no usable name. Canvas adds ``-1``, ``-2`` to
  resubmitted file names; that suffix is ignored when looking for the expected
  notebook. A text entry (``<name>_<userid>_text.html``) or website URL
  (``..._link.html``) is noted, not imported.
- plain: ``<student-id>/<anything>`` or ``<student-id>.ipynb``.

A single wrapping folder around the whole download is looked through.

``timestamp.txt`` at the top of ``submitted/<student>/<assignment>/`` is the
submission time nbgrader and ``sicourse grade`` read, and only ``collect``
writes it: a student's own ``timestamp.txt`` (any case, file or folder) is
imported as ``timestamp-from-student.txt`` instead, where grading flags it as
an extra file.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from sicourse.grading.collect_sources import Entry
from sicourse.grading.intake import TIMESTAMP

LAYOUTS = ("auto", "moodle", "canvas", "plain")
MOODLE = re.compile(
    r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_(?P<plugin>[A-Za-z]+)_(?P<rest>.*)$"
)
CANVAS = re.compile(
    r"^(?P<name>.+?)_(?:(?P<late>late)_)?(?P<userid>\d+)_(?P<fileid>\d+)_(?P<file>.+)$",
    re.IGNORECASE,
)
CANVAS_TEXT = re.compile(
    r"^(?P<name>.+?)_(?:(?P<late>late)_)?(?P<userid>\d+)_(?P<kind>text|link)\.html$",
    re.IGNORECASE,
)
TEXT_PLUGINS = {"onlinetext"}  # Moodle submission plugins that hold typed text, not files
TEXT_KINDS = {"onlinetext": "Moodle online text", "text": "Canvas text entry",
              "link": "Canvas website URL"}
RESUBMITTED = re.compile(r"-\d+$")
STUDENT_TIMESTAMP = "timestamp-from-student.txt"  # a student's own timestamp.txt, renamed
MAX_ID = 64
# Letters that Unicode does not decompose into ASCII ones.
LIGATURES = str.maketrans({
    "œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ø": "o", "Ø": "O",
    "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th",
})


@dataclass(frozen=True)
class Unmatched:
    name: str
    reason: str


@dataclass
class Submission:
    """The files found for one student, keyed by their path inside the submission."""

    student: str
    layout: str
    files: dict[PurePosixPath, Entry] = field(default_factory=dict)
    late: bool = False
    full_name: str = ""
    lms_user_id: str = ""  # Moodle participant id or Canvas user id


@dataclass(frozen=True)
class TextEntry:
    """A part of the download that is typed text or a link, not a file to grade."""

    name: str  # its path in the download
    student: str  # raw id
    layout: str
    kind: str  # onlinetext | text | link
    full_name: str = ""

    @property
    def description(self) -> str:
        return TEXT_KINDS[self.kind]


@dataclass
class Plan:
    """What one student's ``submitted/<student>/<assignment>/`` folder will hold."""

    student: str  # the safe folder name
    submission: Submission
    files: dict[PurePosixPath, Entry]  # destination path -> entry
    renamed: list[tuple[str, str]] = field(default_factory=list)
    extra_notebooks: list[str] = field(default_factory=list)
    problems: list[Unmatched] = field(default_factory=list)  # files left out
    own_timestamp: str = ""  # the student's own timestamp.txt, imported as STUDENT_TIMESTAMP


def safe_student_id(raw: str) -> str | None:
    """A folder name made of ASCII letters, digits and ``._@-``, or None if nothing is left."""
    text = unicodedata.normalize("NFKD", raw.translate(LIGATURES))
    text = text.encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^A-Za-z0-9._@-]+", "_", text.strip()).lstrip("._-")[:MAX_ID].rstrip("._")
    return text or None


def _unwrap(entries: list[Entry]) -> list[Entry]:
    """Look through folders that wrap the whole download (``submissions/...``)."""
    for _ in range(3):
        tops = {e.path.parts[0] for e in entries}
        if len(tops) != 1 or any(len(e.path.parts) < 2 for e in entries):
            break
        top = tops.pop()
        if MOODLE.match(top):
            break
        direct = [e.path.parts[1] for e in entries if len(e.path.parts) == 2]
        is_student_folder = any(
            name.lower().endswith(".ipynb") and not (MOODLE.match(name) or CANVAS.match(name))
            for name in direct
        )
        if is_student_folder:
            break
        entries = [Entry(PurePosixPath(*e.path.parts[1:]), e.size, e.open) for e in entries]
    return entries


def classify(
    entries: list[Entry], layout: str = "auto"
) -> tuple[dict[str, Submission], list[Unmatched], list[TextEntry]]:
    """Group entries by student (raw ids); list the ones that name no student, and the
    online text entries, which are not files to grade."""
    subs: dict[str, Submission] = {}
    unmatched: list[Unmatched] = []
    texts: list[TextEntry] = []

    def add(student: str, kind: str, rel: PurePosixPath, entry: Entry, **extra) -> None:
        sub = subs.setdefault(student, Submission(student, kind))
        for key, value in extra.items():
            if value:
                setattr(sub, key, value)
        if rel in sub.files:
            why = f"a second file {rel} for student {student}"
            unmatched.append(Unmatched(str(entry.path), why))
        else:
            sub.files[rel] = entry

    for entry in _unwrap(entries):
        parts = entry.path.parts
        moodle = MOODLE.match(parts[0]) if layout in ("auto", "moodle") else None
        flat = layout in ("auto", "canvas") and len(parts) == 1
        canvas = CANVAS.match(parts[0]) if flat else None
        canvas_text = CANVAS_TEXT.match(parts[0]) if flat and not canvas else None
        if moodle:
            plugin = moodle["plugin"].lower()
            if plugin in TEXT_PLUGINS:
                texts.append(TextEntry(str(entry.path), moodle["id"], "moodle", plugin,
                                       moodle["name"]))
                continue
            if plugin != "file":
                unmatched.append(Unmatched(str(entry.path), (
                    f"Moodle {moodle['plugin']} submission: only file submissions are imported"
                )))
                continue
            if len(parts) == 1 and not moodle["rest"]:
                unmatched.append(Unmatched(str(entry.path), "Moodle file name with no file part"))
                continue
            rel = PurePosixPath(*parts[1:]) if len(parts) > 1 else PurePosixPath(moodle["rest"])
            add(moodle["id"], "moodle", rel, entry, full_name=moodle["name"],
                lms_user_id=moodle["id"])
        elif canvas:
            add(canvas["userid"], "canvas", PurePosixPath(canvas["file"]), entry,
                late=bool(canvas["late"]), lms_user_id=canvas["userid"])
        elif canvas_text:
            texts.append(TextEntry(str(entry.path), canvas_text["userid"], "canvas",
                                   canvas_text["kind"].lower()))
        elif layout == "moodle":
            unmatched.append(Unmatched(str(entry.path), (
                "not in a Moodle layout (expected <Full Name>_<id>_assignsubmission_file_/...)"
            )))
        elif layout == "canvas":
            unmatched.append(Unmatched(str(entry.path), (
                "not in a Canvas layout (expected <name>_<userid>_<fileid>_<file>, at the top)"
            )))
        elif len(parts) >= 2:
            add(parts[0], "plain", PurePosixPath(*parts[1:]), entry)
        elif entry.path.suffix.lower() == ".ipynb":
            add(entry.path.stem, "plain", PurePosixPath(entry.path.name), entry)
        else:
            unmatched.append(Unmatched(str(entry.path), (
                "a file at the top level that names no student "
                "(expected <student-id>/<file>, <student-id>.ipynb or an LMS layout)"
            )))
    return subs, unmatched, texts


def _base_name(path: PurePosixPath) -> str:
    """The file name without a Canvas resubmission suffix (``nb-1.ipynb`` -> ``nb.ipynb``)."""
    return RESUBMITTED.sub("", path.stem) + path.suffix


def plan(sub: Submission, student: str, expected: list[str]) -> Plan | list[Unmatched]:
    """Choose the notebook(s) to grade and where every file of the submission goes.

    A notebook named as expected (or so named but for a Canvas ``-N`` suffix)
    is taken; when the assignment has one notebook and the submission holds
    exactly one, that one is taken and renamed. Files beside the chosen
    notebook keep their place relative to it; everything else keeps its path.
    """
    notebooks = [p for p in sub.files if p.suffix.lower() == ".ipynb"]
    chosen: dict[str, PurePosixPath] = {}
    for name in expected:
        exact = [p for p in notebooks if p.name == name] or [
            p for p in notebooks if _base_name(p).lower() == name.lower()
        ]
        if len(exact) == 1:
            chosen[name] = exact[0]
    if not chosen and len(expected) == 1 and len(notebooks) == 1:
        chosen[expected[0]] = notebooks[0]
    if not chosen:
        files = ", ".join(sorted(str(p) for p in sub.files))
        if not notebooks:
            why = "no notebook in this submission"
        else:
            why = (f"{len(notebooks)} notebooks and none named {' or '.join(expected)}: "
                   "cannot tell which one to grade")
        return [Unmatched(str(entry.path), f"student {sub.student}: {why} (files: {files})")
                for entry in sub.files.values()]

    base = next(iter(chosen.values())).parent if len(chosen) == 1 else PurePosixPath(".")
    result = Plan(student, sub, {})
    for name, path in chosen.items():
        result.files[PurePosixPath(name)] = sub.files[path]
        if str(path) != name:
            result.renamed.append((str(path), name))
    taken = set(chosen.values())
    for path, entry in sorted(sub.files.items()):
        if path in taken:
            continue
        dest = path.relative_to(base) if base.parts and path.is_relative_to(base) else path
        if dest.parts[0].casefold() == TIMESTAMP:  # only collect writes the submission time
            dest = PurePosixPath(STUDENT_TIMESTAMP, *dest.parts[1:])
            result.own_timestamp = str(path)
            result.renamed.append((str(path), str(dest)))
        if dest in result.files:
            result.problems.append(Unmatched(
                str(entry.path), f"student {sub.student}: would overwrite {dest} in the submission"
            ))
            continue
        result.files[dest] = entry
        if path.suffix.lower() == ".ipynb":
            result.extra_notebooks.append(str(dest))
    return result
