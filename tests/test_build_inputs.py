"""`sicourse build` skips a build only when none of its inputs has changed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from sicourse.book import build as build_module
from sicourse.cli import main


@pytest.fixture
def course(tmp_path) -> Path:
    root = tmp_path / "course"
    for name in ("_config.yml", "_toc.yml", "lessons/01-a.md", "book/intro.md"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(f"{name}\n")
    return root


@pytest.fixture
def builds(monkeypatch, course) -> list[list[str]]:
    """Stand in for jupyter-book: record each run and write a one-page site."""
    runs: list[list[str]] = []

    def fake_run(args, **kwargs):
        runs.append(args)
        html = course / "_build" / "html"
        html.mkdir(parents=True, exist_ok=True)
        (html / "index.html").write_text("<p>book</p>")
        return subprocess.CompletedProcess(args, 0)

    monkeypatch.setattr(build_module.subprocess, "run", fake_run)
    # the JupyterLite site is built after each real build (tests/test_lite_site.py)
    monkeypatch.setattr(build_module.lite_site, "build_site",
                        lambda root, html, say: None)
    return runs


def sicourse_build(course: Path, *extra: str):
    result = CliRunner().invoke(main, ["build", "--root", str(course), *extra])
    assert result.exit_code == 0, result.output
    return result


def test_a_second_build_with_nothing_changed_is_skipped(course, builds):
    """Does an unchanged course skip Sphinx, saying so, and does --all build anyway?"""
    sicourse_build(course)
    assert "up to date" in sicourse_build(course).output
    assert len(builds) == 1
    sicourse_build(course, "--all")
    assert len(builds) == 2


def test_a_touched_file_or_a_new_option_builds_again(course, builds, monkeypatch):
    """Do a changed file time, a new file and a new hub URL each mean a real build?"""
    sicourse_build(course)
    stat = (course / "lessons/01-a.md").stat()
    os.utime(course / "lessons/01-a.md", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    sicourse_build(course)
    (course / "lessons/02-b.md").write_text("new")
    sicourse_build(course)
    monkeypatch.setenv("SICOURSE_JUPYTERHUB_URL", "https://hub.example.edu")
    sicourse_build(course)
    assert len(builds) == 4


def test_outputs_and_generated_pages_are_not_inputs(course, builds):
    """Do the build's own outputs (_build/, book/generated/) leave the fingerprint alone?"""
    options = {"offline": "False"}
    before = build_module.inputs_fingerprint(course, course / "_build", options)
    (course / "book" / "generated").mkdir()
    (course / "book" / "generated" / "glossary.md").write_text("generated")
    (course / "_build" / "jupyter_execute").mkdir(parents=True)
    (course / "_build" / "jupyter_execute" / "x.ipynb").write_text("{}")
    assert build_module.inputs_fingerprint(course, course / "_build", options) == before
    assert build_module.inputs_fingerprint(course, course / "_build",
                                           {"offline": "True"}) != before


def test_a_failed_build_is_never_skipped(course, builds, monkeypatch):
    """After a failed build, does the next one run even though nothing changed?"""
    sicourse_build(course)

    def failing_run(args, **kwargs):
        builds.append(args)
        return subprocess.CompletedProcess(args, 1)

    monkeypatch.setattr(build_module.subprocess, "run", failing_run)
    (course / "lessons/01-a.md").write_text("broken")
    assert CliRunner().invoke(main, ["build", "--root", str(course)]).exit_code == 1
    assert CliRunner().invoke(main, ["build", "--root", str(course)]).exit_code == 1
    assert len(builds) == 3
