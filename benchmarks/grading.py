"""Grading speed: stock ``nbgrader autograde`` against ``sicourse grade``, on the same class.

Builds a synthetic class of N submissions of one assignment (a third correct,
a third partly right, a third blank), copies it twice, and in one run times

- stock ``nbgrader autograde`` (one submission after another, with the course's
  settings but none of its preprocessors: tests in the student's kernel), then stock
  ``generate_feedback`` and ``export`` for the like-for-like whole pipeline;
- ``sicourse grade`` (sandboxed, N workers), which also writes feedback (in
  the workers, as each submission is graded) and grades.csv; its own summary
  gives the time of the batch without process start-up and export;
- one bare kernel start-stop (no sandbox), the floor for a submission's time.

Prints submissions per second for each, their ratio, the time per submission
per worker, and the workers' peak memory. Run from the repository root::

    .venv/bin/python benchmarks/grading.py [--n 60] [--workers N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def run(cwd: Path, *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(args, cwd=cwd, env=ENV, capture_output=True, text=True)
    took = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    return took, result.stdout + result.stderr


def solutions(key: nbformat.NotebookNode) -> dict[str, str]:
    """{grade id: the answer inside BEGIN/END SOLUTION} for the key's code answers."""
    found = {}
    for cell in key.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution"):
            lines = [line for line in cell.source.splitlines()
                     if "BEGIN SOLUTION" not in line and "END SOLUTION" not in line]
            found[meta["grade_id"]] = "\n".join(lines)
    return found


