"""`sicourse grade` on one batch of good, broken and hostile submissions of assignment 1.

Every case of the issue is a student here, each built from the released
student version. One real run grades them all together (``--timeout 5``,
``--memory 512``), then each test asks one question of the result.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest

from sicourse.course import Course
from sicourse.grading import feedback_check, leaks, nbgrader_run

pytestmark = pytest.mark.nbgrader  # every test reads the one graded batch

ASSIGNMENT = "01-concepts"
NOTEBOOK = "concepts-and-definitions.ipynb"
CLEAR_SCREEN = "\x1b[2J"
RIGHT = {"q1-answer": 'answer_q1 = "B"', "q2-answer": 'answer_q2 = ["A", "C", "E", "F"]'}
WRONG = {"q1-answer": 'answer_q1 = "A"', "q2-answer": 'answer_q2 = ["A", "B", "C", "D"]'}
WRITTEN = ("A repair café in our library is new to the people it serves and more sustainable "
           "than buying new things; volunteers and visitors fix things together.")
OUTPUTS = ("autograded", "feedback", "gradebook.db", "gradebook.db-journal", "reports")


def notebook(released, answers: dict[str, str], written: str = WRITTEN):
    nb = nbformat.from_dict(json.loads(json.dumps(released)))
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
        elif grade_id == "q3-answer":
            cell.source = written
    return nb


def cell(nb, grade_id: str):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def text(nb) -> bytes:
    return nbformat.writes(nb).encode("utf-8")


def with_code(released, where: str, code: str, answers=RIGHT) -> bytes:
    """The right answers, with ``code`` in the answer cell ``where`` (before its answer)."""
    nb = notebook(released, answers)
    target = cell(nb, where)
    target.source = code + "\n" + target.source
    return text(nb)


def appended(released, code: str) -> bytes:
    """The right answers, and a cell of ``code`` after the last test."""
    nb = notebook(released, RIGHT)
    nb.cells.append(nbformat.v4.new_code_cell(code))
    return text(nb)


# student: (files, most it may score (of 6 automatic points), exact score or None,
#           flag codes it must have (a tuple: any one of them), status)
def cases(released, course: Path, port: int) -> dict[str, tuple]:
    edited = notebook(released, {**RIGHT, "q1-answer": 'answer_q1 = "A"'})
    cell(edited, "q1-test").source = "print('all good')"
    cell(edited, "q1-text").source = "Question 1 (200 points)"
    deleted = notebook(released, {**RIGHT, "q2-answer": 'answer_q2 = ["A"]'})
    deleted.cells = [c for c in deleted.cells if c.metadata.get("nbgrader", {}).get(
        "grade_id") not in {"q1-test", "q2-test", "q1-text"}]
    changed = notebook(released, {**RIGHT, "q1-answer": 'answer_q1 = "A"'})
    cell(changed, "q1-test").metadata.nbgrader["points"] = 100
    cell(changed, "q2-test").metadata.nbgrader["grade_id"] = "my-own-test"
    cell(changed, "q1-answer").metadata.nbgrader.update(grade=True, points=50, locked=True)
    right = text(notebook(released, RIGHT))
    utf8 = notebook(released, RIGHT)
    cell(utf8, "q1-text").source += "\n\nMARKER"
    broken = text(utf8).replace(b"MARKER", b"caf\xe9 \xff\xfe")
    key, gradebook = course / "exercises" / ASSIGNMENT / NOTEBOOK, course / "gradebook.db"
    reader = f"""answer_q1 = "A"
found = []
for path in ["../../exercises/{ASSIGNMENT}/{NOTEBOOK}",
             "../../../exercises/{ASSIGNMENT}/{NOTEBOOK}",
             "{key}", "{gradebook}", "../../../gradebook.db", "../../gradebook.db"]:
    try:
        with open(path, errors="replace") as f:
            found.append(path)
            if 'answer_q1 = \\"B\\"' in f.read():
                answer_q1 = "B"
    except OSError:
        pass
