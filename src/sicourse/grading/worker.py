"""One grading worker: a long-lived process that autogrades submissions one at a time.

A worker keeps its imports (nbgrader, nbconvert, jupyter_client: about two
seconds to load) and its kernel pool for the whole batch. It grades in a
private scratch course folder::

    <scratch>/gradebook.db          a copy of the course's gradebook
    <scratch>/source/<assignment>/  the assignment's files that are not notebooks
    <scratch>/submitted/<student>/<assignment>/   the repaired submission
    <scratch>/autograded/<student>/<assignment>/  nbgrader's output
    <scratch>/kernels/slot<N>/      run and connection folders of its kernels

with nbgrader's own ``Autograde`` converter (its Execute step replaced by a
:class:`~sicourse.grading.execute.SandboxedExecute` made for each submission), so concurrent workers
never share an SQLite file. Only kernels are sandboxed: this process reads the
gradebook copy, which holds the hidden tests. It sends back the scores it
read from its gradebook; the main process merges them.
"""

from __future__ import annotations

import ctypes
import fnmatch
import io
import logging
import multiprocessing
import os
import resource
import shutil
import signal
import sqlite3
import traceback
import warnings
from datetime import datetime
from pathlib import Path
from time import monotonic
from typing import ClassVar

import nbformat
from nbconvert.exporters import HTMLExporter
from nbgrader.api import Gradebook
from nbgrader.converters import Autograde, GenerateFeedback, NbGraderException
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute
from nbgrader.utils import parse_utc
from traitlets.config import Config
from traitlets.utils.importstring import import_item

from sicourse.course import Course
from sicourse.grading import intake as intake_mod
from sicourse.grading import mutants, records, sandbox
from sicourse.grading.evaluator import Evaluator
from sicourse.grading.execute import Context, SandboxedExecute
from sicourse.grading.flags import merge
from sicourse.grading.kernels import KernelPool, children
from sicourse.grading.protocol import Fatal, Forget, Grade, Graded, Ready, Result, Settings

UID_BASE = 60000
SLOTS = 3  # one kernel running, the next two starting


def cell_timeout(config: Config, settings: Settings) -> int:
    if settings.timeout:
        return settings.timeout
    for section in ("SandboxedExecute", "Execute", "ExecutePreprocessor", "NotebookClient"):
        if section in config and "timeout" in config[section]:
            return int(config[section].timeout or 30)
    return 30


def _die_with_parent() -> None:
    """Ask Linux to end this worker when the main process dies (even by SIGKILL).

    The signal's handler ends the sandboxes at once and exits: unwinding could
    be stopped by a library's bare ``except`` and leave the worker waiting forever.
    """
    signal.signal(signal.SIGTERM, _end)
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if not _parent_alive():  # it died before the prctl
        _end()


def _parent_alive() -> bool:
    parent = multiprocessing.parent_process()
    return parent is None or os.getppid() == parent.pid


def _end(*_) -> None:
    end_children()
    os._exit(0)


def end_children() -> None:
    """Kill every process this worker started that is still running: its sandboxes.

    bubblewrap's --die-with-parent cannot cover a sandbox whose start this
    process's exit interrupts (bubblewrap sets it up only once running), nor one
    whose kernel no pool knows yet; each sandbox is its own process group.
    """
    for pid in sorted(set(children(os.getpid()))):
        for kill in (os.killpg, os.kill):
            try:
                kill(pid, signal.SIGKILL)
                break
            except OSError:
                continue


class FeedbackExporter(HTMLExporter):
    """nbgrader's feedback exporter, with its Jinja templates compiled once per process.

    nbgrader makes a new exporter for every run of a converter; a worker runs
    it once per submission, and compiling the templates each time costs more
    than the rest of the feedback. The environment's filters are set again by
    each export before it renders, so sharing it between exports is safe.
    """

    _environments: ClassVar[dict[tuple, object]] = {}

    def _create_environment(self):
        key = (tuple(self.template_paths), self.template_file, tuple(self.extra_loaders))
        if key not in self._environments:
            self._environments[key] = super()._create_environment()
        return self._environments[key]


