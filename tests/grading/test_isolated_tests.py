"""Test cells run away from the student's code, on answers fetched as plain data.

Graded by nbgrader itself (`nbgrader autograde`, with the course's nbgrader_config.py),
as an instructor would run it: every attack here worked against tests that ran in the
student's kernel.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import nbformat
import pytest

from sicourse.grading import mutants, nbgrader_run, plain_data
from sicourse.grading.evaluator import Evaluator
from sicourse.grading.isolated_tests import reads

ASSIGNMENT = "01-concepts"
NOTEBOOK = "concepts-and-definitions.ipynb"
RIGHT = {"q1-answer": 'answer_q1 = "B"', "q2-answer": 'answer_q2 = ["A", "C", "E", "F"]'}
WRONG = {"q1-answer": 'answer_q1 = "A"', "q2-answer": 'answer_q2 = ["A", "B", "C", "D"]'}
ANYTHING = """class Anything(str):
    def __eq__(self, other):
        return True
    __hash__ = str.__hash__
"""
HIDDEN = 'answer_q1.strip().upper() == "B"'  # a line of q1's hidden test
# Shows everything the kernel ever ran, encoded so that no literal match finds it.
LEAK = """import base64
history = "\\n".join(In)
print(base64.b64encode(history.encode()).decode())
print(history[::-1])"""
# student: (answer cells, autograded points expected: q1-test of 2, q2-test of 4)
STUDENTS = {
    "right": (RIGHT, {"q1-test": 2, "q2-test": 4}),
    # by accident: names a student might well use for their own things
    "shadows-by-accident": ({
        "q1-answer": 'list = ["my", "notes"]\nstr = "B"\nanswer_q1 = str',
        "q2-answer": 'sorted = "yes"\ntype = 3\nanswer_q2 = ["A", "C", "E", "F"]',
    }, {"q1-test": 2, "q2-test": 4}),
    "a-tuple-for-a-list": ({**RIGHT, "q2-answer": 'answer_q2 = ("A", "C", "E", "F")'},
                           {"q1-test": 2, "q2-test": 0}),
    # on purpose: wrong answers dressed up by replacing what the tests call
    "fake-sorted": ({**RIGHT, "q2-answer": 'sorted = lambda xs: ["A", "C", "E", "F"]\n'
                                           'answer_q2 = ["B"]'}, {"q1-test": 2, "q2-test": 0}),
    "always-equal": ({**RIGHT, "q1-answer": ANYTHING + "type = lambda x: str\n"
                                           'answer_q1 = Anything("A")'},
                     {"q1-test": 0, "q2-test": 4}),
    "patched-builtins": ({**RIGHT, "q2-answer": (
        'import builtins\nbuiltins.sorted = lambda xs: ["A", "C", "E", "F"]\nanswer_q2 = ["B"]')},
                         {"q1-test": 2, "q2-test": 0}),
    # the attacks on the kernel that used to run the tests, all with wrong answers
    "assert-to-pass": ({**WRONG, "q1-answer": """import ast
class NoAsserts(ast.NodeTransformer):
    def visit_Assert(self, node):
        return ast.Pass()
get_ipython().ast_transformers.append(NoAsserts())
answer_q1 = "A\""""}, {"q1-test": 0, "q2-test": 0}),
    "reads-the-test-first": ({**WRONG, "q1-answer": """import re
def cheat(info):
    for name, value in re.findall(r'(answer_q\\d)\\.strip\\(\\)\\.upper\\(\\) == "(\\w)"',
                                  info.raw_cell):
        get_ipython().user_ns[name] = value
get_ipython().events.register("pre_run_cell", cheat)
answer_q1 = "A\""""}, {"q1-test": 0, "q2-test": 0}),
    "input-transformer": ({**WRONG, "q1-answer": """def drop_asserts(lines):
    return [line.replace("assert ", "pass  # ") for line in lines]
get_ipython().input_transformers_post.append(drop_asserts)
answer_q1 = "A\""""}, {"q1-test": 0, "q2-test": 0}),
    "swallows-errors": ({**WRONG, "q1-answer": """get_ipython().set_custom_exc(
    (BaseException,), lambda shell, etype, value, tb, tb_offset=None: None)
answer_q1 = "A\""""}, {"q1-test": 0, "q2-test": 0}),
    "settrace": ({**WRONG, "q1-answer": """import linecache, re, sys
def tracer(frame, event, arg):
    code = "".join(linecache.getlines(frame.f_code.co_filename))
    for name, value in re.findall(r'(answer_q\\d)\\.strip\\(\\)\\.upper\\(\\) == "(\\w)"', code):
        frame.f_globals[name] = value
    return tracer
sys.settrace(tracer)
answer_q1 = "A\""""}, {"q1-test": 0, "q2-test": 0}),
    "breaks-the-fetcher": ({**RIGHT, "q2-answer": 'import sys\nsys.modules.pop("_sicourse_answers")'
                                                  '\nanswer_q2 = ["A", "C", "E", "F"]'},
                           {"q1-test": 2, "q2-test": 0}),
    "a-function-for-a-value": ({**RIGHT, "q1-answer": "def answer_q1():\n    return 'B'"},
                               {"q1-test": 0, "q2-test": 4}),
    "leaks-the-history": (RIGHT, {"q1-test": 2, "q2-test": 4}),
}