def build_class(folder: Path, assignment: str, n: int) -> Path:
    course = folder / "class"
    course.mkdir(parents=True)
    shutil.copy(REPO / "nbgrader_config.py", course)
    shutil.copytree(REPO / "exercises" / assignment, course / "exercises" / assignment)
    run(course, str(BIN / "nbgrader"), "generate_assignment", assignment)
    release = course / "release" / assignment
    name = next(release.glob("*.ipynb")).name
    blank = nbformat.read(release / name, as_version=4)
    answers = solutions(nbformat.read(course / "exercises" / assignment / name, as_version=4))
    for i in range(n):
        nb = nbformat.from_dict(blank)
        kind = ("correct", "partial", "blank")[i % 3]
        answered = list(answers) if kind == "correct" else (
            list(answers)[: max(1, len(answers) // 2)] if kind == "partial" else [])
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in answered:
                cell.source = answers[grade_id]
        target = course / "submitted" / f"{kind}-{i:03d}" / assignment
        target.mkdir(parents=True)
        nbformat.write(nb, target / name)
    return course


# Stock nbgrader as it comes: the course's settings, none of its own preprocessors.
STOCK_CONFIG = """\
c = get_config()
c.CourseDirectory.course_id = "social-innovation"
c.CourseDirectory.source_directory = "exercises"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"
c.ExecutePreprocessor.timeout = 30
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "mutants.yml"]
"""


def bare_kernel(times: int = 5) -> float:
    """Median seconds to start a plain IPython kernel, wait until ready, and stop it."""
    from jupyter_client.manager import KernelManager

    took = []
    for _ in range(times):
        started = time.perf_counter()
        km = KernelManager(kernel_name="python3")
        km.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        took.append(time.perf_counter() - started)
    return sorted(took)[len(took) // 2]


def sandboxed_kernel(folder: Path, times: int = 5) -> float:
    """Median seconds for the same, as ``sicourse grade`` does it: sandboxed, over ipc."""
    import zmq.asyncio

    from sicourse.grading import kernels, sandbox

    bwrap = sandbox.find_bwrap()
    uid = 60000 if os.geteuid() == 0 and bwrap else None
    policy = sandbox.Policy(sandbox.Limits(), uid=uid, bwrap=bwrap)
    context = zmq.asyncio.Context()
    slot = kernels.Slot(folder / "slot", uid)
    took = []
    for _ in range(times):
        started = time.perf_counter()
        kernel = kernels.Kernel(slot, policy, context)
        kernel.wait_ready(60)
        kernel.stop()
        took.append(time.perf_counter() - started)
    context.destroy(linger=0)
    return sorted(took)[len(took) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60, help="submissions in the class (60)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="sicourse grade --workers (default: the number of cores)")
    parser.add_argument("--assignment", default="01-concepts")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    parser.add_argument("--repeat", type=int, default=1,
                        help="time each side this many times, alternating, and keep the best "
                             "(the machine's other load varies)")
    args = parser.parse_args()

    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-grading-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        print(f"Building a class of {args.n} submissions of {args.assignment} in {folder} ...")
        template = build_class(folder, args.assignment, args.n)

        print("Timing one bare kernel start-stop ...")
        bare = bare_kernel()
        boxed = sandboxed_kernel(folder)

        best: dict[str, tuple[float, ...]] = {}
        for attempt in range(1, args.repeat + 1):
            stock = Path(shutil.copytree(template, folder / f"stock-{attempt}"))
            (stock / "nbgrader_config.py").write_text(STOCK_CONFIG, encoding="utf-8")
            ours = Path(shutil.copytree(template, folder / f"sicourse-{attempt}"))
            print(f"[{attempt}/{args.repeat}] timing stock nbgrader autograde ...")
            stock_grade, _ = run(stock, str(BIN / "nbgrader"), "autograde", args.assignment)
            stock_feedback, _ = run(stock, str(BIN / "nbgrader"), "generate_feedback",
                                    args.assignment)
            stock_export, _ = run(stock, str(BIN / "nbgrader"), "export")
            if stock_grade < best.get("stock", (float("inf"),))[0]:
                best["stock"] = (stock_grade, stock_feedback, stock_export)
            print(f"[{attempt}/{args.repeat}] timing sicourse grade --workers {args.workers} ...")
            ours_total, output = run(ours, str(BIN / "sicourse"), "grade", args.assignment,
                                     "--workers", str(args.workers))
            phase = re.search(r"graded[^\n]*, in ([\d.]+) s\.", output)
            memory = re.search(r"Peak memory per worker: ([^\n]*)", output)
            if "warning:" in output:
                print("  (sicourse grade warned:", *re.findall(r"warning: ([^\n]*)", output), ")")
            if ours_total < best.get("ours", (float("inf"),))[0]:
                best["ours"] = (ours_total, float(phase.group(1)) if phase else float("nan"),
                                memory.group(1) if memory else "not reported")
        stock_grade, stock_feedback, stock_export = best["stock"]
        ours_total, ours_grade, memory = best["ours"]
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)

    n = args.n
    if args.repeat > 1:
        print(f"(best of {args.repeat} alternating runs of each)")
    stock_rate, ours_rate = n / stock_grade, n / ours_total
    per_worker = ours_grade * args.workers / n
    print()
    print(f"cores: {os.cpu_count()}, workers: {args.workers}, submissions: {n}")
    print(f"bare kernel start-stop (no sandbox):          {bare:.3f} s")
    print(f"  the same sandboxed, as sicourse grade does: {boxed:.3f} s "
          "(ipc, no 0.2 s IOPub wait, killed rather than shut down)")
    print(f"stock nbgrader autograde:                     {stock_grade:7.1f} s  "
          f"{stock_rate:.2f} submissions/s")
    print(f"sicourse grade (sandboxed; feedback and CSV): {ours_total:7.1f} s  "
          f"{ours_rate:.2f} submissions/s")
    print(f"ratio (sicourse grade / stock nbgrader autograde, submissions per second): "
          f"{ours_rate / stock_rate:.2f}")
    print(f"  the batch alone (autograde and feedback in the workers): {ours_grade:.1f} s, "
          f"{n / ours_grade:.2f} submissions/s, {stock_grade / ours_grade:.2f}x stock autograde")
    stock_all = stock_grade + stock_feedback + stock_export
    print(f"  whole pipeline, stock autograde + generate_feedback + export: {stock_all:.1f} s, "
          f"{stock_all / ours_total:.2f}x slower than sicourse grade")
    print(f"time per submission per worker: {per_worker:.3f} s "
          f"({per_worker / bare:.2f}x the bare kernel start-stop)")
    print(f"peak memory per worker: {memory}")


if __name__ == "__main__":
    main()
