"""Grading on Dask against grading on this machine, on the same class, in one run.

Builds a synthetic class of N submissions (as ``benchmarks/grading.py`` does) and times
``sicourse grade`` five ways, each on a fresh copy of the class:

- local worker processes: ``--workers 1`` and ``--workers 2``, and ``--workers 1`` with
  the whole command on one core (``taskset``), to compare with one pinned Dask worker;
- a Dask cluster on this machine (``dask scheduler`` and ``dask worker --nthreads 1``
  processes, as an instructor starts them): one worker, then two.

Each Dask cluster first grades a two-submission warm-up class, as a long-lived cluster
would have: its workers' imports (about two seconds) are paid once per worker, not
per batch. Each Dask worker is pinned to a core of its own (``taskset``; its kernels
inherit it), as on a cluster where every worker has its machine: one unpinned worker
already uses both cores of a small machine (its next kernels start while one runs),
which would hide how the work spreads over workers. The coordinator (``sicourse grade``)
and the scheduler run at the lowest priority (``nice``), standing in for the machines of
their own they have on a cluster: here they share the workers' two cores. The local runs
are not pinned.
Prints each batch's time (the summary's, without process start-up), its
submissions per second, the Dask path's per-submission overhead against the local
path with one worker, and two Dask workers' speed-up over one. Targets (issue 14):
overhead under 10 %, two workers at least 1.8 x one.

The class has 100 submissions by default: the Dask path is for large classes, and a
batch has costs that a second worker does not share (reading the course and making
the kit, about 0.7 s; each worker's first kernels, about 0.9 s). In a batch of 40
they are 5 % of one worker's time (two workers measured 1.66-1.86x one here); in a
batch of 100, 2 %. Run from the repository root::

    .venv/bin/python benchmarks/grading_dask.py [--n 100]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from grading import BIN, ENV, build_class, run  # noqa: E402 - the sibling benchmark's class


def batch_seconds(course: Path, assignment: str, *args: str, pin: str = "",
                  low: bool = False) -> float:
    """The batch's own time, from the summary line of ``sicourse grade`` (on core ``pin``;
    at the lowest priority if ``low``)."""
    prefix = (["taskset", "-c", pin] if pin else []) + (["nice", "-n", "19"] if low else [])
    _, output = run(course, *prefix, str(BIN / "sicourse"), "grade", assignment, *args)
    found = re.search(r"graded[^\n]*, in ([\d.]+) s\.", output)
    if not found or " error" in output.split("graded", 1)[0][-40:]:
        sys.exit(f"unexpected summary from sicourse grade {' '.join(args)}:\n{output[-2000:]}")
    return float(found.group(1))


class Cluster:
    """A scheduler and ``workers`` Dask workers on localhost, each in its own session."""

    def __init__(self, folder: Path, workers: int):
        folder.mkdir(parents=True, exist_ok=True)
        file = folder / "scheduler.json"
        self.processes = [self._start(folder / "scheduler.log", "scheduler", "--host",
                                      "127.0.0.1", "--port", "0", "--dashboard-address",
                                      "127.0.0.1:0", "--scheduler-file", str(file),
                                      prefix=["nice", "-n", "19"])]
        deadline = time.monotonic() + 60
        while not file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.address = json.loads(file.read_text())["address"]
        cores = sorted(os.sched_getaffinity(0))
        for i in range(workers):
            pin = ["taskset", "-c", str(cores[i % len(cores)])] if shutil.which("taskset") else []
            self.processes.append(self._start(folder / f"worker{i}.log", "worker",
                                              "--scheduler-file", str(file), "--nthreads", "1",
                                              "--no-nanny", prefix=pin))

    @staticmethod
    def _start(log: Path, *args: str, prefix: list[str] | None = None) -> subprocess.Popen:
        with open(log, "w") as out:
            return subprocess.Popen([*(prefix or []), str(BIN / "dask"), *args], stdout=out,
                                    env=ENV, stderr=subprocess.STDOUT, start_new_session=True)

    def close(self) -> None:
        for process in self.processes:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="submissions in the class (100)")
    parser.add_argument("--assignment", default="01-concepts")
    args = parser.parse_args()
    a = args.assignment
    folder = Path(tempfile.mkdtemp(prefix="bench-dask-"))
    times: dict[str, float] = {}
    try:
        print(f"Building a class of {args.n} submissions of {a} ...")
        template = build_class(folder / "main", a, args.n)
        warmup = build_class(folder / "warm", a, 2)

        def copy(name: str, source: Path = template) -> Path:
            return Path(shutil.copytree(source, folder / name))

        for workers in (1, 2):
            print(f"timing sicourse grade --workers {workers} ...")
            times[f"local {workers}"] = batch_seconds(copy(f"local{workers}"), a,
                                                      "--workers", str(workers))
        print("timing sicourse grade --workers 1 on one core ...")
        core = str(sorted(os.sched_getaffinity(0))[0])
        times["local-core 1"] = batch_seconds(copy("local-core"), a, "--workers", "1", pin=core)
        for workers in (1, 2):
            cluster = Cluster(folder / f"cluster{workers}", workers)
            try:
                # Until every worker has joined and imported what grading needs.
                for attempt in range(workers):
                    batch_seconds(copy(f"warm{workers}-{attempt}", warmup), a,
                                  "--scheduler", cluster.address, low=True)
                print(f"timing sicourse grade --scheduler (Dask, {workers} worker(s)) ...")
                times[f"dask {workers}"] = batch_seconds(copy(f"dask{workers}"), a,
                                                         "--scheduler", cluster.address,
                                                         low=True)
            finally:
                cluster.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    n = args.n
    print()
    print(f"cores: {os.cpu_count()}, submissions: {n} (the batch's own time, from the summary)")
    for name, seconds in times.items():
        kind, workers = name.split()
        label = {"local": "local processes", "local-core": "local, on one core",
                 "dask": "Dask workers, a core each"}[kind]
        print(f"  {label} x{workers}: {seconds:6.1f} s  {n / seconds:5.2f} submissions/s  "
              f"{seconds * int(workers) / n:.3f} s per submission per worker")
    overhead = times["dask 1"] / times["local-core 1"] - 1
    print(f"Dask overhead per submission against local, one worker on one core each: "
          f"{overhead * 100:+.1f} % (target: under 10 %)")
    print(f"Dask, two workers against one: {times['dask 1'] / times['dask 2']:.2f}x "
          f"(target: at least 1.8x); local, the same: "
          f"{times['local 1'] / times['local 2']:.2f}x")


if __name__ == "__main__":
    main()