@pytest.fixture(scope="module")
def course(tmp_path_factory, repo) -> Path:
    course = nbgrader_run.scratch_course(repo, tmp_path_factory.mktemp("isolated"), [ASSIGNMENT])
    nbgrader_run.run(course, "generate_assignment", ASSIGNMENT)
    released = nbformat.read(course / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    for student, (answers, _) in STUDENTS.items():
        folder = Path(course / "submitted" / student / ASSIGNMENT)
        folder.mkdir(parents=True)
        nb = mutants.apply(released, answers)
        if student == "leaks-the-history":
            nb.cells.append(nbformat.v4.new_code_cell(LEAK))
        nbformat.write(nb, folder / NOTEBOOK)
    nbgrader_run.run(course, "autograde", ASSIGNMENT)
    return course


@pytest.fixture(scope="module")
def scores(course) -> dict[str, dict[str, float]]:
    return {student: {name: cell.score for name, cell in cells.items() if cell.autograded}
            for student, cells in nbgrader_run.cell_scores(course, ASSIGNMENT).items()}


def graded(course: Path, student: str) -> nbformat.NotebookNode:
    return nbformat.read(course / "autograded" / student / ASSIGNMENT / NOTEBOOK, as_version=4)


@pytest.mark.nbgrader
@pytest.mark.parametrize("student", STUDENTS)
def test_each_answer_earns_what_it_is_worth(scores, student):
    """Does each submission get exactly the points its answers earn, whatever its code did
    to the kernel, the names the tests call or the tests themselves? (Items a case does not
    answer must earn nothing either.)"""
    expected = {item: 0 for item in scores[student]} | STUDENTS[student][1]
    assert scores[student] == expected


@pytest.mark.nbgrader
def test_a_value_that_is_not_data_fails_with_a_reason(course):
    """Does a test that met an object, not a value, fail saying what the grader accepts?"""
    cells = mutants.grade_ids(graded(course, "always-equal"))
    error = cells["q1-test"].outputs[-1]
    assert error.ename == "NotPlainData"
    assert "answer_q1: an object of type Anything" in error.evalue
    assert "plain values" in error.evalue


@pytest.mark.nbgrader
def test_no_test_source_reaches_the_student_kernel(course, repo):
    """Does a notebook that prints its kernel's whole history, encoded, show no test?"""
    last = graded(course, "leaks-the-history").cells[-1]
    assert last.source == LEAK
    printed = "".join(o.get("text", "") for o in last.outputs)
    encoded, reversed_text = printed.split("\n", 1)
    seen = base64.b64decode(encoded).decode() + reversed_text[::-1]
    assert 'answer_q1 = "B"' in seen  # the student's own code is there...
    key = "\n".join(c.source for c in nbformat.read(repo / "exercises" / ASSIGNMENT / NOTEBOOK,
                                                   as_version=4).cells)
    assert HIDDEN in key
    assert HIDDEN not in seen and "assert" not in seen  # ...no test is


@pytest.mark.nbgrader
def test_visible_tests_still_explain_a_wrong_form(course):
    """Does a visible check's message still reach the student, from the evaluator?"""
    error = mutants.grade_ids(graded(course, "a-tuple-for-a-list"))["q2-test"].outputs[-1]
    assert error.ename == "AssertionError"
    assert "answer_q2 should be a list" in error.evalue
    assert any("<test cell q2-test>" in line for line in error.traceback)


# --- the names a test reads, and plain data ---------------------------------------------------

def test_a_test_reads_the_names_it_uses_but_does_not_bind():
    """Are the answers a test reads found, and its own names, imports and builtins left out?"""
    source = """import math
example = reduction(60, 80)
for treated, expected in [(1, 2)]:
    assert math.isclose(f(treated), expected)
assert sorted(x for x in answer_q2) == ["A"] and isinstance(answer_q1, str)
"""
    assert reads(source) == ["answer_q1", "answer_q2", "f", "reduction"]
    with pytest.raises(SyntaxError):
        reads("%timeit x")


@pytest.mark.parametrize("value", [
    None, True, 0, -7, 2.5, float("inf"), "B", "", ["A", 1, None], ("A", (1, 2)),
    {"a": [1, {"b": 2}], 3: "c", (1, 2): True}, {1, "x", (2, 3)}, frozenset({1}),
])
def test_plain_values_cross_unchanged(value):
    """Does every kind of plain value arrive as the same value of the same type?"""
    text = plain_data.fetch({"x": value}, ["x"])
    values, problems = plain_data.read(text, ["x"])
    assert problems == {}
    back = plain_data.decode(values["x"])
    assert back == value and type(back) is type(value)
    if isinstance(value, (list, tuple)):
        assert [type(v) for v in back] == [type(v) for v in value]


class Sneaky(list):
    pass


@pytest.mark.parametrize("value, why", [
    (Sneaky(["B"]), "Sneaky"),
    (lambda: "B", "function"),
    (["A", object()], "type object"),
    (10 ** 2000, "integer too large"),
    ("x" * (plain_data.MAX_BYTES + 1), "bytes"),
    (b"B", "type bytes"),
])
def test_anything_else_is_refused_with_a_reason(value, why):
    """Is an object, a subclass or an oversized value refused, saying what it is?"""
    values, problems = plain_data.read(plain_data.fetch({"x": value}, ["x"]), ["x"])
    assert values == {} and why in problems["x"]


def test_a_nested_value_past_the_depth_limit_is_refused():
    value: list = []
    for _ in range(plain_data.MAX_DEPTH + 5):
        value = [value]
    _, problems = plain_data.read(plain_data.fetch({"x": value}, ["x"]), ["x"])
    assert "deep" in problems["x"]


@pytest.mark.parametrize("text", [
    "not json", "[]", '{"x": 5}', '{"x": {"value": {"list": 5}}}',
    '{"x": {"value": {"set": [{"list": []}]}}}', '{"x": {"value": {"eval": ["1"]}}}',
    '{"x": {"value": ' + "[" * 5000 + "]" * 5000 + "}}",
])
def test_what_a_hostile_kernel_sends_is_checked(text):
    """Is a forged or malformed reply from the student's kernel refused, never decoded?"""
    values, problems = plain_data.read(text, ["x"])
    assert values == {} and set(problems) == {"x"}


def test_a_missing_answer_is_left_unbound():
    """Does a name the notebook never defined meet the test as a NameError, as before?"""
    assert plain_data.read(plain_data.fetch({}, ["x"]), ["x"]) == ({}, {})


# --- the evaluator ----------------------------------------------------------------------------

def test_the_evaluator_runs_tests_and_reports_failures(tmp_path):
    """Does the evaluator give a passing test its prints, a failing one an error, and stop a
    test that hangs, then keep serving?"""
    evaluator = Evaluator(tmp_path / "evaluator", timeout=3)
    try:
        ok = evaluator.run("t1", "print(sorted(x))", {"x": {"list": ["b", "a"]}})
        assert ok == [{"output_type": "stream", "name": "stdout", "text": "['a', 'b']\n"}]
        failed = evaluator.run("t2", "assert x == 1, 'wrong'", {"x": 2})
        assert failed[-1]["ename"] == "AssertionError" and failed[-1]["evalue"] == "wrong"
        assert "    assert x == 1, 'wrong'" in failed[-1]["traceback"]
        hung = evaluator.run("t3", "while True:\n    pass", {})
        assert hung[-1]["ename"] == "TestTimeout"
        assert evaluator.run("t4", "import json\nprint(json.dumps(y))", {"y": None}) == [
            {"output_type": "stream", "name": "stdout", "text": "null\n"}]
        fresh = evaluator.run("t5", "print('answer' in dir())", {})
        assert json.dumps(fresh).count("False") == 1  # nothing left over from earlier tests
    finally:
        evaluator.close()