for path in ["../../exercises/{ASSIGNMENT}/pwned.txt", "{course}/exercises/pwned.txt",
             "{course}/pwned.txt", "/tmp/sicourse-pwned.txt", "../pwned.txt"]:
    try:
        with open(path, "w") as f:
            f.write("pwned")
    except OSError:
        pass
print("read:", found)"""
    network = f"""import socket
for address in [("1.1.1.1", 53), ("127.0.0.1", {port})]:
    try:
        with socket.create_connection(address, timeout=2) as s:
            s.sendall(b"leak")
    except OSError as exc:
        print(address, exc)
try:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"leak", ("1.1.1.1", 53))
except OSError as exc:
    print("udp", exc)"""
    anything = """class Anything(str):
    def __eq__(self, other):
        return True
    __hash__ = str.__hash__
answer_q1 = Anything("A")"""
    return {
        # good submissions: graded alone too, for comparison
        "good-right": (right, 6, 6, [], "graded"),
        "good-half": (text(notebook(released, {**WRONG, **{"q1-answer": RIGHT["q1-answer"]}})),
                      2, 2, [], "graded"),
        "good-wrong": (text(notebook(released, WRONG)), 0, 0, [], "graded"),
        # the issue's cases
        "infinite-loop": (with_code(released, "q1-answer", "while True:\n    pass"), 4, 4,
                          ["timeout"], "flagged"),
        "sys-exit": (with_code(released, "q2-answer", "import sys\nsys.exit()"), 2, 2,
                     ["sys-exit"], "flagged"),
        "os-exit": (with_code(released, "q2-answer", "import os\nos._exit(1)"), 2, 2,
                    ["kernel-died"], "flagged"),
        "crash": (with_code(released, "q2-answer", "import ctypes\nctypes.string_at(0)"), 2, 2,
                  ["kernel-died"], "flagged"),
        "big-output": (with_code(released, "q1-answer",
                                 "for _ in range(100):\n    print('x' * 1_000_000)"),
                       6, 6, [("output-truncated", "memory")], "flagged"),
        "memory-bomb": (with_code(released, "q2-answer",
                                  "hog = []\nwhile True:\n    hog.append(bytearray(10**7))"),
                        2, 2, ["memory"], "flagged"),
        "fork-bomb": (appended(released, "import os\nwhile True:\n    os.fork()"), 6, 6,
                      ["processes"], "flagged"),
        "edited-cells": (text(edited), 4, 4, ["edited-cell"], "flagged"),
        "deleted-cells": (text(deleted), 2, 2, ["deleted-cell"], "flagged"),
        "changed-metadata": (text(changed), 4, 4, ["changed-metadata"], "flagged"),
        "corrupt-json": (right[: len(right) // 2], 0, 0, ["invalid-json"], "failed"),
        "empty-file": (b"", 0, 0, ["empty-file"], "failed"),
        "wrong-name": ({"assignment-1.ipynb": right}, 6, 6, ["wrong-name"], "flagged"),
        # The extra files reach the kernel's folder: the answer imports one. The other's
        # name would clear the instructor's terminal if printed as it is.
        "extra-files": ({NOTEBOOK: text(notebook(released, {
                             **RIGHT, "q1-answer": "from helper import answer as answer_q1"})),
                         f"notes{CLEAR_SCREEN}.txt": b"my notes",
                         "helper.py": b"answer = 'B'\n"},
                        6, 6, ["extra-files"], "flagged"),
        "non-utf8": (broken, 6, 6, ["not-utf8"], "flagged"),
        "reads-outside": (with_code(released, "q1-answer", reader, answers={
                              **RIGHT, "q1-answer": ""}), 4, 4, ["outside-files"], "flagged"),
        "network": (with_code(released, "q1-answer", network), 6, 6, ["network"], "flagged"),
        "always-equal": (text(notebook(released, {**RIGHT, "q1-answer": anything})), 4, 4,
                         ["always-equal"], "flagged"),
        # Tests never run in the kernel: its history holds no test to print, however encoded.
        "prints-history": (appended(released, HISTORY), 6, 6, ["kernel-tampering"], "flagged"),
        # q2 wrong, dressed up: the hidden test's sorted() would return the right letters
        "fake-builtins": (text(notebook(released, {**RIGHT, "q2-answer": (
                              'import builtins\nbuiltins.sorted = lambda xs: ["A", "C", "E", "F"]'
                              '\nanswer_q2 = ["B"]')})), 2, 2, ["kernel-tampering"], "flagged"),
        # Wrong answers, and every assert of the tests turned into pass in the kernel.
        "assert-to-pass": (text(notebook(released, {**WRONG, "q1-answer": NO_ASSERTS})), 0, 0,
                           [("kernel-tampering", "not-plain-data")], "flagged"),
        # Wrong answers, and a hook that reads each test before it runs to set the answer.
        "reads-the-test-first": (text(notebook(released, {**WRONG, "q1-answer": CHEAT})), 0, 0,
                                 ["kernel-tampering"], "flagged"),
        "not-plain-data": (text(notebook(released, {**RIGHT, "q1-answer": (
                               "def answer_q1():\n    return 'B'")})), 4, 4,
                           ["not-plain-data"], "flagged"),
        # The kernel's connection folder and /tmp: small private tmpfs, watched.
        "fills-the-connection-folder": (appended(released, FILL_CONNECTION), 6, 6,
                                        ["disk-limit"], "flagged"),
        "makes-many-files": (appended(released, MANY_FILES), 6, 6, ["disk-limit"], "flagged"),
    }


HISTORY = """import base64
history = "\\n".join(In)
print(base64.b64encode(history.encode()).decode())
print(history[::-1])"""
NO_ASSERTS = """import ast
class NoAsserts(ast.NodeTransformer):
    def visit_Assert(self, node):
        return ast.Pass()