class Worker:
    def __init__(self, course: Course, assignment: str, scratch: Path, index: int,
                 settings: Settings):
        self.course, self.assignment, self.scratch = course, assignment, scratch
        self.settings = settings
        self.release = course.folder("release") / assignment
        scratch.mkdir(parents=True, exist_ok=True)
        self.base = course.config
        self.db_url = f"sqlite:///{scratch / 'gradebook.db'}"
        copy_gradebook(course.require_sqlite("sicourse grade"), scratch / "gradebook.db")
        source = course.assignment_source(assignment)
        self.source = scratch / "source" / assignment
        self.source.mkdir(parents=True, exist_ok=True)
        # What nbgrader copies into each autograded folder (and so the kernel's folder):
        # the assignment's other files, minus the course's ignore patterns and the mutants.
        ignore = course.ignore + [mutants.FILE]
        for rel in intake_mod.list_files(source)[0] if source.is_dir() else []:
            parts = rel.split("/")
            if rel.endswith(".ipynb") or any(fnmatch.fnmatch(part, pattern)
                                             for part in parts for pattern in ignore):
                continue
            (self.source / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / rel, self.source / rel)
        root_user = os.geteuid() == 0
        # Without bubblewrap the kernel keeps the grader's uid: another uid might not
        # even be able to read the Python installation (here, under /root).
        separate = root_user and settings.drop_uid and settings.bwrap is not None
        uids = [UID_BASE + SLOTS * index + slot if separate else None for slot in range(SLOTS)]
        policy = sandbox.Policy(
            sandbox.Limits(memory_mb=settings.memory_mb, nproc=settings.nproc,
                           cpu_seconds=self.notebook_timeout),
            uid=uids[0], bwrap=settings.bwrap,
        )
        self.pool = KernelPool(scratch / "kernels", policy, uids)
        self.pool.prestart()
        # Runs every test of the batch: it only ever receives plain data and the key's tests.
        self.evaluator = Evaluator(scratch / "evaluator", sandbox.Policy(
            uid=UID_BASE - 1 - index if separate else None, bwrap=settings.bwrap),
            timeout=self.timeout)
        self.kernel_rss_mb = self.last_kernel_rss = 0.0
        self.log = io.StringIO()
        logger = logging.getLogger("traitlets")
        logger.handlers = [logging.StreamHandler(self.log)]
        logger.setLevel(logging.WARNING)
        logger.propagate = False

    @property
    def timeout(self) -> int:
        return cell_timeout(self.base, self.settings)

    @property
    def notebook_timeout(self) -> int:
        return self.settings.notebook_timeout or max(60, 10 * self.timeout)

    def config(self, student: str) -> Config:
        c = Config(self.base)
        c.CourseDirectory.root = str(self.scratch)
        c.CourseDirectory.db_url = self.db_url
        c.CourseDirectory.source_directory = "source"
        c.CourseDirectory.submitted_directory = "submitted"
        c.CourseDirectory.autograded_directory = "autograded"
        c.CourseDirectory.feedback_directory = "feedback"
        c.CourseDirectory.assignment_id = self.assignment
        c.CourseDirectory.student_id = student
        c.CourseDirectory.notebook_id = "*"
        c.CourseDirectory.student_id_exclude = ""
        c.BaseConverter.force = True
        c.SandboxedExecute.timeout = self.timeout
        c.SandboxedExecute.notebook_timeout = self.notebook_timeout
        c.SandboxedExecute.max_output_bytes = self.settings.max_output_bytes
        c.SandboxedExecute.shutdown_kernel = "immediate"
        c.GenerateFeedback.exporter_class = FeedbackExporter
        return c

    def grade(self, student: str) -> Result:
        started = monotonic()
        try:
            result = self._grade(student)
        except Exception:  # noqa: BLE001 - report, never take the batch down
            result = Result(student, "error", error=traceback.format_exc()[-3000:])
        result.seconds = monotonic() - started
        result.worker_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.kernel_rss_mb = max(self.kernel_rss_mb, self.last_kernel_rss)
        result.kernel_rss_mb = self.kernel_rss_mb
        return result

    def forget(self, student: str) -> None:
        """Remove a student's scratch folders (the main process has copied what it needs)."""
        for step in ("submitted", "autograded", "feedback"):
            shutil.rmtree(self.scratch / step / student, ignore_errors=True)

    def _grade(self, student: str) -> Result:
        submitted = self.course.folder("submitted") / student / self.assignment
        taken = intake_mod.read_submission(submitted, self.release)
        flags = list(taken.flags)
        folder = self.scratch / "submitted" / student / self.assignment
        output = self.scratch / "autograded" / student / self.assignment
        for path in (folder, output):
            shutil.rmtree(path, ignore_errors=True)
        folder.mkdir(parents=True)
        timestamp = _timestamp(submitted)
        if timestamp is not None:
            (folder / intake_mod.TIMESTAMP).write_text(str(timestamp))
        if not taken.notebooks:
            return Result(student, "failed", merge(flags), timestamp)
        for name, nb in taken.notebooks.items():
            nbformat.write(nb, folder / name)
        released = {rel for rel in intake_mod.list_files(self.source)[0]}
        staged = [(self.source / rel, rel) for rel in sorted(released)]
        for rel in taken.files:
            if rel == intake_mod.TIMESTAMP:
                continue
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(submitted / rel, folder / rel)
            if rel not in released and not rel.endswith(".ipynb"):
                staged.append((submitted / rel, rel))

        context = Context(self.pool, self.evaluator, staged)
        self.log.seek(0)
        self.log.truncate()
        config = self.config(student)
        converter = Autograde(coursedir=CourseDirectory(config=config), config=config)
        # The course's Execute step becomes this submission's own SandboxedExecute.
        converter.autograde_preprocessors = [
            SandboxedExecute(config=config, context=context) if _is_execute(pp) else pp
            for pp in converter.autograde_preprocessors
        ]
        try:
            converter.start()
        except NbGraderException:
            error = self.log.getvalue()[-3000:]
            return Result(student, "error", merge(flags + context.run.flags), timestamp,
                          error=error or "nbgrader autograde failed")
        finally:
            self.last_kernel_rss = context.run.kernel_rss_mb
        with Gradebook(self.db_url) as gb:
            when, scores = records.read_scores(gb, self.assignment, student)
        flags = merge(flags + context.run.flags)
        status = "flagged" if flags else "graded"
        result = Result(student, status, flags, when or timestamp, scores, str(output))
        if self.settings.feedback:
            self._feedback(student, result)
        return result

    def _feedback(self, student: str, result: Result) -> None:
        """nbgrader's feedback for this submission, from the private gradebook.

        It holds what the real one will once this result is merged (scores, and
        any manual grades given before this batch), so the pages are the same
        as ``nbgrader generate_feedback`` would write after grading; the course's
        config removes the hidden tests.
        """
        folder = self.scratch / "feedback" / student / self.assignment
        shutil.rmtree(folder, ignore_errors=True)
        c = self.config(student)
        try:
            GenerateFeedback(coursedir=CourseDirectory(config=c), config=c).start()
        except Exception:  # noqa: BLE001 - grading stands; the feedback is reported missing
            result.feedback_error = self.log.getvalue()[-1500:] or traceback.format_exc()[-1500:]
            return
        if folder.is_dir():
            result.feedback = str(folder)

    def close(self) -> None:
        self.pool.close()
        self.evaluator.close()


