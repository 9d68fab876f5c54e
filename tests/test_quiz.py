"""The quiz widget: loading its YAML and every authoring mistake (syncing answers back is
tested in the browser: tests/browser/test_quiz_browser.py)."""

from __future__ import annotations

import textwrap

import pytest

from sicourse.widgets import ContentError, Quiz, load

GOOD = """
widget: quiz
title: T
questions:
  - id: q1
    kind: single
    prompt: Pick one
    options:
      - {id: a, text: A, correct: true, feedback: Right.}
      - {id: b, text: B, feedback: Wrong.}
  - id: q2
    kind: truefalse
    prompt: True?
    answer: false
    feedback: because
"""


def write(tmp_path, text: str):
    path = tmp_path / "quiz.yml"
    path.write_text(textwrap.dedent(text))
    return path


def test_loads_questions_and_expands_true_false(tmp_path):
    """Does a valid file give the questions, with true/false turned into two options?"""
    quiz = load(write(tmp_path, GOOD))
    assert isinstance(quiz, Quiz) and quiz.title == "T"
    assert [q["id"] for q in quiz.questions] == ["q1", "q2"]
    tf = quiz.questions[1]["options"]
    assert [(o["id"], o["correct"]) for o in tf] == [("true", False), ("false", True)]


@pytest.mark.parametrize("change, message", [
    (("correct: true, feedback: Right.", "feedback: Right."),
     "questions[1] (id 'q1'): field 'options': no option is marked correct"),
    (("text: B, feedback", "text: B, correct: true, feedback"),
     "single-choice question has 2 correct"),
    (("kind: single", "kind: essay"), "field 'kind': 'essay' is not one of"),
    (("id: q2", "id: q1"), "questions[2] (id 'q1'): field 'id': duplicate id 'q1'"),
    (("answer: false", "answer: maybe"), "field 'answer': expected true or false, got str"),
    (("prompt: Pick one", "promt: Pick one"), "field 'promt': unknown field"),
    (("title: T", "title: [T]"), "field 'title': expected text, got list"),
    (("widget: quiz", "widget: quizz"), "field 'widget': 'quizz' is not one of"),
    (("    feedback: because\n", ""), "questions[2] (id 'q2'): field 'feedback': missing"),
])
def test_authoring_mistakes_name_file_entry_and_field(tmp_path, change, message):
    """Does each kind of mistake raise one ContentError saying where and what?"""
    old, new = change
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ContentError) as err:
        load(path)
    assert str(err.value).startswith(str(path))
    assert message in str(err.value)


@pytest.mark.parametrize("text, message", [
    ("widget: quiz\nquestions: [\n", "invalid YAML"),
    ("- a list\n", "expected a mapping"),
    ("widget: quiz\ntitle: T\n", "field 'questions': missing"),
])
def test_broken_files_are_reported_not_crashed_on(tmp_path, text, message):
    """Do invalid YAML and wrong shapes give a ContentError, not a library traceback?"""
    with pytest.raises(ContentError, match=message):
        load(write(tmp_path, text))


def test_missing_file_is_named(tmp_path):
    """Does a wrong path say which file is missing?"""
    with pytest.raises(ContentError, match="nothere.yml: file not found"):
        load(tmp_path / "nothere.yml")


def test_the_front_end_module_carries_the_shared_helpers():
    """Is the quiz's ES module self-contained (helpers first, one default export)?"""
    esm = Quiz._esm if isinstance(Quiz._esm, str) else Quiz._esm.contents
    assert esm.index("function h(") < esm.index("function render(")
    assert esm.count("export default") == 1


def test_every_lesson_widget_file_loads(repo):
    """Does every widget YAML beside the lessons load without an error?"""
    files = sorted((repo / "lessons").glob("*/*.yml"))
    assert files
    for path in files:
        load(path)