get_ipython().ast_transformers.append(NoAsserts())
answer_q1 = "A\""""
CHEAT = """import re
def cheat(info):
    for name, value in re.findall(r'(answer_q\\d)\\.strip\\(\\)\\.upper\\(\\) == "(\\w)"',
                                  info.raw_cell):
        get_ipython().user_ns[name] = value
get_ipython().events.register("pre_run_cell", cheat)
answer_q1 = "A\""""
FILL_CONNECTION = """import os
from ipykernel.connect import get_connection_file
folder = os.path.dirname(get_connection_file())
for i in range(360):
    with open(os.path.join(folder, f"fill{i}"), "wb") as f:
        f.write(b"x" * 1_000_000)"""
MANY_FILES = """import os
os.makedirs("/tmp/many", exist_ok=True)
for i in range(200_000):
    open(f"/tmp/many/{i}", "w").close()"""


def submit(course: Path, student: str, files) -> None:
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    for name, data in (files if isinstance(files, dict) else {NOTEBOOK: files}).items():
        (folder / name).write_bytes(data)


def tree_hashes(course: Path) -> dict[str, str]:
    """Every file of the course except what grading is meant to write."""
    found = {}
    for path in sorted(course.rglob("*")):
        rel = path.relative_to(course)
        if rel.parts[0] in OUTPUTS or rel.parts[0].startswith(".feedback-staging") \
                or not path.is_file():
            continue
        found[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def sicourse(course: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sicourse.cli", "grade", ASSIGNMENT, "--root", str(course),
         "--timeout", "5", "--memory", "512", *args],
        capture_output=True, text=True, timeout=600,
    )


