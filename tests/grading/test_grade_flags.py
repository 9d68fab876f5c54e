"""Why a submission is flagged: reading the file, comparing it with the release, its code."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest

from sicourse.grading import flags, intake
from sicourse.grading.flags import Flag, scan_code, scan_outputs

ASSIGNMENT = "01-concepts"
NOTEBOOK = "concepts-and-definitions.ipynb"


def nbgrader_cell(kind, grade_id, source, **meta):
    make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    base = {"grade": False, "solution": False, "locked": False, "task": False,
            "schema_version": 3, "grade_id": grade_id}
    return make(source, metadata={"nbgrader": {**base, **meta}})


@pytest.fixture
def released():
    return nbformat.v4.new_notebook(cells=[
        nbgrader_cell("markdown", "intro", "# Read me", locked=True),
        nbgrader_cell("code", "q1-answer", "# YOUR CODE HERE", solution=True),
        nbgrader_cell("code", "q1-test", "assert isinstance(answer_q1, str)", grade=True,
                      locked=True, points=2),
        nbgrader_cell("markdown", "q2-answer", "YOUR ANSWER HERE", solution=True, grade=True,
                      points=4),
    ])


def codes(found) -> set[str]:
    return {flag.code for flag in found}


def copy(nb):
    return nbformat.from_dict(json.loads(json.dumps(nb)))


def ids(nb) -> list[str]:
    return [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]


# --- flags ----------------------------------------------------------------------------------

@pytest.mark.parametrize("source, code", [
    ("import os\nos.fork()", "processes"),
    ("import subprocess", "processes"),
    ("!ls ../..", "processes"),
    ("import sys\nsys.exit()", "sys-exit"),
    ("import os\nos._exit(1)", "sys-exit"),
    ("open('../../exercises/01/key.ipynb')", "outside-files"),
    ("open('/work/course/gradebook.db')", "outside-files"),
    ("import socket", "network"),
    ("from urllib.request import urlopen", "network"),
    ("class A(str):\n    def __eq__(self, other):\n        return True", "always-equal"),
    ("print(In[3])", "kernel-tampering"),
    ("get_ipython().events.register('post_run_cell', print)", "kernel-tampering"),
    ("import builtins\nbuiltins.type = lambda x: str", "kernel-tampering"),
    ("import ctypes", "low-level"),
])
def test_scan_code_flags_what_an_answer_never_needs(source, code):
    """Is code that reaches outside a plain answer flagged, with the right reason?"""
    assert code in codes(scan_code(source))


@pytest.mark.parametrize("source", [
    'answer_q1 = "B"',
    'answer_q2 = ["A", "C", "E", "F"]',
    "%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])",
    "from IPython.display import display\ndisplay(3)",
    "def f(x):\n    return x / 2\nanswer = f(4)",
    "this is not python (",
])
def test_scan_code_leaves_ordinary_answers_alone(source):
    """Do ordinary answers, magics and even syntax errors raise no flag?"""
    assert scan_code(source) == []


def test_scan_outputs_reads_the_errors_a_run_ended_with():
    error = {"output_type": "error", "traceback": []}
    found = scan_outputs([
        {**error, "ename": "MemoryError", "evalue": ""},
        {**error, "ename": "SystemExit", "evalue": ""},
        {**error, "ename": "BlockingIOError",
         "evalue": "[Errno 11] Resource temporarily unavailable"},
        {**error, "ename": "OSError", "evalue": "[Errno 101] Network is unreachable"},
        {**error, "ename": "PermissionError", "evalue": "[Errno 13] Permission denied: '../x'"},
        {**error, "ename": "OSError", "evalue": "[Errno 28] No space left on device"},
        {"output_type": "stream", "name": "stdout", "text": "MemoryError"},
    ])
    assert [f.code for f in found] == ["memory", "sys-exit", "process-limit", "network",
                                       "outside-files", "disk-limit"]


def test_merge_keeps_one_flag_per_code_and_short_details():
    merged = flags.merge([Flag("timeout", "q1"), Flag("memory"), Flag("timeout", "q2"),
                          Flag("timeout", "q1"), *[Flag("edited-cell", f"c{i}") for i in range(5)]])
    assert [f.code for f in merged] == ["timeout", "memory", "edited-cell"]
    assert merged[0].detail == "q1; q2"
    assert merged[2].detail == "c0; c1; c2; 2 more"
    assert merged[0].reason == "a cell ran past the time limit: q1; q2"


def test_unknown_codes_are_refused_and_flags_round_trip():
    with pytest.raises(ValueError):
        Flag("no-such-reason")
    flag = Flag("wrong-name", "a.ipynb")
    assert Flag.from_dict(flag.to_dict()) == flag


# --- reading and repairing a submission -------------------------------------------------

def test_reconcile_restores_edited_read_only_cells(released):
    nb = copy(released)
    nb.cells[2].source = "pass  # all tests pass"
    nb.cells[0].source = "# Worth 1000 points"
    fixed, found = intake.reconcile(nb, released)
    assert fixed.cells[2].source == released.cells[2].source
    assert fixed.cells[0].source == released.cells[0].source
    assert codes(found) == {"edited-cell"}


def test_reconcile_puts_deleted_cells_back_in_place(released):
    nb = copy(released)
    nb.cells[1].source = 'answer_q1 = "B"'
    del nb.cells[2]  # the test
    del nb.cells[0]  # the instructions
    fixed, found = intake.reconcile(nb, released)
    assert ids(fixed) == ["intro", "q1-answer", "q1-test", "q2-answer"]
    assert fixed.cells[1].source == 'answer_q1 = "B"'
    assert {f.detail for f in found} == {"intro (restored)", "q1-test (restored)"}


def test_a_deleted_answer_comes_back_unanswered(released):
    nb = copy(released)
    nb.cells = [c for c in nb.cells if c.metadata.nbgrader["grade_id"] not in
                {"q1-answer", "q1-test"}]
    fixed, found = intake.reconcile(nb, released)
    assert ids(fixed) == ["intro", "q1-answer", "q1-test", "q2-answer"]
    assert fixed.cells[1].source == "# YOUR CODE HERE"
    assert codes(found) == {"deleted-cell"}


def test_reconcile_resets_changed_metadata(released):
    nb = copy(released)
    nb.cells[2].metadata.nbgrader["points"] = 200
    nb.cells[1].metadata.nbgrader.update(grade=True, points=50)
    nb.cells[3].metadata.nbgrader["grade_id"] = "my-test"
    nb.cells.append(nbgrader_cell("code", "intro", "print('dup')", locked=True))
    fixed, found = intake.reconcile(nb, released)
    assert fixed.cells[2].metadata.nbgrader["points"] == 2
    assert not fixed.cells[1].metadata.nbgrader["grade"]
    assert ids(fixed).count("q2-answer") == 1 and "my-test" not in ids(fixed)
    assert ids(fixed).count("intro") == 1
    assert codes(found) == {"changed-metadata", "deleted-cell", "duplicate-cell"}


def test_reconcile_restores_a_changed_cell_type(released):
    nb = copy(released)
    nb.cells[2] = nbformat.v4.new_markdown_cell("assert True",
                                                metadata=nb.cells[2].metadata)
    fixed, found = intake.reconcile(nb, released)
    assert fixed.cells[2].cell_type == "code"
    assert fixed.cells[2].source == released.cells[2].source
    nbformat.validate(fixed)
    assert "changed-metadata" in codes(found)


def test_an_untouched_notebook_raises_nothing(released):
    fixed, found = intake.reconcile(copy(released), released)
    assert found == [] and ids(fixed) == ids(released)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("data, code", [
    (b"", "empty-file"),
    (b"  \n", "empty-file"),
    (b'{"cells": [', "invalid-json"),
    (b'["not", "a", "notebook"]', "invalid-notebook"),
    (b'{"cells": [{"cell_type": "code"}], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}',
     "invalid-notebook"),
])
def test_unreadable_notebooks_say_why(tmp_path, data, code):
    with pytest.raises(intake.Unreadable) as caught:
        intake.read_notebook(write(tmp_path / NOTEBOOK, data))
    assert caught.value.flag.code == code


def test_non_utf8_bytes_are_replaced_and_flagged(tmp_path, released):
    data = nbformat.writes(released).encode().replace(b"Read me", b"Read m\xe9 \xff")
    nb, found = intake.read_notebook(write(tmp_path / NOTEBOOK, data))
    assert "\ufffd" in nb.cells[0].source
    assert codes(found) == {"not-utf8"}


def test_a_huge_file_is_not_read(tmp_path):
    path = write(tmp_path / NOTEBOOK, b"{" + b" " * 100 + b"}")
    with pytest.raises(intake.Unreadable) as caught:
        intake.read_notebook(path, max_bytes=50)
    assert caught.value.flag.code == "too-large"


@pytest.fixture
def release_folder(tmp_path, released) -> Path:
    folder = tmp_path / "release"
    folder.mkdir()
    nbformat.write(released, folder / NOTEBOOK)
    (folder / "data.csv").write_text("a,b\n")
    return folder


def test_a_wrongly_named_notebook_is_graded_under_its_name(tmp_path, release_folder, released):
    folder = tmp_path / "submitted"
    folder.mkdir()
    nbformat.write(released, folder / "Copy of concepts.ipynb")
    taken = intake.read_submission(folder, release_folder)
    assert list(taken.notebooks) == [NOTEBOOK]
    assert codes(taken.flags) == {"wrong-name"}


def test_extra_files_links_and_shipped_files(tmp_path, release_folder, released):
    folder = tmp_path / "submitted"
    (folder / "sub").mkdir(parents=True)
    nbformat.write(released, folder / NOTEBOOK)
    (folder / "data.csv").write_text("a,b\n")  # shipped with the assignment: not extra
    (folder / "notes.txt").write_text("mine")
    (folder / "sub" / "helper.py").write_text("x = 1")
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "x.ipynb").write_text("{}")
    os.symlink("/etc/passwd", folder / "passwd")
    taken = intake.read_submission(folder, release_folder)
    by_code = {f.code: f.detail for f in taken.flags}
    assert by_code == {"symlink": "passwd", "extra-files": "notes.txt, sub/helper.py"}
    assert sorted(taken.files) == ["data.csv", "notes.txt", "sub/helper.py"]


def test_a_missing_notebook_is_reported(tmp_path, release_folder):
    folder = tmp_path / "submitted"
    folder.mkdir()
    (folder / "notes.txt").write_text("I forgot")
    taken = intake.read_submission(folder, release_folder)
    assert taken.notebooks == {}
    assert taken.unreadable[NOTEBOOK].code == "missing-notebook"


def test_a_huge_extra_file_is_left_out(tmp_path, release_folder, released, monkeypatch):
    folder = tmp_path / "submitted"
    folder.mkdir()
    nbformat.write(released, folder / NOTEBOOK)
    (folder / "video.mp4").write_bytes(b"x" * 100)
    monkeypatch.setattr(intake, "MAX_FILE_BYTES", 50)
    taken = intake.read_submission(folder, release_folder)
    assert taken.files == []
    assert "video.mp4 too large, left out" in {f.code: f.detail for f in taken.flags}[
        "extra-files"]
