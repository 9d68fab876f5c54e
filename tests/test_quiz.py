"""The quiz widget: loading its YAML, every authoring mistake, and the score in Python
(syncing answers back is tested in the browser: tests/browser/test_quiz_browser.py)."""

from __future__ import annotations

import textwrap

import pytest

from sicourse.widgets import ContentError, Quiz, load
from sicourse.widgets.quiz import score_of

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


# --- the score, in Python (tests/browser/test_scores_agree_browser.py: the same as the page's)

def option(ident: str, correct: bool = False) -> dict:
    return {"id": ident, "text": ident, "correct": correct, "feedback": ""}


QUESTIONS = [
    {"id": "q1", "kind": "single", "prompt": "?", "options": [option("a", True), option("b")]},
    {"id": "q2", "kind": "multiple", "prompt": "?",
     "options": [option("a", True), option("b", True), option("c")]},
    {"id": "q3", "kind": "truefalse", "prompt": "?",
     "options": [option("true"), option("false", True)]},
]


@pytest.mark.parametrize(("answers", "score"), [
    ({}, 0),                                            # nothing answered
    ({"q1": []}, 0),                                    # a question left blank
    ({"q1": ["a"]}, 1),
    ({"q1": ["b"]}, 0),
    ({"q2": ["a"]}, 0),                                 # partly right earns nothing
    ({"q2": ["a", "b"]}, 1),
    ({"q2": ["b", "a"]}, 1),                            # in any order
    ({"q2": ["a", "b", "c"]}, 0),                       # the right ones and a wrong one
    ({"q2": ["a", "a"]}, 0),                            # one right option twice is not both
    ({"q1": ["zz"], "q2": ["zz", "yy"]}, 0),            # ids no option has
    ({"q3": ["false"]}, 1),
    ({"q3": ["true"]}, 0),
    ({"q9": ["a"]}, 0),                                 # a question the quiz does not have
    ({"q1": ["a"], "q2": ["a"], "q3": ["false"]}, 2),
    ({"q1": ["a"], "q2": ["b", "a"], "q3": ["false"]}, 3),
])
def test_score_counts_questions_answered_exactly_right(answers, score):
    """Does a question count only when the options chosen are exactly its correct ones?"""
    assert score_of(QUESTIONS, answers) == score


def test_answers_set_in_python_give_the_score_at_once():
    """Setting answers from Python (or the page sending them): does the score follow, while
    checked (whether the page shows its verdicts) stays the page's to set?"""
    quiz = Quiz(questions=QUESTIONS)
    assert (quiz.score, quiz.checked) == (0, False)
    quiz.answers = {"q1": ["a"], "q3": ["false"]}
    assert (quiz.score, quiz.checked) == (2, False)
    quiz.answers = {**quiz.answers, "q2": ["a", "b"]}
    assert quiz.score == 3
    quiz.questions = QUESTIONS[:1]
    assert quiz.score == 1
    # What the kernel does with the page's update after "Check answers", and after "Try again".
    page = Quiz(questions=QUESTIONS)
    page.set_state({"answers": {"q2": ["b", "a"]}, "score": 1, "checked": True})
    assert (page.score, page.checked) == (1, True)
    page.set_state({"answers": {}, "score": 0, "checked": False})
    assert (page.score, page.checked) == (0, False)


def test_a_loaded_quiz_starts_at_zero(tmp_path):
    """Does a quiz loaded from YAML start unanswered at 0, and score answers set later?"""
    quiz = load(write(tmp_path, GOOD))
    assert (quiz.answers, quiz.score) == ({}, 0)
    quiz.answers = {"q1": ["a"], "q2": ["false"]}
    assert quiz.score == 2