def _is_execute(preprocessor) -> bool:
    """Is this (a class or its dotted name) nbgrader's Execute or a subclass of it?"""
    if isinstance(preprocessor, str):
        preprocessor = import_item(preprocessor)
    return isinstance(preprocessor, type) and issubclass(preprocessor, Execute)


def _timestamp(folder: Path) -> datetime | None:
    path = folder / intake_mod.TIMESTAMP
    try:
        text = path.read_text(encoding="utf-8").strip()
        return parse_utc(text) if text else None
    except (OSError, ValueError, OverflowError, UnicodeDecodeError):
        return None


def copy_gradebook(path: Path, target: Path) -> None:
    """A consistent copy of the course's SQLite gradebook (SQLite's online backup)."""
    target.unlink(missing_ok=True)
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def serve(conn, course: Course, assignment: str, scratch: Path, index: int,
          settings: Settings) -> None:
    """A worker process: answer :class:`Grade` with :class:`Graded` until :class:`Stop` or EOF.

    :class:`Forget` removes that student's scratch folders: the main process
    sends it once it has copied them, which may be while this worker already
    grades the next submission.
    """
    _die_with_parent()
    # The terminal is the main process's (progress bar, summary): nothing from workers.
    warnings.simplefilter("ignore")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the main process to handle
    try:
        try:
            worker = Worker(course, assignment, scratch, index, settings)
        except Exception:  # noqa: BLE001
            conn.send(Fatal(traceback.format_exc()[-3000:]))
            return
        conn.send(Ready(index))
        try:
            while True:
                # Other workers hold copies of this pipe's far end (they were forked from
                # the same process), so EOF may never come: look at the parent as well.
                while not conn.poll(1):
                    if not _parent_alive():
                        return
                message = conn.recv()
                if isinstance(message, Grade):
                    conn.send(Graded(worker.grade(message.student)))
                elif isinstance(message, Forget):
                    worker.forget(message.student)
                else:
                    break
        except (BrokenPipeError, EOFError):
            pass
        finally:
            worker.close()
    finally:
        end_children()
