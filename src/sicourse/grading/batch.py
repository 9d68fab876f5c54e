"""Grade every submission of an assignment over a pool of worker processes, resumably.

The main process

1. checks the sandbox once (:func:`choose_sandbox`) and says what is not enforced;
2. lists ``submitted/<student>/<assignment>/`` and skips each submission whose
   record in the gradebook (:mod:`sicourse.grading.records`) has the same
   hash as its files now (unless ``force``);
3. makes the assignment's kit (:mod:`sicourse.grading.assignment_kit`) and hands
   workers (:mod:`sicourse.grading.worker`) one submission at a time, read and
   repaired here (:func:`sicourse.grading.intake.submission`), as bytes: forked
   local processes, or the workers of a Dask cluster when a scheduler is given
   (:mod:`sicourse.grading.dask_pool`). For every result it puts the autograded
   folder in the course (one rename, never half-written), passes the feedback
   folder through the same gate as ``sicourse feedback``
   (:class:`~sicourse.grading.feedback.FeedbackGate`), merges the scores into the
   gradebook and writes the record, in that order;
4. shows a one-line progress bar on stderr (through the caller's callbacks),
   writes ``autograded/<assignment>.flags.json`` and returns a :class:`Summary`.

If a worker dies, its submission is reported as an error (graded again next
run) and a new worker takes over. Killing the main process loses only the
submissions in flight: workers and their kernels die with it.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from sicourse.course import Course
from sicourse.errors import SicourseError
from sicourse.grading import folder_bytes, intake, records, sandbox
from sicourse.grading.assignment_kit import Kit, make_kit
from sicourse.grading.feedback import FeedbackGate, FeedbackReport
from sicourse.grading.flags import Flag
from sicourse.grading.folder_swap import replace_folder, staged_folder
from sicourse.grading.gradebook_check import require_gradebook
from sicourse.grading.protocol import (
    Fatal,
    Grade,
    Graded,
    Ready,
    Result,
    Settings,
    Stop,
    Submission,
)
from sicourse.grading.scratch import clean_stale_scratch

SCRATCH_PREFIX = "sicourse-grade-"


class GradingError(SicourseError, RuntimeError):
    """The batch cannot start (no such assignment, no gradebook...)."""


@dataclass
class Summary:
    assignment: str
    results: list[Result] = field(default_factory=list)
    feedback: FeedbackReport = field(default_factory=FeedbackReport)
    skipped: list[str] = field(default_factory=list)  # already graded, unchanged
    warnings: list[str] = field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0

    def by_status(self, status: str) -> list[Result]:
        return [r for r in self.results if r.status == status]


def choose_sandbox(use_bwrap: bool = True) -> tuple[str | None, list[str]]:
    """The bwrap to use (or None) and warnings about what will not be enforced."""
    warnings = []
    bwrap = sandbox.find_bwrap() if use_bwrap else None
    if use_bwrap and bwrap is None:
        warnings.append(
            "bubblewrap (bwrap) is not installed: student code will run with resource limits "
            "only, with your rights and your network. It could read the answer key, the "
            "gradebook and other students' work. Install bubblewrap (Debian: apt install "
            "bubblewrap) before grading work you do not trust.")
    elif bwrap:
        error = sandbox.self_test(sandbox.Policy(uid=60000 if os.geteuid() == 0 else None,
                                                 bwrap=bwrap))
        if error:
            warnings.append(
                f"bubblewrap is installed but its sandbox does not work here ({error}): "
                "student code will run with resource limits only, with your rights and your "
                "network. It could read the answer key and the gradebook.")
            bwrap = None
    elif not use_bwrap:
        warnings.append("sandbox switched off: student code runs with resource limits only.")
    if os.geteuid() != 0:
        warnings.append(
            "not running as root: kernels share your user id, so the process limit counts "
            "your own processes too, and one submission's fork bomb can slow the others.")
    elif bwrap is None:
        warnings.append("running as root without a sandbox: the process-count limit is not "
                        "enforced for root.")
    return bwrap, warnings


def discover(course: Course, assignment: str, students: list[str] | None = None) -> list[str]:
    base = course.folder("submitted")
    found = sorted(p.parent.name for p in base.glob(f"*/{assignment}") if p.is_dir()
                   and not p.is_symlink()) if base.is_dir() else []
    if students:
        missing = [s for s in students if s not in found]
        if missing:
            raise GradingError(f"no submission of {assignment} for: {', '.join(missing)} "
                               f"(looked in {base}/<student>/{assignment}/)")
        found = [s for s in found if s in students]
    return found


def check_course(course: Course, assignment: str) -> str:
    """The gradebook URL, once the assignment is known to it and released."""
    course.require_config()
    hint = f"run `nbgrader generate_assignment {assignment}` in {course.root} first"
    course.require_assignment(assignment)
    url = require_gradebook(course, "sicourse grade", assignment)
    with Gradebook(url) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise GradingError(f"{assignment} is not in the gradebook: {hint}.") from None
    release = course.folder("release") / assignment
    if not any(release.glob("*.ipynb")):
        raise GradingError(f"no released notebook in {release}: {hint}.")
    for folder in sandbox.python_dirs():
        if course.root.is_relative_to(folder):
            raise GradingError(f"the course folder {course.root} is inside the Python "
                               f"environment {folder}, which kernels can read: move one of them.")
    return url


class _Handle:
    def __init__(self, ctx, index: int, args: tuple):
        self.index = index
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, index, *args), daemon=True,
                                   name=f"sicourse-grade-{index}")
        self.process.start()
        child.close()
        self.student: str | None = None
        self.ready = False


def _serve(conn, index, kit, scratch, settings):
    from sicourse.grading.worker import serve

    serve(conn, kit, Path(scratch) / f"w{index}", index, settings)


class _Stop(Exception):
    pass


def run_batch(kit: Kit, students: list[str], prepare: Callable[[str], Submission],
              settings: Settings, workers: int, on_result: Callable[[Result], None]) -> bool:
    """Grade ``students`` over ``workers`` local processes; False if interrupted.

    ``prepare(student)`` reads a submission, just before a worker is given it."""
    if not students:
        return True
    clean_stale_scratch(SCRATCH_PREFIX)
    scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
    # fork: a worker starts with the imports of this process instead of redoing them (about
    # two seconds each). Nothing here holds a thread or an open database when it forks
    # (the gradebook is opened at the first result), and a forked worker ends with
    # os._exit, so it never finalizes anything it inherited.
    ctx = multiprocessing.get_context("fork")
    args = (kit, str(scratch), settings)
    todo = list(students)
    handles = [_Handle(ctx, i, args) for i in range(min(workers, len(todo)))]
    spawned = len(handles)
    previous = {}

    def stop(signum, frame):
        raise _Stop()

    for sig in (signal.SIGTERM, signal.SIGHUP):
        previous[sig] = signal.signal(sig, stop)
    try:
        while todo or any(h.student for h in handles):
            for handle in handles:
                if handle.ready and handle.student is None and todo:
                    handle.student = todo.pop(0)
                    handle.conn.send(Grade(prepare(handle.student)))
            waiting = {h.conn: h for h in handles} | {h.process.sentinel: h for h in handles}
            for ready in wait(list(waiting)):
                handle = waiting[ready]
                if ready is handle.conn:
                    try:
                        message = handle.conn.recv()
                    except (EOFError, OSError):
                        continue  # the sentinel says why
                    if isinstance(message, Ready):
                        handle.ready = True
                    elif isinstance(message, Fatal):
                        raise GradingError(
                            f"a grading worker could not start:\n{message.error}")
                    elif isinstance(message, Graded):
                        # The next submission first, so the worker grades while this
                        # process merges.
                        handle.student = todo.pop(0) if todo else None
                        if handle.student:
                            try:
                                handle.conn.send(Grade(prepare(handle.student)))
                            except OSError:
                                pass  # the worker died; its sentinel will say so
                        on_result(message.result)
                elif not handle.process.is_alive() and handle in handles:
                    handles.remove(handle)
                    if handle.student:
                        on_result(Result(handle.student, "error",
                                         error=f"the grading worker died (exit code "
                                               f"{handle.process.exitcode})"))
                    if todo or any(h.student for h in handles):
                        if spawned > 4 * workers:
                            raise GradingError("grading workers keep dying; see the errors above")
                        handles.append(_Handle(ctx, spawned, args))
                        spawned += 1
        return True
    except (KeyboardInterrupt, _Stop):
        return False
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for handle in handles:
            if handle.student:  # interrupted mid-submission: its work is lost anyway
                handle.process.terminate()
                continue
            try:
                handle.conn.send(Stop())
            except OSError:
                pass
        deadline = time.monotonic() + 5
        for handle in handles:
            handle.process.join(max(0.1, deadline - time.monotonic()))
            if handle.process.is_alive():
                handle.process.terminate()
                handle.process.join(2)
        shutil.rmtree(scratch, ignore_errors=True)


def grade(course: Course, assignment: str, *, students: list[str] | None = None,
          workers: int | None = None, settings: Settings | None = None, force: bool = False,
          use_bwrap: bool = True, scheduler: str | None = None,
          on_start: Callable[[int, list[str]], object] | None = None,
          on_done: Callable[[Result], object] | None = None,
          on_cluster: Callable[[str], object] | None = None) -> Summary:
    """Autograde ``assignment`` of ``course`` and merge into its gradebook (no feedback or export).

    Local worker processes grade, or the Dask cluster at ``scheduler``
    (``tcp://host:8786``). ``on_cluster(description)`` is called once connected to it,
    ``on_start(count, warnings)`` once the work is known, ``on_done(result)`` after each
    submission is merged.
    """
    started = time.monotonic()
    settings = settings or Settings()
    summary = Summary(assignment)
    url = check_course(course, assignment)
    settings.bwrap, summary.warnings = choose_sandbox(use_bwrap)
    found = discover(course, assignment, students)
    submitted = course.folder("submitted")
    hashes = {s: records.submission_hash(submitted / s / assignment) for s in found}
    done = records.load(url, assignment)
    todo = [s for s in found if force or s not in done or done[s].submission_hash != hashes[s]]
    summary.skipped = [s for s in found if s not in todo]
    workers = max(1, workers or os.cpu_count() or 1)
    kit = make_kit(course, assignment) if todo else None
    extensions = _extensions(url, assignment)
    release = course.folder("release") / assignment

    def prepare(student: str) -> Submission:
        try:
            return intake.submission(submitted / student / assignment, release, student,
                                     extensions.get(student))
        except OSError as exc:  # changed while grading: graded again next run
            return Submission(student, error=f"cannot read the submission: {exc}")

    gate = FeedbackGate(course, assignment) if settings.feedback and todo else None
    with Gradebook(url) as gb:
        records.ensure_table(gb)
    opened: list[Gradebook] = []  # opened at the first result: after the workers are forked

    def on_result(result: Result) -> None:
        summary.results.append(result)
        if result.status != "error":
            if not opened:
                opened.append(Gradebook(url))
            gb = opened[0]
            student = result.student
            _put(course.folder("autograded") / student / assignment, result.autograded)
            if gate is not None:
                if result.feedback:
                    with tempfile.TemporaryDirectory(prefix="sicourse-feedback-") as tmp:
                        staged = folder_bytes.unpack(result.feedback, Path(tmp) / "feedback")
                        summary.feedback.checks.append(gate.deliver(staged, student))
                else:
                    if result.feedback_error:
                        summary.feedback.errors.append(f"{student}: {result.feedback_error}")
                    replace_folder(course.folder("feedback") / student / assignment, None)
            records.merge(gb, assignment, result.student, result.timestamp, result.notebooks,
                          flagged=bool(result.flags))
            records.save(gb, assignment, result.student, hashes[result.student],
                         result.status, result.flags, result.seconds)
            gb.db.commit()
        if on_done:
            on_done(result)

    try:
        if scheduler and todo:
            from sicourse.grading import dask_pool  # dask loads only when asked for

            with dask_pool.connect(scheduler) as client:
                if on_cluster:
                    on_cluster(dask_pool.describe(client))
                if on_start:
                    on_start(len(todo), summary.warnings)
                completed = dask_pool.run(client, kit, todo, prepare, settings, on_result)
        else:
            if on_start:
                on_start(len(todo), summary.warnings)
            completed = run_batch(kit, todo, prepare, settings, workers, on_result)
    finally:
        for gb in opened:
            gb.close()
        records.export_flags(url, assignment,
                             course.folder("autograded") / f"{assignment}.flags.json")
    summary.interrupted = not completed
    summary.seconds = time.monotonic() - started
    return summary


def _extensions(url: str, assignment: str) -> dict:
    """{student: extension} of the assignment's submissions that have one."""
    with Gradebook(url) as gb:
        try:
            return {s.student_id: s.extension for s in gb.find_assignment(assignment).submissions
                    if s.extension is not None}
        except MissingEntry:
            return {}


def _put(target: Path, files: folder_bytes.Files | None) -> None:
    """Make ``target`` hold exactly ``files`` (None: remove it), in one rename."""
    if files is None:
        replace_folder(target, None)
        return
    with staged_folder(target) as staging:
        folder_bytes.unpack(files, staging)


def flag_lines(flags: list[Flag]) -> str:
    return "; ".join(flag.reason for flag in flags)

