"""Shared fixtures: the repository, and one strict build of the book per test session.

Also the test tiers (pyproject.toml lists the marks; `make test-fast` leaves out
browser, nbgrader and book): a test that uses the session's book build is marked book
here, and a guard fails any test that starts a kernel, nbgrader, `sicourse grade`, a
book build or a browser without the mark that says so (see ``tier_of``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytest_plugins = ["pytester"]  # tests/test_tiers.py runs the guard below in a pytest of its own


# --- test tiers -----------------------------------------------------------------------------

def tier_of(args) -> tuple[str, str] | None:
    """(mark, what it starts) if this command line needs a marked test, else None."""
    if isinstance(args, (str, bytes, os.PathLike)):
        args = [args]
    elif not isinstance(args, (list, tuple)):  # never consume an iterator Popen will read
        return None
    argv = [os.fsdecode(a) if isinstance(a, (bytes, os.PathLike)) else str(a) for a in args]
    names = [a.rsplit("/", 1)[-1] for a in argv]
    sicourse = "sicourse" in names or "sicourse.cli" in argv
    if any("ipykernel_launcher" in a for a in argv):
        return "nbgrader", "a Jupyter kernel"
    if names[:1] == ["nbgrader"] or "nbgrader" in argv[1:3]:
        return "nbgrader", "nbgrader"
    if sicourse and "grade" in argv:
        return "nbgrader", "sicourse grade"
    if "jupyter-book" in names or any("jupyter_book.cli" in a for a in argv) or (
            sicourse and "build" in argv):
        return "book", "a book build"
    if any("playwright" in a for a in argv) or names[:1] in (["chromium"], ["chromium-browser"]):
        return "browser", "a browser"
    return None


_running: list[pytest.Item] = []  # the test being set up, run or torn down
_unmarked_log = Path(tempfile.mkdtemp(prefix="sicourse-tiers-")) / "unmarked.txt"
_popen_init = subprocess.Popen.__init__


def _checked_popen_init(self, args, *rest, **kwargs):
    """Note a process started by a test without its tier's mark, from this process or one
    it forked (grading workers start kernels), before starting it as usual."""
    tier = tier_of(args) if _running else None
    if tier and _running[-1].get_closest_marker(tier[0]) is None:
        try:
            with open(_unmarked_log, "a", encoding="utf-8") as log:
                log.write(f"{_running[-1].nodeid}\t{tier[0]}\t{tier[1]}\n")
        except OSError:
            pass
    _popen_init(self, args, *rest, **kwargs)


def pytest_configure(config):
    subprocess.Popen.__init__ = _checked_popen_init


def pytest_unconfigure(config):
    subprocess.Popen.__init__ = _popen_init
    shutil.rmtree(_unmarked_log.parent, ignore_errors=True)


BUILD_FIXTURES = {"book_build", "share_execution_cache"}  # built_book, offline_book... use them


def pytest_collection_modifyitems(items):
    """Mark book every test that needs a build of the book (built_book and the like)."""
    for item in items:
        if BUILD_FIXTURES & set(item.fixturenames) and item.get_closest_marker("book") is None:
            item.add_marker(pytest.mark.book)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _running.append(item)
    try:
        return (yield)
    finally:
        _running.pop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """At teardown, an error for each kind of process the test started without its mark."""
    report = yield
    if call.when == "teardown" and _unmarked_log.exists():
        lines = _unmarked_log.read_text(encoding="utf-8").splitlines()
        missing = sorted({tuple(line.split("\t")[1:]) for line in lines
                          if line.split("\t")[0] == item.nodeid})
        if missing:
            report.outcome = "failed"
            report.longrepr = "\n".join(
                f"{item.nodeid} starts {what} but is not marked {mark}: add "
                f"@pytest.mark.{mark} (or pytestmark) to it" for mark, what in missing)
    return report


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def share_execution_cache(tmp_path_factory):
    """Give back ``link(build_dir)``, which makes ``build_dir/.jupyter_cache`` (where myst-nb
    keeps executed notebooks, `execute_notebooks: cache`) one folder shared by every book
    build of the session.

    The cache keys a notebook on its code cells, so each lesson runs once per session: the
    first build that reads it runs it, every other build (the offline site, a copy of the
    course) takes its outputs. A notebook whose run failed is not cached.
    """
    cache = tmp_path_factory.mktemp("jupyter-cache")

    def link(build_dir: Path) -> None:
        build_dir.mkdir(parents=True, exist_ok=True)
        (build_dir / ".jupyter_cache").symlink_to(cache, target_is_directory=True)

    return link


@pytest.fixture(scope="session")
def book_build(tmp_path_factory, share_execution_cache) -> subprocess.CompletedProcess:
    """Build the whole book strictly into a fresh folder, as `sicourse build` does.

    A fresh folder (not the repository's own _build/) means no page or file
    left over from an earlier build can hide a problem or a leak. Only the
    execution cache is shared with the session's other builds.
    """
    out = tmp_path_factory.mktemp("book")
    share_execution_cache(out / "_build")
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


@pytest.fixture
def course_with_gradebook(tmp_path, repo, empty_gradebook) -> Path:
    """A course folder with assignment 1's source, the configuration and an empty
    gradebook: what collect, the roster and export need, without generating anything."""
    root = tmp_path / "course"
    shutil.copytree(repo / "exercises" / "01-concepts", root / "exercises" / "01-concepts")
    shutil.copy(repo / "nbgrader_config.py", root)
    shutil.copy(empty_gradebook, root / "gradebook.db")
    return root
