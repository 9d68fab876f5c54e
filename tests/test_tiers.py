"""The test tiers: a test that starts a kernel, nbgrader or a book build without the mark
that says so is an error, so `make test-fast` cannot quietly grow slow."""

from __future__ import annotations

import importlib.util
from pathlib import Path

PROBE = '''
import multiprocessing
import subprocess
import sys

import pytest


def start(*args):
    subprocess.run([sys.executable, "-c", "pass", *args], check=True)


def test_kernel_unmarked():
    start("-m", "ipykernel_launcher")


@pytest.mark.nbgrader
def test_kernel_marked():
    start("-m", "ipykernel_launcher")


def test_kernel_in_a_forked_worker_unmarked():
    worker = multiprocessing.get_context("fork").Process(
        target=start, args=("-m", "ipykernel_launcher"))
    worker.start()
    worker.join()
    assert worker.exitcode == 0


def test_sicourse_build_unmarked():
    start("-m", "sicourse.cli", "build")


def test_other_commands_need_no_mark():
    start("-m", "json.tool", "--help")


@pytest.fixture
def book_build():
    """Stands in for the session's build."""


def test_the_session_build_makes_a_book_test(book_build, request):
    assert request.node.get_closest_marker("book") is not None
'''


def test_a_process_started_without_its_mark_is_an_error(pytester, repo):
    """Does a test that starts a kernel (itself or in a forked worker) or a book build
    without its mark end in an error naming the mark, and do marked tests, tests that use
    the session's build and other commands pass?"""
    pytester.makeconftest((repo / "tests" / "conftest.py").read_text(encoding="utf-8"))
    pytester.makeini("[pytest]\nmarkers =\n    nbgrader\n    book\n    browser\n")
    pytester.makepyfile(test_probe=PROBE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=6, errors=3)
    result.stdout.fnmatch_lines_random([
        "*test_kernel_unmarked starts a Jupyter kernel but is not marked nbgrader*",
        "*test_kernel_in_a_forked_worker_unmarked starts a Jupyter kernel but is not marked "
        "nbgrader*",
        "*test_sicourse_build_unmarked starts a book build but is not marked book*",
    ])


def test_a_browser_is_what_runs_not_a_path_that_is_named():
    """Is Chromium counted when it is the program started, and not when a sandbox merely
    names its path (bubblewrap hiding it)?"""
    spec = importlib.util.spec_from_file_location("tests_conftest",
                                                  Path(__file__).with_name("conftest.py"))
    conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conftest)
    tier_of = conftest.tier_of
    assert tier_of(["/usr/bin/chromium", "--headless"]) == ("browser", "a browser")
    assert tier_of(["bwrap", "--ro-bind", "/dev/null", "/usr/bin/chromium", "sh"]) is None


def test_starting_a_postgresql_server_needs_its_mark_and_stopping_it_does_not():
    """Are initdb and `pg_ctl start` the postgres tier, and `pg_ctl stop` (run when the
    session ends, in whichever test is last) none?"""
    spec = importlib.util.spec_from_file_location("tests_conftest",
                                                  Path(__file__).with_name("conftest.py"))
    conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conftest)
    tier_of = conftest.tier_of
    bin_ = "/usr/lib/postgresql/15/bin"
    assert tier_of([f"{bin_}/initdb", "-D", "data"]) == ("postgres", "a PostgreSQL server")
    assert tier_of([f"{bin_}/pg_ctl", "start", "-D", "data"])[0] == "postgres"
    assert tier_of([f"{bin_}/pg_ctl", "stop", "-D", "data"]) is None
