"""Caps on what ``sicourse collect`` writes, counted on the bytes actually read.

A zip's headers only claim sizes: a small download can hold gigabytes once
uncompressed. So every file is copied in chunks and its bytes are counted as
they come out of the decompressor, against three caps (uncompressed bytes):

- per file, ``--max-file-size``: 20 MB, the size above which grading leaves an
  extra file out anyway (``intake.MAX_FILE_BYTES``);
- per student, ``--max-student-size``: 50 MB, all of one student's files;
- per batch, ``--max-batch-size``: 2048 MB, all students of one ``collect`` run.

The declared sizes are checked first, so an honest large file is refused
before anything is read. A student over a cap, or with a file that cannot be
read (corrupt, encrypted, an unsupported compression method), raises
:class:`Rejected`; the caller writes each student into a temporary folder and
throws it away then, so nothing of that student is left half-written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from sicourse.grading import collect_sources as sources
from sicourse.grading.collect_sources import Entry
from sicourse.grading.intake import MAX_FILE_BYTES

MB = 1024 * 1024
MAX_STUDENT_BYTES = 50 * MB
MAX_BATCH_BYTES = 2048 * MB
CHUNK = 256 * 1024


class Rejected(Exception):
    """One student cannot be imported; the message names the file and says why."""


def size(n: int) -> str:
    return f"{n // MB} MB" if n % MB == 0 else f"{n} bytes"


@dataclass
class Limits:
    per_file: int = MAX_FILE_BYTES
    per_student: int = MAX_STUDENT_BYTES
    per_batch: int = MAX_BATCH_BYTES
    batch_used: int = 0  # bytes of the students imported so far in this run


class Budget:
    """The bytes of one student's files, counted against the caps as they are read."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.student = 0

    def check(self, name: str, file_bytes: int, student_bytes: int) -> None:
        limits = self.limits
        if file_bytes > limits.per_file:
            raise Rejected(f"{name}: more than {size(limits.per_file)} uncompressed, "
                           "the cap per file (--max-file-size)")
        if student_bytes > limits.per_student:
            raise Rejected(f"{name}: the submission comes to more than "
                           f"{size(limits.per_student)} uncompressed, the cap per student "
                           "(--max-student-size)")
        if limits.batch_used + student_bytes > limits.per_batch:
            raise Rejected(f"{name}: the batch would come to more than "
                           f"{size(limits.per_batch)} uncompressed, the cap per batch "
                           f"(--max-batch-size); {limits.batch_used} bytes already imported")

    def check_declared(self, entries: list[Entry]) -> None:
        """Refuse early on the sizes the download declares (a zip may understate them)."""
        total = 0
        for entry in entries:
            total += entry.size
            self.check(str(entry.path), entry.size, total)

    def copy(self, entry: Entry, out: BinaryIO | None) -> None:
        """Copy one file to ``out`` (or only read it, if None), counting what is read."""
        name = str(entry.path)
        done = 0
        try:
            src = entry.open()
        except sources.Unreadable as exc:
            raise Rejected(f"{name}: {exc}") from None
        except sources.READ_ERRORS as exc:
            raise Rejected(f"{name}: {sources.why_unreadable(exc)}") from None
        with src:
            while True:
                try:
                    chunk = src.read(CHUNK)
                except sources.READ_ERRORS as exc:
                    raise Rejected(f"{name}: {sources.why_unreadable(exc)}") from None
                if not chunk:
                    return
                done += len(chunk)
                self.student += len(chunk)
                self.check(name, done, self.student)
                if out is not None:
                    out.write(chunk)

    def commit(self) -> None:
        """Count this student's bytes in the batch, once they are imported."""
        self.limits.batch_used += self.student