class Listener:
    """A TCP server on localhost that counts what reaches it."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.received: list[bytes] = []
        self.server.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            with conn:
                self.received.append(conn.recv(100) or b"<connected>")

    def close(self):
        self.running = False
        self.thread.join()
        self.server.close()


@pytest.fixture(scope="module")
def released_course(tmp_path_factory, repo) -> Path:
    course = nbgrader_run.scratch_course(repo, tmp_path_factory.mktemp("hostile") / "course",
                                         [ASSIGNMENT])
    nbgrader_run.run(course, "generate_assignment", ASSIGNMENT)
    return course


@pytest.fixture(scope="module")
def batch(released_course, tmp_path_factory):
    """The course after one `sicourse grade` of every case, with what happened around it."""
    course = released_course
    released = nbformat.read(course / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    listener = Listener()
    try:
        wanted = cases(released, course, listener.port)
        for student, (files, *_rest) in wanted.items():
            submit(course, student, files)
        (Path("/tmp") / "sicourse-pwned.txt").unlink(missing_ok=True)
        before = tree_hashes(course)
        result = sicourse(course)
    finally:
        listener.close()
    scores = nbgrader_run.cell_scores(course, ASSIGNMENT)
    return {"course": course, "cases": wanted, "result": result, "before": before,
            "after": tree_hashes(course), "received": listener.received, "scores": scores,
            "records": _records(course)}


def _records(course: Path):
    from sicourse.grading import records

    return records.load(f"sqlite:///{course / 'gradebook.db'}", ASSIGNMENT)


@pytest.fixture(scope="module")
def alone(batch, tmp_path_factory, repo):
    """The good submissions, graded by themselves in another copy of the course."""
    course = nbgrader_run.scratch_course(repo, tmp_path_factory.mktemp("alone") / "course",
                                         [ASSIGNMENT])
    nbgrader_run.run(course, "generate_assignment", ASSIGNMENT)
    for student, (files, *_rest) in batch["cases"].items():
        if student.startswith("good-"):
            submit(course, student, files)
    stock = Path(shutil.copytree(course, course.parent / "stock"))
    result = sicourse(course, "--no-feedback")
    assert result.returncode == 0, result.stdout + result.stderr
    nbgrader_run.run(stock, "autograde", ASSIGNMENT)
    return {"sicourse": nbgrader_run.cell_scores(course, ASSIGNMENT),
            "stock": nbgrader_run.cell_scores(stock, ASSIGNMENT)}


def automatic(cells) -> float:
    return sum(c.score for c in cells.values() if c.autograded)


def test_the_batch_completes(batch):
    """Does one run grade every submission, whatever each one does, and exit cleanly?"""
    result = batch["result"]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert set(batch["records"]) == set(batch["cases"])
    assert "error" not in {r.status for r in batch["records"].values()}
    assert "graded" in result.stdout and "flagged" in result.stdout
    exported = json.loads((batch["course"] / "autograded" / f"{ASSIGNMENT}.flags.json")
                          .read_text(encoding="utf-8"))
    assert set(exported) == {s for s, r in batch["records"].items() if r.status != "graded"}
    assert {"code": "empty-file", "detail": NOTEBOOK} in exported["empty-file"]


def test_file_names_are_printed_escaped(batch):
    """Does a student's file name reach the terminal with its control characters escaped?"""
    out = batch["result"].stdout + batch["result"].stderr
    assert "\x1b" not in out
    assert "notes\\x1b[2J.txt" in out


def test_good_submissions_get_what_they_get_alone(batch, alone):
    """Do good submissions graded among hostile ones get exactly their scores graded alone
    (by `sicourse grade`, and by stock `nbgrader autograde`)?"""
    for student in (s for s in batch["cases"] if s.startswith("good-")):
        assert batch["scores"][student] == alone["sicourse"][student], student
        assert batch["scores"][student] == alone["stock"][student], student
        assert batch["records"][student].status == "graded", batch["records"][student].reasons


