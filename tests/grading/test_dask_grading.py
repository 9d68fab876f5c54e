"""`sicourse grade --scheduler`: a real Dask scheduler and two real workers on this machine.

One mixed class (right, wrong, partial, blank, endless, crashing and cheating
submissions) is graded twice: by local workers, and through Dask while one of the two
Dask workers is killed mid-batch. Every score, status, flag and file must agree, and
every student must be merged exactly once.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from distributed import Client

from sicourse.grading import nbgrader_run, records

pytestmark = pytest.mark.nbgrader

ASSIGNMENT = "01-concepts"
NOTEBOOK = "concepts-and-definitions.ipynb"
RIGHT = {"q1-answer": 'answer_q1 = "B"', "q2-answer": 'answer_q2 = ["A", "C", "E", "F"]'}
SLOW = "import time\ntime.sleep(2)\n"
# student: answers (grade id -> source; "*extra" a cell appended at the end)
CLASS = {
    "right": RIGHT,
    "wrong": {"q1-answer": 'answer_q1 = "A"', "q2-answer": 'answer_q2 = ["B"]'},
    "partial": {"q1-answer": 'answer_q1 = "B"', "q2-answer": 'answer_q2 = ["A", "C"]'},
    "blank": {},
    "slow-right": {"q1-answer": SLOW + 'answer_q1 = "B"', "q2-answer": RIGHT["q2-answer"]},
    "slow-wrong": {"q1-answer": SLOW + 'answer_q1 = "D"'},
    "endless": {"q1-answer": "while True:\n    pass"},
    "crash": {"q1-answer": "import os\nos._exit(1)", "q2-answer": RIGHT["q2-answer"]},
    "syntax": {"q1-answer": "answer_q1 = (", "q2-answer": RIGHT["q2-answer"]},
    "no-asserts": {"q1-answer": "import ast\nclass N(ast.NodeTransformer):\n"
                                "    def visit_Assert(self, node):\n        return ast.Pass()\n"
                                "get_ipython().ast_transformers.append(N())\nanswer_q1 = 'A'"},
    "reads-course": {"q1-answer": "import glob\nprint(glob.glob('/work/**', recursive=True)"
                                  "[:5])\nanswer_q1 = 'B'"},
    "right-2": RIGHT,
}


def submit(course: Path) -> None:
    released = nbformat.read(course / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    for student, answers in CLASS.items():
        nb = nbformat.from_dict(json.loads(json.dumps(released)))
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            cell.source = answers.get(grade_id, cell.source)
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / NOTEBOOK)


def grade(course: Path, *args: str, wait: bool = True):
    command = [sys.executable, "-m", "sicourse.cli", "grade", ASSIGNMENT, "--root", str(course),
               "--timeout", "4", "--memory", "512", *args]
    if wait:
        return subprocess.run(command, capture_output=True, text=True, timeout=600)
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def dask(*args: str, log: Path) -> subprocess.Popen:
    """A dask command in a session of its own (so a kill reaches all it started)."""
    with open(log, "w") as out:
        return subprocess.Popen([str(Path(sys.executable).with_name("dask")), *args],
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(10)


@pytest.fixture(scope="module")
def course_template(tmp_path_factory, repo) -> Path:
    course = nbgrader_run.scratch_course(repo, tmp_path_factory.mktemp("dask") / "course",
                                         [ASSIGNMENT])
    nbgrader_run.run(course, "generate_assignment", ASSIGNMENT)
    submit(course)
    return course


@pytest.fixture(scope="module")
def local(course_template, tmp_path_factory):
    course = Path(shutil.copytree(course_template, tmp_path_factory.mktemp("local") / "course"))
    run = grade(course)
    assert run.returncode in (0, 1), run.stdout + run.stderr
    return course


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A Dask scheduler and two workers (one thread each), started as an instructor would."""
    home = tmp_path_factory.mktemp("cluster")
    # Not under the course: the workers' current folder is where the scheduler file is.
    file = home / "scheduler.json"
    scheduler = dask("scheduler", "--host", "127.0.0.1", "--port", "0",
                     "--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(file),
                     log=home / "scheduler.log")
    workers = {}
    try:
        deadline = time.monotonic() + 60
        while not file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert file.exists(), (home / "scheduler.log").read_text()
        for name in ("w1", "w2"):
            workers[name] = dask("worker", "--scheduler-file", str(file), "--nthreads", "1",
                                 "--no-nanny", "--name", name, log=home / f"{name}.log")
        client = Client(scheduler_file=str(file), timeout="30s")
        client.wait_for_workers(2, timeout=60)
        yield {"address": json.loads(file.read_text())["address"], "client": client,
               "workers": workers, "home": home}
        client.close()
    finally:
        for process in [*workers.values(), scheduler]:
            kill(process)


