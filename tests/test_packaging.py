"""The package as a user installs it: sdist, wheel, and a fresh environment that uses it.

Every other test imports sicourse from src/ (an editable install), where a file the
wheel leaves out goes unnoticed. Here the sdist is built from a copy of the repository
and the wheel from the sdist (as `python -m build` does); both must hold every file of
src/sicourse/, listed from the tree. The wheel is then installed, with its dependencies,
into a new virtual environment that sees neither src/ nor the test environment, and that
environment alone builds the book from a copy of the course without src/ and runs
`sicourse check` on the first assignment.

Slow (a few minutes: the install, a whole book build and an nbgrader check, the last
two at once), hence the `packaging` marker.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

# It builds the book and runs sicourse check (nbgrader) with the installed wheel.
pytestmark = [pytest.mark.packaging, pytest.mark.book, pytest.mark.nbgrader]

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
PACKAGE = SRC / "sicourse"
ASSIGNMENT = "01-concepts"
TIMEOUT = 1200  # seconds for any one step; each takes one or two minutes

# Not copied: environments, build outputs, caches and instructors' nbgrader folders.
ANYWHERE = shutil.ignore_patterns(
    "__pycache__", "*.pyc", ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints", "*.egg-info"
)
TOP_LEVEL = {".git", "node_modules", "_build", "build", "dist", "release", "submitted",
             "autograded", "feedback", "reports", "gradebook.db", "gradebook.db-journal"}


def package_files() -> set[str]:
    """Every file under src/sicourse/ (but compiled Python), as a path from src/."""
    return {
        path.relative_to(SRC).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def copy_repository(target: Path) -> Path:
    def ignore(folder: str, names: list[str]) -> set[str]:
        skip = set(ANYWHERE(folder, names))
        here = Path(folder)
        if here == REPO:
            skip |= TOP_LEVEL & set(names)
            # any virtual environment, whatever its name (make's VENV)
            skip |= {n for n in names if (here / n / "pyvenv.cfg").exists()}
        if here == REPO / "book":
            skip.add("generated")
        return skip

    shutil.copytree(REPO, target, ignore=ignore, symlinks=True)
    return target


def run(command: list, what: str, **kwargs) -> subprocess.CompletedProcess:
    """Run a step; fail the test with the end of its output if it fails."""
    started = time.monotonic()
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True,
                            timeout=TIMEOUT, **kwargs)
    print(f"{what}: {time.monotonic() - started:.0f} s")
    assert result.returncode == 0, (
        f"{what} failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    )
    return result


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("packaging")


@pytest.fixture(scope="module")
def dists(scratch) -> dict[str, Path]:
    """The sdist, and the wheel built from it, from a copy of the repository."""
    source = copy_repository(scratch / "source")
    out = scratch / "dist"
    run([sys.executable, "-m", "build", "--outdir", out, source], "python -m build")
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return {"sdist": sdist, "wheel": wheel}


def test_the_wheel_holds_every_file_of_the_package(dists):
    """Is every file under src/sicourse/ (JavaScript, CSS… and Python) in the wheel?"""
    with zipfile.ZipFile(dists["wheel"]) as wheel:
        names = set(wheel.namelist())
    missing = sorted(package_files() - names)
    assert not missing, "not in the wheel (see package-data in pyproject.toml): " + ", ".join(
        missing)


def test_the_sdist_holds_every_file_of_the_package(dists):
    """Is every file under src/sicourse/ in the sdist, under src/?"""
    with tarfile.open(dists["sdist"]) as sdist:
        # "<name>-<version>/src/sicourse/..." -> "sicourse/..."
        names = {n.split("/", 1)[-1].removeprefix("src/") for n in sdist.getnames()}
    missing = sorted(package_files() - names)
    assert not missing, "not in the sdist: " + ", ".join(missing)


@pytest.fixture(scope="module")
def venv(scratch, dists) -> Path:
    """A new virtual environment with the wheel and its dependencies installed (pip's
    index and cache as configured), and nothing of src/ or the test environment."""
    venv = scratch / "venv"
    run([sys.executable, "-m", "venv", venv], "python -m venv")
    run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-compile",
         "--disable-pip-version-check", dists["wheel"]],
        "pip install the wheel and its dependencies", env=environment(venv, scratch))
    return venv


def environment(venv: Path, scratch: Path) -> dict[str, str]:
    """The environment variables of an activated `venv`, without the test environment's
    bin folder or a user's site-packages, Jupyter or IPython folders."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "JUPYTER"))}
    own_bin = Path(sys.prefix, "bin").resolve()
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep)
            if p and Path(p).resolve() != own_bin]
    env.update({
        "PATH": os.pathsep.join([str(venv / "bin"), *path]),
        "VIRTUAL_ENV": str(venv),
        "PYTHONNOUSERSITE": "1",
        "JUPYTER_CONFIG_DIR": str(scratch / "home" / "jupyter-config"),
        "JUPYTER_DATA_DIR": str(scratch / "home" / "jupyter-data"),
        "IPYTHONDIR": str(scratch / "home" / "ipython"),
    })
    return env


def test_the_fresh_environment_imports_the_installed_package(venv, scratch):
    """Does `import sicourse` in the new environment load the wheel's copy, not src/?"""
    result = run([venv / "bin" / "python", "-c", "import sicourse; print(sicourse.__file__)"],
                 "import sicourse", cwd=scratch, env=environment(venv, scratch))
    imported = Path(result.stdout.strip()).resolve()
    assert imported.is_relative_to(venv.resolve()), f"sicourse imported from {imported}"
    assert not imported.is_relative_to(SRC), imported


def test_the_installed_package_builds_the_book_and_checks_an_assignment(venv, scratch):
    """With only the new environment, do `sicourse build` and `sicourse check 01-concepts`
    pass on a copy of the course that has no src/? (Both run at once, to save time.)"""
    course = copy_repository(scratch / "course")
    shutil.rmtree(course / "src")
    # `npm ci` has run, as `make book` does first: Pyodide for the JupyterLite site
    (course / "node_modules").symlink_to(REPO / "node_modules", target_is_directory=True)
    env = environment(venv, scratch)
    sicourse = venv / "bin" / "sicourse"
    steps = {
        "sicourse build": [sicourse, "build", "--root", course],
        f"sicourse check {ASSIGNMENT}": [sicourse, "check", ASSIGNMENT, "--root", course],
    }
    started = time.monotonic()
    running = {}
    for what, command in steps.items():
        log = (scratch / f"{what.replace(' ', '-')}.log").open("w+")
        process = subprocess.Popen([str(c) for c in command], cwd=scratch, env=env,
                                   stdout=log, stderr=subprocess.STDOUT, text=True)
        running[what] = (process, log)
    failures = []
    for what, (process, log) in running.items():
        try:
            code = process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait()
        print(f"{what}: done after {time.monotonic() - started:.0f} s")
        log.seek(0)
        if code != 0:
            failures.append(f"{what} failed ({code}):\n{log.read()[-4000:]}")
        log.close()
    assert not failures, "\n\n".join(failures)
    html = course / "_build" / "html"
    assert (html / "index.html").is_file()
    # The page renderer: the file the wheel once left out (sicourse/static/).
    assert (html / "_static" / "sicourse-widgets.js").is_file()
    # The JupyterLite site, with the widgets' wheel made from the installed package.
    assert (html / "lite" / "static" / "pyodide-lock" / "sicourse_widgets-0.1.0-py3-none-any.whl"
            ).is_file()