@pytest.mark.parametrize("student", [
    "infinite-loop", "sys-exit", "os-exit", "crash", "big-output", "memory-bomb", "fork-bomb",
    "edited-cells", "deleted-cells", "changed-metadata", "corrupt-json", "empty-file",
    "wrong-name", "extra-files", "non-utf8", "reads-outside", "network", "always-equal",
    "prints-history", "fake-builtins", "assert-to-pass", "reads-the-test-first", "not-plain-data",
    "fills-the-connection-folder", "makes-many-files",
])
def test_a_bad_submission_earns_no_more_and_is_flagged(batch, student):
    """Does each bad submission get at most what it earned, and a flag saying why?"""
    _files, most, exact, codes, status = batch["cases"][student]
    record = batch["records"][student]
    got = automatic(batch["scores"].get(student, {}))
    assert got <= most, (student, got, record.reasons)
    if exact is not None:
        assert got == exact, (student, got, record.reasons)
    assert record.status == status, (student, record.status, record.reasons)
    flagged = {flag.code for flag in record.flags}
    for code in codes:
        assert flagged & set(code if isinstance(code, tuple) else [code]), (student, record.reasons)
    if student == "always-equal":
        assert batch["scores"][student]["q1-test"].score == 0


def test_nothing_outside_a_submission_changes(batch):
    """Are the answer key, the releases, every submission and the config untouched?"""
    assert batch["after"] == batch["before"]
    assert not (Path("/tmp") / "sicourse-pwned.txt").exists()
    assert not list(batch["course"].glob("**/pwned.txt"))


def test_the_network_is_unreachable(batch):
    """Did nothing reach a server listening on the grader's own localhost?"""
    assert batch["received"] == []


def test_student_code_could_not_read_the_key_or_gradebook(batch):
    """Did the code that tried to open the key and the gradebook find nothing?"""
    page = (batch["course"] / "autograded" / "reads-outside" / ASSIGNMENT / NOTEBOOK)
    outputs = json.dumps(cell(nbformat.read(page, as_version=4), "q1-answer").outputs)
    assert "read: []" in outputs


def test_the_kernel_history_holds_no_test(batch, repo):
    """Does a notebook that prints its kernel's history, base64-encoded and reversed, show
    its own code but no line of any test?"""
    page = batch["course"] / "autograded" / "prints-history" / ASSIGNMENT / NOTEBOOK
    printed = "".join(o.get("text", "") for o in
                      nbformat.read(page, as_version=4).cells[-1].outputs)
    encoded, backwards = printed.split("\n", 1)
    seen = base64.b64decode(encoded).decode() + backwards[::-1]
    assert RIGHT["q2-answer"] in seen
    secrets = feedback_check.assignment_secrets(Course.at(repo), ASSIGNMENT)
    assert [line for line in secrets if line in seen and line not in RIGHT.values()] == []
    assert "assert" not in seen


def written(path: Path) -> str:
    """What a student wrote in a submitted file (a notebook's cell sources)."""
    raw = path.read_bytes().decode("utf-8", errors="replace")
    try:
        return "\n".join(c.source for c in nbformat.reads(raw, as_version=4).cells)
    except Exception:  # noqa: BLE001 - not a notebook
        return raw


def test_feedback_shows_no_hidden_test_or_solution(batch, repo):
    """Does no feedback page show a hidden test, or a solution its student did not write?"""
    course = batch["course"]
    secrets = feedback_check.assignment_secrets(Course.at(repo), ASSIGNMENT)  # its key only
    assert any(line.startswith("assert") for line in secrets)
    checked = 0
    for folder in sorted((course / "feedback").glob(f"*/{ASSIGNMENT}")):
        student = folder.parent.name
        own = "\n".join(written(p) for p in
                         (course / "submitted" / student / ASSIGNMENT).rglob("*") if p.is_file())
        theirs = {line for line in secrets if line not in own}
        files = [p for p in folder.rglob("*") if p.is_file()]
        assert leaks.find_leaks(files, theirs) == [], student
        checked += 1
    assert checked >= len(batch["cases"]) - 2  # all but the two that could not be read
