"""A grading worker whose main process is gone ends itself and every sandbox it started."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sicourse.grading import worker

FORK = multiprocessing.get_context("fork")
STUBBORN = """
import os, subprocess, sys, time
from sicourse.grading import worker

def stubborn_worker(pid_file):
    worker._die_with_parent()
    # A sandbox of its own session, as jupyter_client starts bubblewrap; this one
    # would never die with its parent (no --die-with-parent).
    child = subprocess.Popen(["sleep", "600"], start_new_session=True)
    with open(pid_file, "w") as f:
        f.write(f"{os.getpid()} {child.pid}")
    while True:  # a library's bare except swallowing SystemExit, forever
        try:
            time.sleep(0.1)
        except BaseException:
            pass

if __name__ == "__main__":
    import multiprocessing
    process = multiprocessing.get_context("fork").Process(target=stubborn_worker,
                                                          args=(sys.argv[1],))
    process.start()
    process.join()
"""


def alive(pid: int) -> bool:
    """Running (not a zombie waiting for a parent that never reaps it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_gone(pids: list[int], seconds: float = 10) -> list[int]:
    deadline = time.monotonic() + seconds
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [pid for pid in pids if alive(pid)]


def read_pids(path: Path) -> list[int]:
    deadline = time.monotonic() + 30
    while not (path.is_file() and len(path.read_text().split()) == 2):
        assert time.monotonic() < deadline, "the worker never started"
        time.sleep(0.05)
    return [int(pid) for pid in path.read_text().split()]


def test_killing_the_main_process_ends_its_worker_and_the_workers_sandboxes(tmp_path):
    """Main process killed with SIGKILL: do its worker and the worker's sandbox end too,
    even when the worker's code swallows the exception that a signal raises?"""
    pid_file = tmp_path / "pids"
    main = subprocess.Popen([sys.executable, "-c", STUBBORN, str(pid_file)])
    pids = read_pids(pid_file)
    try:
        main.kill()
        main.wait()
        assert wait_gone(pids) == [], "the worker or its sandbox outlived the main process"
    finally:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def test_end_children_kills_whole_sandbox_sessions():
    """Does end_children kill what a process started, including grandchildren in the
    child's own session (a sandbox's kernel under bubblewrap)?"""
    reader, writer = os.pipe()

    def start():
        child = subprocess.Popen(["sh", "-c", "sleep 600 & echo $!; wait"],
                                 start_new_session=True, stdout=writer)
        os.write(writer, f"{child.pid}\n".encode())
        time.sleep(0.5)
        worker.end_children()
        time.sleep(600)

    process = FORK.Process(target=start, daemon=True)
    process.start()
    os.close(writer)
    pids = []
    with os.fdopen(reader) as lines:
        while len(pids) < 2:
            pids.append(int(lines.readline()))
    try:
        assert wait_gone(pids) == []
    finally:
        process.kill()
        process.join()
