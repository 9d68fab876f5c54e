"""What the main process of ``sicourse grade`` and its grading workers exchange.

:class:`Settings` goes to every worker when it is forked; the messages go over
each worker's pipe (pickled): the main process sends :class:`Grade`,
:class:`Forget` and :class:`Stop`, a worker answers :class:`Ready` or
:class:`Fatal` once, then one :class:`Graded` per :class:`Grade`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sicourse.grading import records
from sicourse.grading.flags import Flag


@dataclass
class Settings:
    """How to grade: shared by the main process and every worker."""

    timeout: int | None = None  # per cell; None: the course's nbgrader_config.py
    notebook_timeout: int | None = None  # None: ten times the cell timeout
    memory_mb: int = 1024
    nproc: int = 64
    max_output_bytes: int = 2_000_000
    bwrap: str | None = None  # None: resource limits only
    drop_uid: bool = True  # when root: each kernel slot runs as its own uid
    feedback: bool = True  # write each graded submission's feedback too


@dataclass
class Result:
    student: str
    status: str  # graded | flagged | failed | error (ours, not the student's: retried next run)
    flags: list[Flag] = field(default_factory=list)
    timestamp: datetime | None = None
    notebooks: dict[str, records.NotebookScores] = field(default_factory=dict)
    autograded: str | None = None  # folder to copy into the course
    feedback: str | None = None  # its feedback folder (hidden tests removed), to check and copy
    feedback_error: str = ""
    seconds: float = 0.0
    error: str = ""
    worker_rss_mb: float = 0.0  # peak resident memory of the worker so far
    kernel_rss_mb: float = 0.0  # ... and of the largest kernel it has run


@dataclass(frozen=True)
class Grade:
    """Main → worker: grade this student's submission."""

    student: str


@dataclass(frozen=True)
class Forget:
    """Main → worker: this student's folders are copied; delete them from the scratch."""

    student: str


@dataclass(frozen=True)
class Stop:
    """Main → worker: no more work; close the kernels and exit."""


@dataclass(frozen=True)
class Ready:
    """Worker → main: started, kernels warming up; send work."""

    index: int


@dataclass(frozen=True)
class Fatal:
    """Worker → main: could not start (the traceback's end)."""

    error: str


@dataclass(frozen=True)
class Graded:
    """Worker → main: one submission's result."""

    result: Result


