"""Grade on a Dask cluster: ``sicourse grade ASSIGNMENT --scheduler tcp://HOST:8786``.

The coordinator (the machine running ``sicourse grade``) scatters the assignment's
:class:`~sicourse.grading.assignment_kit.Kit` to every worker once, then submits one
Dask task per submission, a few more than there are workers, each carrying the
submission as bytes. A task runs :func:`grade_here` on whichever worker Dask chooses:
a :class:`~sicourse.grading.worker.Worker` (its sandboxed kernels and test
evaluator) kept warm in that worker process for the whole batch, in a thread of its
own so that its sandboxes live as long as the process. The task returns the
:class:`~sicourse.grading.protocol.Result` with the graded and feedback folders as
bytes; the coordinator merges each result once, as it arrives, exactly as it merges
a local worker's. Workers need ``sicourse`` installed, never the course folder, the
course's gradebook or a shared file system.

If a worker is lost mid-task, Dask runs the task again on another worker; a
submission whose task fails (say, it kills three workers in a row) is reported as an
error and graded again on the next run.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import tempfile
import uuid
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from sqlalchemy.exc import SAWarning

from sicourse.course import mask_url
from sicourse.errors import SicourseError
from sicourse.grading import sandbox
from sicourse.grading.assignment_kit import Kit
from sicourse.grading.protocol import Result, Settings, Submission
from sicourse.grading.scratch import clean_stale_scratch

WAIT_FOR_WORKERS = 60  # seconds
RETRIES = 3  # times a submission is sent again when the cluster cancels its task
SCRATCH_PREFIX = "sicourse-dask-"


class ClusterError(SicourseError):
    """The Dask scheduler cannot be used; the message says why."""


@contextmanager
def connect(address: str) -> Iterator:
    """A Dask client of the scheduler at ``address``, once at least one worker is there."""
    try:
        from distributed import Client
    except ImportError:
        raise ClusterError("--scheduler needs Dask's distributed package: "
                           "pip install 'sicourse[cluster]'") from None
    shown = mask_url(address)
    try:
        client = Client(address, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {shown}: {exc}") from None
    try:
        try:
            client.wait_for_workers(1, timeout=WAIT_FOR_WORKERS)
        except TimeoutError:
            raise ClusterError(f"no Dask worker joined the scheduler at {shown} within "
                               f"{WAIT_FOR_WORKERS} s: start some with `dask worker {shown} "
                               "--nthreads 1`") from None
        yield client
    finally:
        client.close()


def describe(client) -> str:
    """What the instructor should know about the cluster: its size and dashboard."""
    workers = len(client.scheduler_info().get("workers", {}))
    where = mask_url(client.scheduler.address)
    return f"grading on the Dask cluster at {where} ({workers} worker(s)); " \
           f"dashboard: {client.dashboard_link}"


class _Stop(Exception):
    pass


def _same(kit: Kit) -> Kit:
    return kit


def run(client, kit: Kit, students: list[str], prepare: Callable[[str], Submission],
        settings: Settings, on_result: Callable[[Result], None]) -> bool:
    """Grade ``students`` on the cluster, calling ``on_result`` once each; False if
    interrupted (what is in flight is cancelled and graded again next run)."""
    from distributed import as_completed

    if not students:
        return True
    # A task that returns the kit, rather than scattered data: if every worker holding it
    # is lost, the scheduler computes it again from the task, which it keeps.
    kit_future = client.submit(_same, kit, key=f"sicourse-kit-{uuid.uuid4().hex[:12]}",
                               pure=False)
    # On every worker at once: Dask sends a task to a worker that holds its inputs, so with
    # the kit on one worker only, the others would wait for work to be stolen.
    try:
        kit_future.result()
        client.replicate([kit_future])
    except Exception as exc:  # noqa: BLE001 - whatever the workers could not do
        client.cancel(kit_future)
        raise ClusterError(f"the Dask workers could not take the assignment's kit "
                           f"({type(exc).__name__}: {exc}); each worker needs sicourse, the "
                           "same version as here: pip install 'social-innovation-course"
                           "[cluster]'") from None
    todo = iter(students)
    owner: dict[str, str] = {}  # task key -> student
    attempts: dict[str, int] = {}
    running = as_completed(loop=client.loop)

    def submit(student: str) -> None:
        key = f"sicourse-grade-{uuid.uuid4().hex[:12]}"
        owner[key] = student
        attempts[student] = attempts.get(student, 0) + 1
        running.add(client.submit(grade_here, kit_future, prepare(student), settings,
                                  key=key, pure=False))

    def submit_next() -> None:
        student = next(todo, None)
        if student is not None:
            submit(student)

    def stop(signum, frame):
        raise _Stop()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        for _ in range(3 * workers):  # one running and two waiting per worker
            submit_next()
        for future in running:
            student = owner.pop(future.key)
            try:
                result = future.result()
            except CancelledError:  # its input was lost with a worker: once more
                if attempts[student] < RETRIES:
                    submit(student)
                    continue
                result = Result(student, "error", error="Dask cancelled the task "
                                f"{attempts[student]} times (workers lost)")
            except Exception as exc:  # noqa: BLE001 - the cluster's error, not the student's
                result = Result(student, "error",
                                error=f"Dask task failed: {type(exc).__name__}: {exc}")
            submit_next()
            on_result(result)
        return True
    except (KeyboardInterrupt, _Stop):
        client.cancel(list(running.futures))
        return False
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        client.cancel(kit_future)
        try:  # the kits hold the hidden tests: no worker keeps one after the batch
            client.run(release)
        except Exception:  # noqa: BLE001 - a worker gone meanwhile has nothing left to close
            pass


# On a Dask worker: one warm grading Worker per process, used by one thread at a time.
_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sicourse-grade")
_workers: dict[str, object] = {}


def grade_here(kit: Kit, submission: Submission, settings: Settings) -> Result:
    """Grade one submission in this process (a Dask task)."""
    # Kernels are started by the thread that owns the Worker: a sandbox ends when the
    # thread that started it does, so that thread must live as long as the process.
    return _thread.submit(_grade, kit, submission, settings).result()


def _grade(kit: Kit, submission: Submission, settings: Settings) -> Result:
    from sicourse.grading.worker import Worker

    worker = _workers.get(kit.key)
    if worker is None:
        clean_stale_scratch(SCRATCH_PREFIX)  # left by a worker process that was killed
        # nbgrader's own SQLAlchemy warnings (as in records.merge): the worker's log is the
        # instructor's to read, not nbgrader's to fill.
        warnings.filterwarnings("ignore", category=SAWarning)
        _close_all()  # a new batch
        bwrap = sandbox.find_bwrap() if settings.bwrap else None
        if settings.bwrap and bwrap is None:
            return Result(submission.student, "error",
                          error=f"bubblewrap is not installed on the Dask worker "
                                f"{socket.gethostname()}: install it there")
        scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
        worker = Worker(kit, scratch, 100 + os.getpid() % 1000, replace(settings, bwrap=bwrap))
        _workers[kit.key] = worker
    return worker.grade(submission)


def release() -> None:
    """Close this process's grading worker and delete its scratch folder (kit included)."""
    _thread.submit(_close_all).result()


def _close_all() -> None:
    for worker in _workers.values():
        worker.close()
        shutil.rmtree(worker.scratch, ignore_errors=True)
    _workers.clear()


atexit.register(_close_all)
