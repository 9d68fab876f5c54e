"""How long the book takes to build from clean, and to rebuild when little has changed.

Copies the course sources into a temporary folder (so the repository's own _build/
and book/generated/ are never touched) and times `sicourse build` there:

1. a clean build (no _build/: every lesson is executed, every page read and written);
2. a rebuild with nothing changed;
3. a rebuild after touching one lesson (its file's time changes, its content does not).

Rebuilds are run several times and the median is shown, also as a fraction of the
clean build, next to the targets (nothing changed <= 10 %, one lesson <= 35 %).

The same three builds are timed for stock `jupyter-book build` (no options: the
plain Jupyter Book build the course also supports) on a second copy, so the two
tools are shown side by side. `sicourse build` is stricter (warnings fail it) and
skips a build outright when none of its inputs changed (see
src/sicourse/book/build.py); stock Jupyter Book starts Sphinx every time.

    .venv/bin/python benchmarks/build.py [--runs 3] [--lesson lessons/01-....md] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGETS = {"nothing changed": 0.10, "one lesson touched": 0.35}
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", "_build", "generated", "__pycache__", ".pytest_cache",
    ".ruff_cache", ".ipynb_checkpoints", "release", "submitted", "autograded", "feedback",
    "gradebook.db", "reports", "docs",
)


SICOURSE_BUILD = [sys.executable, "-m", "sicourse.cli", "build"]
STOCK_BUILD = [str(Path(sys.executable).parent / "jupyter-book"), "build"]


def build(course: Path, command: list[str] = SICOURSE_BUILD) -> float:
    """Run the build command on the course; return the wall-clock seconds it took."""
    start = time.perf_counter()
    where = ["--root", str(course)] if command is SICOURSE_BUILD else [str(course)]
    result = subprocess.run(command + where, cwd=course, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"the build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return elapsed


def pages_written(course: Path) -> int:
    """How many pages the last build wrote (their HTML files are newer than the marker)."""
    marker = course / "_build" / ".bench-marker"
    return sum(1 for p in (course / "_build" / "html").rglob("*.html")
               if p.stat().st_mtime > marker.stat().st_mtime)


def mark(course: Path) -> None:
    marker = course / "_build" / ".bench-marker"
    marker.touch()
    time.sleep(0.05)  # file times must tell the marker and later writes apart


def rebuilds(course: Path, args, clean: float, command: list[str]) -> None:
    """Time rebuilds with nothing changed and with one lesson touched; print the medians."""
    times: dict[str, list[float]] = {name: [] for name in TARGETS}
    written: dict[str, int] = {}
    for _ in range(args.runs):
        mark(course)
        times["nothing changed"].append(build(course, command))
        written["nothing changed"] = pages_written(course)
        os.utime(course / args.lesson)
        mark(course)
        times["one lesson touched"].append(build(course, command))
        written["one lesson touched"] = pages_written(course)
    for name, target in TARGETS.items():
        median = statistics.median(times[name])
        fraction = median / clean
        verdict = "meets" if fraction <= target else "MISSES"
        print(f"  rebuild, {name:22} {median:6.1f} s = {fraction:5.1%} of clean "
              f"({verdict} the {target:.0%} target; {written[name]} pages written; "
              f"runs: {', '.join(f'{t:.1f}' for t in times[name])} s)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="rebuilds of each kind (median)")
    parser.add_argument("--lesson", default="lessons/01-what-is-social-innovation.md",
                        help="the lesson to touch, relative to the repository")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy")
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="sicourse-build-bench-"))
    try:
        print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (other work on "
              "the machine slows every figure).")
        for title, command in (("sicourse build", SICOURSE_BUILD),
                               ("stock jupyter-book build (for comparison)", STOCK_BUILD)):
            course = folder / title.split()[0] / "course"
            shutil.copytree(REPO, course, ignore=NOT_SOURCES)
            clean = build(course, command)
            print(f"{title}, in a copy of the course ({course}):")
            print(f"  clean build                          {clean:6.1f} s")
            rebuilds(course, args, clean, command)
    finally:
        if args.keep:
            print(f"Kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