@pytest.fixture(scope="module")
def distributed_run(course_template, cluster, tmp_path_factory):
    """The same class graded through Dask; worker w1 is killed while it grades."""
    course = Path(shutil.copytree(course_template, tmp_path_factory.mktemp("dist") / "course"))
    client = cluster["client"]
    names = {addr: info["name"] for addr, info in client.scheduler_info()["workers"].items()}
    process = grade(course, "--scheduler", cluster["address"], wait=False)
    killed_during = None
    deadline = time.monotonic() + 120
    while killed_during is None and time.monotonic() < deadline and process.poll() is None:
        busy = {names.get(addr): keys for addr, keys in client.processing().items()}
        if busy.get("w1"):
            killed_during = list(busy["w1"])
            time.sleep(0.5)  # inside the task, not between two
            kill(cluster["workers"]["w1"])
        time.sleep(0.05)
    out, err = process.communicate(timeout=600)
    return {"course": course, "code": process.returncode, "out": out, "err": err,
            "killed_during": killed_during}


def test_a_worker_was_killed_mid_batch(distributed_run):
    assert distributed_run["killed_during"], "w1 never had a submission to grade"
    assert distributed_run["code"] in (0, 1), distributed_run["out"] + distributed_run["err"]


def test_the_dashboard_and_cluster_are_printed(distributed_run, cluster):
    err = distributed_run["err"]
    assert f"Dask cluster at {cluster['address']}" in err
    assert "dashboard: http://127.0.0.1:" in err


def test_every_score_matches_local_grading(distributed_run, local):
    expected = nbgrader_run.cell_scores(local, ASSIGNMENT)
    got = nbgrader_run.cell_scores(distributed_run["course"], ASSIGNMENT)
    assert set(got) == set(CLASS)
    assert got == expected
    assert sum(c.score for c in got["right"].values() if c.autograded) == 6
    assert sum(c.score for c in got["no-asserts"].values() if c.autograded) < 6


def test_every_status_and_flag_matches_and_nothing_is_counted_twice(distributed_run, local):
    def summary(course):
        found = records.load(f"sqlite:///{course / 'gradebook.db'}", ASSIGNMENT)
        return {s: (r.status, sorted(f.code for f in r.flags)) for s, r in found.items()}

    assert summary(distributed_run["course"]) == summary(local)
    # The summary line ("01-concepts: 7 graded, 5 flagged, in 21.0 s.") counts each once.
    line = next(x for x in distributed_run["out"].splitlines() if x.startswith(f"{ASSIGNMENT}: "))
    counted = line.split(": ", 1)[1].rsplit(", in ", 1)[0]
    assert sum(int(part.split()[0]) for part in counted.split(", ")) == len(CLASS), line


def test_feedback_and_graded_folders_are_the_same(distributed_run, local):
    for step in ("autograded", "feedback"):
        mine = sorted(p.relative_to(distributed_run["course"] / step).as_posix()
                      for p in (distributed_run["course"] / step).rglob("*") if p.is_file())
        theirs = sorted(p.relative_to(local / step).as_posix()
                        for p in (local / step).rglob("*") if p.is_file())
        assert mine == theirs, step


def test_a_rerun_resumes_and_grades_nothing_again(distributed_run, cluster):
    again = grade(distributed_run["course"], "--scheduler", cluster["address"])
    assert "unchanged since last graded" in again.stdout, again.stdout + again.stderr
    assert f"{len(CLASS)} unchanged" in again.stdout


def test_an_unreachable_scheduler_is_a_clear_error(course_template, tmp_path):
    course = Path(shutil.copytree(course_template, tmp_path / "course"))
    run = grade(course, "--scheduler", "tcp://127.0.0.1:9")
    assert run.returncode == 1
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in run.stderr
    assert "Traceback" not in run.stderr
