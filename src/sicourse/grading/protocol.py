"""What the coordinator of ``sicourse grade`` and its grading workers exchange.

Everything is data, pickled: a worker is given :class:`Settings` and the assignment's
:class:`~sicourse.grading.assignment_kit.Kit` once, then one :class:`Submission` at a
time (the repaired notebooks and files, as bytes), and answers each with a
:class:`Result` (scores, flags, and the graded and feedback folders as bytes). Only
the coordinator reads the course folder and writes the gradebook.

Local workers (:mod:`sicourse.grading.batch`) get messages over a pipe: the
coordinator sends :class:`Grade` and :class:`Stop`, a worker answers :class:`Ready`
or :class:`Fatal` once, then one :class:`Graded` per :class:`Grade`. Dask workers
(:mod:`sicourse.grading.dask_pool`) get the same kit and submissions as task arguments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sicourse.grading import records
from sicourse.grading.flags import Flag
from sicourse.grading.folder_bytes import Files


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
class Submission:
    """One student's submission as the coordinator read and repaired it (intake)."""

    student: str
    notebooks: dict[str, str] = field(default_factory=dict)  # released name -> JSON text
    files: Files = field(default_factory=dict)  # the other files kept, by relative path
    flags: list[Flag] = field(default_factory=list)
    timestamp: datetime | None = None
    extension: timedelta | None = None  # from the course's gradebook: for the late penalty
    error: str = ""  # the coordinator could not read it: an error result, graded next run


@dataclass
class Result:
    student: str
    status: str  # graded | flagged | failed | error (ours, not the student's: retried next run)
    flags: list[Flag] = field(default_factory=list)
    timestamp: datetime | None = None
    notebooks: dict[str, records.NotebookScores] = field(default_factory=dict)
    autograded: Files | None = None  # the graded folder, to put into the course
    feedback: Files | None = None  # its feedback folder (hidden tests removed), to check
    feedback_error: str = ""
    seconds: float = 0.0
    error: str = ""
    worker_rss_mb: float = 0.0  # peak resident memory of the worker so far
    kernel_rss_mb: float = 0.0  # ... and of the largest kernel it has run


@dataclass(frozen=True)
class Grade:
    """Main → worker: grade this submission."""

    submission: Submission


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


