"""Quiz: single-choice, select-all-that-apply and true/false questions.

YAML schema (``widget: quiz``)::

    widget: quiz
    title: Check your understanding        # optional
    prompt: Choose the best answer.        # optional
    questions:
      - id: q1
        kind: single                       # single | multiple | truefalse
        prompt: Which ...?
        options:                           # single and multiple
          - id: a
            text: ...
            correct: true                  # optional, default false
            feedback: Why this is (not) right.
      - id: q2
        kind: truefalse
        prompt: A statement ...
        answer: false
        feedback: Why.

A ``single`` question has exactly one correct option, a ``multiple`` one at
least one. Each option's feedback is shown when the learner checks.

A question is answered right when the options chosen are exactly its correct
ones; the score is the number of questions answered right (``score_of``, the
same rule as ``isRight`` in ``static/widgets/quiz.js``).
"""

from __future__ import annotations

import traitlets

from sicourse.widgets.base import CourseWidget, bundle
from sicourse.widgets.content import Fields

KINDS = ("single", "multiple", "truefalse")


def _question(q: Fields) -> dict:
    kind = q.text("kind")
    if kind not in KINDS:
        raise q.error("kind", f"'{kind}' is not one of {', '.join(KINDS)}")
    if kind == "truefalse":
        q.only("id", "kind", "prompt", "answer", "feedback")
        answer, feedback = q.flag("answer"), q.text("feedback")
        options = [
            {"id": "true", "text": "True", "correct": answer, "feedback": feedback},
            {"id": "false", "text": "False", "correct": not answer, "feedback": feedback},
        ]
    else:
        q.only("id", "kind", "prompt", "options")
        options = []
        for option in q.entries("options", minimum=2):
            option.only("id", "text", "correct", "feedback")
            options.append({
                "id": option.ident(),
                "text": option.text("text"),
                "correct": option.flag("correct", default=False),
                "feedback": option.text("feedback"),
            })
        correct = sum(o["correct"] for o in options)
        if correct == 0:
            raise q.error("options", "no option is marked correct: true")
        if kind == "single" and correct > 1:
            raise q.error("options", f"a single-choice question has {correct} correct options")
    return {"id": q.ident(), "kind": kind, "prompt": q.text("prompt"), "options": options}


def is_right(question: dict, chosen: list[str]) -> bool:
    """Whether the option ids chosen are exactly the question's correct ones."""
    correct = [o["id"] for o in question["options"] if o["correct"]]
    return len(chosen) == len(correct) and all(i in chosen for i in correct)


def score_of(questions: list[dict], answers: dict) -> int:
    """The questions answered right; ``answers`` is {question id: [chosen option ids]}."""
    return sum(is_right(q, answers.get(q["id"]) or []) for q in questions)


class Quiz(CourseWidget):
    """Questions with feedback per option, a score and a retry."""

    kind = "quiz"
    _esm = bundle("quiz.js")
    questions = traitlets.List(traitlets.Dict()).tag(sync=True)
    # {question id: [chosen option ids]}: written by the page on "Check answers", or
    # set in Python. The score (score_of the answers) follows them, whichever side
    # wrote them; checked says whether the page shows its verdicts (only the page sets it).
    answers = traitlets.Dict().tag(sync=True)
    score = traitlets.Int(0).tag(sync=True)
    checked = traitlets.Bool(False).tag(sync=True)

    @traitlets.observe("questions", "answers")
    def _score(self, change: dict) -> None:
        self.score = score_of(self.questions, self.answers)

    @classmethod
    def parse(cls, fields: Fields) -> dict:
        fields.only("widget", "title", "prompt", "questions")
        return {
            "title": fields.text("title", default=""),
            "prompt": fields.text("prompt", default=""),
            "questions": [_question(q) for q in fields.entries("questions")],
        }
