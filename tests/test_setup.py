"""The set-up behind README's commands: the Makefile, scripts/system-packages and .ci/run."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

SCRIPT = "scripts/system-packages"


def make_dry_run(repo: Path, *args: str) -> list[str]:
    """The commands `make -n` would run, as if package-lock.json had just changed."""
    result = subprocess.run(["make", "-n", "-W", "package-lock.json", *args], cwd=repo,
                            capture_output=True, text=True, check=True)
    return result.stdout.splitlines()


def test_make_test_sets_up_system_packages_and_npm_before_the_tests(repo):
    """Does `make test` check the system packages, then run `npm ci` when package-lock.json
    is newer than node_modules/, all before pytest?"""
    commands = make_dry_run(repo, "test")
    system = next(i for i, c in enumerate(commands) if f"{SCRIPT} test" in c)
    npm = next(i for i, c in enumerate(commands) if c.startswith("npm ci --ignore-scripts"))
    pytest_ = next(i for i, c in enumerate(commands) if c.endswith("bin/pytest"))
    assert system < npm < pytest_


def test_the_book_runs_npm_before_building(repo):
    """Do `make book` and `make book OFFLINE=1` run `npm ci` (Pyodide for the JupyterLite
    site; with OFFLINE=1 the CDN files too) before the build?"""
    for extra, command in (((), "sicourse build"), (("OFFLINE=1",), "sicourse build --offline")):
        commands = make_dry_run(repo, "book", *extra)
        npm = next(i for i, c in enumerate(commands) if c.startswith("npm ci"))
        build = next(i for i, c in enumerate(commands) if command in c)
        assert npm < build


def test_ci_installs_system_packages_with_the_shared_script(repo):
    """Does .ci/run use the Makefile's script (all needs) right before `make test`?"""
    lines = [line.split("#")[0].strip() for line in (repo / ".ci" / "run").read_text().splitlines()]
    commands = [c for c in lines if c]
    assert commands[-2:] == [f"bash {SCRIPT}", "make test"]


def test_a_user_is_told_what_is_missing_and_how_to_install_it(repo, bwrap, tmp_path):
    """Not root, with Node.js, Chromium, bubblewrap and PostgreSQL missing: does the script
    name them and the command that installs them in one line, and stop with status 1?"""
    tools = tmp_path / "bin"  # a PATH without node, npm or bwrap
    tools.mkdir()
    for name in ("id", "sed", "grep"):
        (tools / name).symlink_to(shutil.which(name))
    hide_chromium = ["--ro-bind", "/dev/null", "/usr/bin/chromium"]
    result = subprocess.run(
        [bwrap, "--dev-bind", "/", "/",
         *(hide_chromium if os.path.exists("/usr/bin/chromium") else []),
         *(["--tmpfs", "/usr/lib/postgresql"] if os.path.isdir("/usr/lib/postgresql") else []),
         "--unshare-user", "--uid", "1000", "--gid", "1000",
         "/usr/bin/env", "-i", f"PATH={tools}", shutil.which("bash"), SCRIPT, "test"],
        cwd=repo, capture_output=True, text=True,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("Missing: Node.js and npm, Chromium at /usr/bin/chromium, bubblewrap")
    assert "PostgreSQL (initdb under /usr/lib/postgresql/*/bin/)" in line
    assert ("apt-get install --no-install-recommends nodejs npm chromium bubblewrap postgresql"
            in line)


def test_nothing_missing_is_quiet(repo):
    """With what it checks present (make runs this test), does the script say nothing?"""
    result = subprocess.run(["bash", SCRIPT, "make"], cwd=repo, capture_output=True, text=True)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
