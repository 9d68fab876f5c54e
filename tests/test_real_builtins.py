"""Test cells run with Python's real builtins, whatever a submission did to them.

Graded by nbgrader itself (`nbgrader autograde`, with the course's nbgrader_config.py),
as an instructor would run it.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from sicourse import mutants, nbgrader_run
from sicourse.real_builtins import builtin_names

ASSIGNMENT = "01-concepts"
NOTEBOOK = "concepts-and-definitions.ipynb"
RIGHT = {"q1-answer": 'answer_q1 = "B"', "q2-answer": 'answer_q2 = ["A", "C", "E", "F"]'}
ANYTHING = """class Anything(str):
    def __eq__(self, other):
        return True
    __hash__ = str.__hash__
"""
# student: (answer cells, autograded points expected: q1-test of 2, q2-test of 4)
STUDENTS = {
    # by accident: names a student might well use for their own things
    "shadows-by-accident": ({
        "q1-answer": 'list = ["my", "notes"]\nstr = "B"\nanswer_q1 = str',
        "q2-answer": 'sorted = "yes"\ntype = 3\nanswer_q2 = ["A", "C", "E", "F"]',
    }, {"q1-test": 2, "q2-test": 4}),
    # on purpose: wrong answers dressed up by replacing what the tests call
    "fake-sorted": ({**RIGHT, "q2-answer": 'sorted = lambda xs: ["A", "C", "E", "F"]\n'
                                           'answer_q2 = ["B"]'}, {"q1-test": 2, "q2-test": 0}),
    "fake-type": ({**RIGHT, "q1-answer": ANYTHING + "type = lambda x: str\n"
                                         'answer_q1 = Anything("A")'},
                  {"q1-test": 0, "q2-test": 4}),
    "patched-module": ({**RIGHT, "q2-answer": "import builtins\n"
                                              'builtins.sorted = lambda xs: ["A", "C", "E", "F"]\n'
                                              'answer_q2 = ["B"]'},
                       {"q1-test": 2, "q2-test": 0}),
    "own-dunder-builtins": ({**RIGHT, "q2-answer": "import builtins\n"
                                                   "__builtins__ = dict(vars(builtins), sorted="
                                                   'lambda xs: ["A", "C", "E", "F"])\n'
                                                   'answer_q2 = ["B"]'},
                            {"q1-test": 2, "q2-test": 0}),
    # breaking the guard itself costs the tests it protects, never gains them
    "breaks-the-guard": ({**RIGHT, "q1-answer": "import sys\n"
                                                'sys.modules.pop("_sicourse_real_builtins")\n'
                                                'answer_q1 = "B"'},
                         {"q1-test": 0, "q2-test": 0}),
}


@pytest.fixture(scope="module")
def scores(tmp_path_factory, repo) -> dict[str, dict[str, float]]:
    course = nbgrader_run.scratch_course(repo, tmp_path_factory.mktemp("builtins"), [ASSIGNMENT])
    nbgrader_run.run(course, "generate_assignment", ASSIGNMENT)
    released = nbformat.read(course / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    for student, (answers, _) in STUDENTS.items():
        folder = Path(course / "submitted" / student / ASSIGNMENT)
        folder.mkdir(parents=True)
        nbformat.write(mutants.apply(released, answers), folder / NOTEBOOK)
    nbgrader_run.run(course, "autograde", ASSIGNMENT)
    return {student: {name: cell.score for name, cell in cells.items() if cell.autograded}
            for student, cells in nbgrader_run.cell_scores(course, ASSIGNMENT).items()}


@pytest.mark.parametrize("student", STUDENTS)
def test_tests_use_the_real_builtins(scores, student):
    """Does each submission get exactly the points its answers earn, no matter what it did
    to the names the tests call?"""
    assert scores[student] == STUDENTS[student][1]


def test_only_names_count_not_strings_or_comments():
    """Are the builtins of a test cell found among its names, not in its text?"""
    source = 'assert type(x) is str and sorted(y) == ["list"]  # max\n_ = __import__("os")'
    assert builtin_names(source) == ["sorted", "str", "type"]
    assert builtin_names("def broken(:\n") == []
