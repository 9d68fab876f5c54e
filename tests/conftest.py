"""Shared fixtures: the repository, and one strict build of the book per test session."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def book_build(tmp_path_factory) -> subprocess.CompletedProcess:
    """Build the whole book strictly into a fresh folder, as `sicourse build` does.

    A fresh folder (not the repository's own _build/) means no page or file
    left over from an earlier build can hide a problem or a leak.
    """
    out = tmp_path_factory.mktemp("book")
    result = subprocess.run(
        [sys.executable, "-m", "sicourse.cli", "build", "--root", str(REPO), "--output", str(out)],
        capture_output=True, text=True, cwd=REPO,
    )
    result.html = out / "_build" / "html"  # type: ignore[attr-defined]
    return result


@pytest.fixture(scope="session")
def built_book(book_build) -> Path:
    """The folder of the built HTML book; fails every dependent test if the build failed."""
    assert book_build.returncode == 0, book_build.stdout[-5000:] + book_build.stderr[-5000:]
    return book_build.html


def _tool(command: str, what: str, package: str) -> str:
    path = shutil.which(command)
    if path is None:  # a failure, never a skip: CI must prove these tests ran
        pytest.fail(f"{what} is missing: install the Debian package {package} "
                    "(.ci/run does).", pytrace=False)
    return path


@pytest.fixture(scope="session")
def node() -> str:
    """Node.js, which runs the widgets' JavaScript in the tests."""
    return _tool("node", "Node.js", "nodejs")


@pytest.fixture(scope="session")
def bwrap() -> str:
    """bubblewrap, the grading sandbox."""
    return _tool("bwrap", "bubblewrap", "bubblewrap")


@pytest.fixture(scope="session")
def empty_gradebook(tmp_path_factory) -> Path:
    """An empty nbgrader gradebook file, to copy into a course: creating one runs alembic
    (found through PATH, as with the environment active) and takes seconds."""
    import os

    from nbgrader.api import Gradebook

    path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    saved = os.environ["PATH"]
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{saved}"
    try:
        Gradebook(f"sqlite:///{path}").close()
    finally:
        os.environ["PATH"] = saved
    return path
