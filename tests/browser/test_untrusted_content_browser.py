"""An instructor grading or a student reading feedback runs no script a student wrote.

A course in a temporary folder holds two autograded hostile submissions of
assignment 1 (tests/hostile_notebook.py): "mallory", autograded now, and "old",
whose autograded file is the unsanitised run, as a notebook autograded before the
sanitiser existed. A real Jupyter server with Formgrader serves the course; headless
Chromium opens each submission where an instructor grades it by hand, and the
feedback pages from disk. Every payload, had it run, would have marked the page,
renamed it and written a file into the course folder through the contents API.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import nbformat
import pytest
from hostile_notebook import (
    ASSIGNMENT,
    BOLD,
    MARKER,
    NOTEBOOK,
    WRITTEN,
    as_run_before,
    js,
    submission,
)
from nbconvert.exporters import HTMLExporter
from nbgrader.api import Gradebook

from sicourse.course import Course
from sicourse.grading import nbgrader_run, roster

pytestmark = [pytest.mark.browser, pytest.mark.nbgrader]  # autograded by nbgrader
STUDENTS = ["mallory", "old"]
NOT_LOCAL = re.compile(r"^https?://(?!127\.0\.0\.1[:/])")
PWNED = f"window.{MARKER} || null"
HOSTILE_NAME = f"<img src=no-such-image onerror=window.{MARKER}=['name']>"
CONTROL = "raw-name"


@pytest.fixture(scope="module")
def course(tmp_path_factory, repo) -> Path:
    """The course folder: both submissions autograded, with feedback and a gradebook."""
    course = nbgrader_run.scratch_course(repo, tmp_path_factory.mktemp("formgrader") / "course",
                                         [ASSIGNMENT])
    nbgrader_run.run(course, "generate_assignment", ASSIGNMENT)
    released = nbformat.read(course / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    for student in [*STUDENTS, CONTROL]:
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(submission(released), folder / NOTEBOOK)
    nbgrader_run.run(course, "autograde", ASSIGNMENT)
    nbformat.write(as_run_before(submission(released)),
                   course / "autograded" / "old" / ASSIGNMENT / NOTEBOOK)
    nbgrader_run.run(course, "generate_feedback", ASSIGNMENT)
    # A name from the LMS is the student's too: Formgrader's grading page prints it raw.
    person, _ = roster.make_person("mallory", first_name="Mal", last_name=HOSTILE_NAME)
    roster.record(Course.at(course), [person])
    # The control: the same name put into the gradebook as it is, not through the roster.
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        gb.update_or_create_student(CONTROL, first_name="Raw", last_name=HOSTILE_NAME)
    return course


@dataclass
class Jupyter:
    url: str
    token: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def jupyter(course, tmp_path_factory):
    """`jupyter server` (with nbgrader's Formgrader) in the course folder; stopped after."""
    home = tmp_path_factory.mktemp("jupyter-home")
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    log = (home / "server.log").open("w")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyter"), "server", "--no-browser",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
         "--ServerApp.allow_root=True",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={course}"],
        cwd=course, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (home / "server.log").read_text()[-3000:]
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, (home / "server.log").read_text()[-3000:]
                time.sleep(0.3)
        yield Jupyter(url, token)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture
def offline_page(browser):
    """A page that reaches only this machine (the Jupyter server, files on disk)."""
    context = browser.new_context()
    context.route(NOT_LOCAL, lambda route: route.abort())
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def files(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns
            for p in folder.rglob("*") if p.is_file()}


def submission_id(course: Path, student: str) -> str:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return gb.find_submission_notebook(NOTEBOOK[:-6], ASSIGNMENT, student).id


def settle(page) -> None:
    """Let the page load, and any script's timers and requests finish."""
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)


@pytest.mark.parametrize("student", STUDENTS)
def test_formgrader_runs_no_script_of_the_submission(course, jupyter, offline_page, student):
    """Does opening a hostile submission in Formgrader, as an instructor grading it by
    hand, run none of its scripts and write no file, while the answer is readable?"""
    before = files(course)
    page = offline_page
    # Logged in as the instructor (the cookie covers the whole server, API included).
    path = f"/formgrader/submissions/{submission_id(course, student)}/"
    page.goto(f"{jupyter.url}/login?next={quote(path)}&token={jupyter.token}")
    assert urlsplit(page.url).path == path
    settle(page)
    body = page.inner_text("body")
    assert WRITTEN in body and BOLD in body and "output in bold" in body
    if student == "mallory":  # the grader shows the name: as text, and nothing runs
        page.click("span.glyphicon-eye-open")
        settle(page)
        assert "Mal" in page.inner_text("body") and "onerror=window" in page.inner_text("body")
    assert page.evaluate("typeof window.jQuery") == "function"  # Formgrader's own JS ran
    assert page.evaluate(PWNED) is None
    assert page.title() != "pwned"
    assert files(course) == before
    # The payload's own code, run here by the test, does write a file: so it would have.
    page.evaluate(js("control"))
    page.wait_for_function(f"window.{MARKER}.length === 1")
    settle(page)
    written = course / "pwned-control.txt"
    assert written.is_file()
    written.unlink()


def test_a_name_written_raw_would_run_in_formgrader(course, jupyter, offline_page):
    """The control: is a name with markup, put into the gradebook as it is (not through the
    roster), run by Formgrader's grading page? So the roster's cleaning is what stops it."""
    path = f"/formgrader/submissions/{submission_id(course, CONTROL)}/"
    offline_page.goto(f"{jupyter.url}/login?next={quote(path)}&token={jupyter.token}")
    settle(offline_page)
    assert "src=\"no-such-image\"" in offline_page.content()  # the name, raw, in the page
    offline_page.click("span.glyphicon-eye-open")  # the grader shows the names
    offline_page.wait_for_function(PWNED, timeout=10_000)  # the broken image's error
    assert offline_page.evaluate(PWNED) == ["name"]


@pytest.mark.parametrize("student", STUDENTS)
def test_feedback_page_runs_no_script_of_the_submission(course, offline_page, student):
    """Does the feedback page, opened from disk, run none of the student's scripts,
    while the answer is readable?"""
    page = offline_page
    page.goto((course / "feedback" / student / ASSIGNMENT / "concepts-and-definitions.html")
              .as_uri())
    settle(page)
    body = page.inner_text("body")
    assert WRITTEN in body and BOLD in body and "output in bold" in body
    assert page.evaluate(PWNED) is None
    assert page.title() != "pwned"


def test_the_payloads_run_in_an_unsanitised_page(repo, offline_page, tmp_path):
    """Do these payloads run when nothing sanitises them? (Without this, the tests above
    could pass because the payloads are broken.)"""
    released = nbformat.read(repo / "exercises" / ASSIGNMENT / NOTEBOOK, as_version=4)
    html, _ = HTMLExporter(template_name="classic").from_notebook_node(
        as_run_before(submission(released)))
    path = tmp_path / "unsanitised.html"
    path.write_text(html, encoding="utf-8")
    offline_page.goto(path.as_uri())
    settle(offline_page)
    ran = set(offline_page.evaluate(PWNED) or [])
    # (The JavaScript output needs jQuery, which Formgrader's page has and this one lacks;
    # a frame's script marks the frame's window, not this one's.)
    assert {"md-img", "md-svg", "md-mermaid", "html-script", "html-img",
            "markdown-output"} <= ran
