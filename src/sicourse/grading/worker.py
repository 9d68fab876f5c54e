"""One grading worker: a pure executor that autogrades submissions one at a time.

A worker is given the assignment's :class:`~sicourse.grading.assignment_kit.Kit` and
then :class:`~sicourse.grading.protocol.Submission` after submission, all as bytes: it
never reads the course folder or the course's gradebook, so it may run on another
machine (:mod:`sicourse.grading.dask_pool`) as well as in a local process
(:mod:`sicourse.grading.batch`). It keeps its imports (nbgrader, nbconvert,
jupyter_client: about two seconds to load) and its kernel pool for the whole batch,
and grades in a private scratch course folder::

    <scratch>/gradebook.db          the kit's gradebook: the assignment's structure and tests
    <scratch>/source/<assignment>/  the assignment's files that are not notebooks
    <scratch>/submitted/<student>/<assignment>/   the submission being graded
    <scratch>/autograded/<student>/<assignment>/  nbgrader's output
    <scratch>/kernels/slot<N>/      run and connection folders of its kernels

with nbgrader's own ``Autograde`` converter (its Execute step replaced by a
:class:`~sicourse.grading.execute.SandboxedExecute` made for each submission). Only
kernels are sandboxed: this process reads the kit's gradebook, which holds the hidden
tests. It sends back the scores it read from that gradebook and the graded and feedback
folders as bytes, then deletes the student's scratch folders; the coordinator merges.
"""

from __future__ import annotations

import ctypes
import io
import logging
import multiprocessing
import os
import resource
import shutil
import signal
import traceback
import warnings
from pathlib import Path
from time import monotonic
from typing import ClassVar

from nbconvert.exporters import HTMLExporter
from nbgrader.api import Gradebook
from nbgrader.converters import Autograde, GenerateFeedback, NbGraderException
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute
from traitlets.config import Config
from traitlets.utils.importstring import import_item

from sicourse.grading import folder_bytes, records, sandbox
from sicourse.grading import intake as intake_mod
from sicourse.grading.assignment_kit import Kit
from sicourse.grading.evaluator import Evaluator
from sicourse.grading.execute import Context, SandboxedExecute
from sicourse.grading.flags import merge
from sicourse.grading.kernels import KernelPool, children
from sicourse.grading.protocol import Fatal, Grade, Graded, Ready, Result, Settings, Submission

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
    def __init__(self, kit: Kit, scratch: Path, index: int, settings: Settings):
        self.kit, self.assignment, self.scratch = kit, kit.assignment, scratch
        self.settings = settings
        scratch.mkdir(parents=True, exist_ok=True)
        self.base = kit.config
        (scratch / "gradebook.db").write_bytes(kit.gradebook)
        self.db_url = f"sqlite:///{scratch / 'gradebook.db'}"
        # What nbgrader copies into each autograded folder (and so the kernel's folder).
        self.source = folder_bytes.unpack(kit.files, scratch / "source" / self.assignment)
        self.released = sorted(intake_mod.list_files(self.source)[0])  # copied into each run
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

    def grade(self, submission: Submission) -> Result:
        started = monotonic()
        student = submission.student
        try:
            result = self._grade(submission)
        except Exception:  # noqa: BLE001 - report, never take the batch down
            result = Result(student, "error", error=traceback.format_exc()[-3000:])
        finally:
            for step in ("submitted", "autograded", "feedback"):
                shutil.rmtree(self.scratch / step / student, ignore_errors=True)
        result.seconds = monotonic() - started
        result.worker_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.kernel_rss_mb = max(self.kernel_rss_mb, self.last_kernel_rss)
        result.kernel_rss_mb = self.kernel_rss_mb
        return result

    def _grade(self, submission: Submission) -> Result:
        student, flags, timestamp = submission.student, submission.flags, submission.timestamp
        if submission.error:
            return Result(student, "error", error=submission.error)
        folder = self.scratch / "submitted" / student / self.assignment
        output = self.scratch / "autograded" / student / self.assignment
        for path in (folder, output):
            shutil.rmtree(path, ignore_errors=True)
        folder_bytes.unpack(submission.files, folder)
        if timestamp is not None:
            (folder / intake_mod.TIMESTAMP).write_text(str(timestamp))
        if not submission.notebooks:
            return Result(student, "failed", merge(flags), timestamp)
        for name, text in submission.notebooks.items():
            (folder / folder_bytes.safe(name).name).write_text(text, encoding="utf-8")
        released = set(self.released)
        staged = [(self.source / rel, rel) for rel in self.released]
        staged += [(folder / rel, rel) for rel in sorted(submission.files)
                   if rel not in released and not rel.endswith(".ipynb")]
        with Gradebook(self.db_url, self.kit.course_id) as gb:
            # Before nbgrader adds it: the late penalty counts the student's extension.
            gb.update_or_create_student(student)
            gb.update_or_create_submission(self.assignment, student,
                                           extension=submission.extension)

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
        with Gradebook(self.db_url, self.kit.course_id) as gb:
            when, scores = records.read_scores(gb, self.assignment, student)
        flags = merge(flags + context.run.flags)
        status = "flagged" if flags else "graded"
        result = Result(student, status, flags, when or timestamp, scores,
                        folder_bytes.pack(output))
        if self.settings.feedback:
            self._feedback(student, result)
        return result

    def _feedback(self, student: str, result: Result) -> None:
        """nbgrader's feedback for this submission, from the private gradebook.

        It holds the assignment and this submission's automatic scores: what the
        course's gradebook will hold once the result is merged, except a manual
        score given before a regrade, which the merge marks for review (so the
        page shows that answer as awaiting hand-grading). The course's config
        removes the hidden tests.
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
            result.feedback = folder_bytes.pack(folder)

    def close(self) -> None:
        self.pool.close()
        self.evaluator.close()


def _is_execute(preprocessor) -> bool:
    """Is this (a class or its dotted name) nbgrader's Execute or a subclass of it?"""
    if isinstance(preprocessor, str):
        preprocessor = import_item(preprocessor)
    return isinstance(preprocessor, type) and issubclass(preprocessor, Execute)


def serve(conn, kit: Kit, scratch: Path, index: int, settings: Settings) -> None:
    """A worker process: answer :class:`Grade` with :class:`Graded` until :class:`Stop` or EOF."""
    _die_with_parent()
    # The terminal is the main process's (progress bar, summary): nothing from workers.
    warnings.simplefilter("ignore")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the main process to handle
    try:
        try:
            worker = Worker(kit, scratch, index, settings)
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
                    conn.send(Graded(worker.grade(message.submission)))
                else:
                    break
        except (BrokenPipeError, EOFError):
            pass
        finally:
            worker.close()
    finally:
        end_children()
