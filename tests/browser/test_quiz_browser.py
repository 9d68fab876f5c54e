"""The lesson 1 quiz in the built book, in headless Chromium with no kernel and no internet.

The questions, right answers and feedback come from the widget state saved in
the built page, so these tests follow the lesson's YAML as it changes.
"""

from __future__ import annotations

import re

import pytest
from serve import (
    assert_clean,
    assert_focus_ring,
    course_widgets,
    record_writes,
    wait_for_widgets,
    written,
)

from sicourse.widgets import Quiz

pytestmark = pytest.mark.browser

LESSON = "lessons/01-what-is-social-innovation.html"
RIGHT, WRONG, NO_ANSWER = "Correct.", "Not quite.", "No answer chosen."
MISSED = "You missed this one."
MAX_TABS = 400  # Tab presses allowed to reach the quiz from the top of the page


def score_text(score: int, total: int) -> str:
    return f"You answered {score} of {total} question{'' if total == 1 else 's'} correctly."


@pytest.fixture(scope="module")
def lesson_widgets(built_book) -> list[dict]:
    return course_widgets((built_book / LESSON).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def questions(lesson_widgets) -> list[dict]:
    quizzes = [w for w in lesson_widgets if w["_anywidget_id"].endswith(".Quiz")]
    assert quizzes, f"{LESSON} shows no quiz"
    return quizzes[0]["questions"]


@pytest.fixture
def quiz(open_page, lesson_widgets, page_log):
    """The first quiz on the lesson page, once every course widget on the page has rendered."""
    page = open_page(LESSON)
    wait_for_widgets(page, len(lesson_widgets), page_log)
    return page.locator(".sic-quiz").first


def question_block(quiz, q: dict):
    return quiz.locator(f"fieldset[data-question='{q['id']}']")


def option_row(quiz, q: dict, option: dict):
    return question_block(quiz, q).locator(".sic-option").filter(
        has=quiz.page.locator(f"input[value='{option['id']}']"))


def correct_ids(q: dict) -> list[str]:
    return [o["id"] for o in q["options"] if o["correct"]]


def focus_state(page) -> dict:
    """The focused element: which input or button, and whether its focus ring shows."""
    return page.evaluate("""() => {
        const el = document.activeElement, cs = getComputedStyle(el);
        return {tag: el.tagName.toLowerCase(), type: el.type || "", value: el.value || "",
                text: el.textContent.trim(), checked: !!el.checked,
                question: el.closest("fieldset")?.dataset.question || null,
                inQuiz: !!el.closest(".sic-quiz"), focusVisible: el.matches(":focus-visible"),
                outline: cs.outlineStyle, outlineWidth: parseFloat(cs.outlineWidth) || 0};
    }""")


def test_quiz_renders_from_saved_state_with_no_kernel(quiz, questions, page_log):
    """Does the quiz show every question and option from the saved state, offline, kernel-free?"""
    blocks = quiz.locator("fieldset.sic-question")
    assert blocks.count() == len(questions)
    for q in questions:
        block = question_block(quiz, q)
        assert q["prompt"] in block.locator("legend").inner_text()
        labels = block.locator(".sic-option label").all_inner_texts()
        assert labels == [o["text"] for o in q["options"]]
        expected_type = "checkbox" if q["kind"] == "multiple" else "radio"
        for box in block.locator("input").all():
            assert box.get_attribute("type") == expected_type
            assert not box.is_checked()
        assert block.locator(".sic-feedback:visible").count() == 0
    assert quiz.get_by_role("button", name="Check answers").is_visible()
    assert quiz.get_by_role("button", name="Try again").is_visible()
    # The course's renderer mounted it from the saved state: no kernel, no widget manager.
    assert quiz.page.evaluate("document.documentElement.dataset.sicourseWidgets") == "rendered"
    assert not [u for u in page_log.served if "html-manager" in u or "anywidget@" in u]
    assert_clean(page_log)


def test_mouse_right_and_wrong_answers_get_feedback_and_a_score(quiz, questions, page_log):
    """Clicking options and "Check answers": do right and wrong feedback and the score show,
    and does the model hold the answers, score and checked flag under the Python traits?"""
    record_writes(quiz)
    plan = {}  # question id -> option ids to click; even questions right, odd ones wrong
    for index, q in enumerate(questions):
        wrong = [o["id"] for o in q["options"] if not o["correct"]]
        plan[q["id"]] = correct_ids(q) if index % 2 == 0 or not wrong else wrong[:1]
    for q in questions:
        for option in q["options"]:
            if option["id"] in plan[q["id"]]:
                option_row(quiz, q, option).locator("label").click()
                assert option_row(quiz, q, option).locator("input").is_checked()
    quiz.get_by_role("button", name="Check answers").click()

    score = 0
    for q in questions:
        block, chosen = question_block(quiz, q), plan[q["id"]]
        right = sorted(chosen) == sorted(correct_ids(q))
        score += right
        assert block.locator(".sic-verdict").inner_text() == (RIGHT if right else WRONG)
        for option in q["options"]:
            feedback = option_row(quiz, q, option).locator(".sic-feedback")
            picked = option["id"] in chosen
            missed = q["kind"] == "multiple" and option["correct"] and not picked
            if picked:
                assert feedback.is_visible() and feedback.inner_text() == option["feedback"]
            elif missed:
                assert feedback.is_visible()
                assert feedback.inner_text() == f"{MISSED} {option['feedback']}"
            else:
                assert not feedback.is_visible()
    assert 0 < score < len(questions), "the plan should mix right and wrong answers"
    assert quiz.locator(".sic-status").inner_text() == score_text(score, len(questions))
    # What a lesson reads in Python: the kernel applies the front end's update with set_state.
    values = written(quiz)
    declared = set(Quiz.class_trait_names(sync=True))
    assert {"answers", "score", "checked"} <= set(values) <= declared, values
    assert {k: sorted(v) for k, v in values["answers"].items()} == \
        {k: sorted(v) for k, v in plan.items()}
    assert (values["score"], values["checked"]) == (score, True)
    python = Quiz(questions=questions)  # the score is recomputed in Python: the page's
    python.set_state(values)
    assert (python.answers, python.score, python.checked) == \
        (values["answers"], score, True)
    assert_clean(page_log)


def test_unanswered_questions_say_so(quiz, questions, page_log):
    """Checking with nothing chosen: does every question say no answer was chosen, score 0?"""
    quiz.get_by_role("button", name="Check answers").click()
    for q in questions:
        assert question_block(quiz, q).locator(".sic-verdict").inner_text() == NO_ANSWER
    assert quiz.locator(".sic-status").inner_text() == score_text(0, len(questions))
    assert_clean(page_log)


def test_try_again_clears_answers_and_feedback(quiz, questions, page_log):
    """After checking, does "Try again" untick everything, hide feedback and refocus the quiz?"""
    for q in questions:
        option = q["options"][0]
        option_row(quiz, q, option).locator("input").click()
    quiz.get_by_role("button", name="Check answers").click()
    assert quiz.locator(".sic-feedback:visible").count() > 0

    quiz.get_by_role("button", name="Try again").click()
    assert quiz.locator("input:checked").count() == 0
    assert quiz.locator(".sic-feedback:visible").count() == 0
    assert quiz.locator(".sic-verdict").all_inner_texts() == [""] * len(questions)
    assert re.match(r"Answers cleared", quiz.locator(".sic-status").inner_text())
    state = focus_state(quiz.page)
    assert state["question"] == questions[0]["id"]
    assert state["value"] == questions[0]["options"][0]["id"]
    # Checking again after clearing scores an empty quiz, not the old answers.
    quiz.get_by_role("button", name="Check answers").click()
    assert quiz.locator(".sic-status").inner_text() == score_text(0, len(questions))
    assert_clean(page_log)


def test_keyboard_alone_answers_checks_and_retries(quiz, questions, page_log):
    """With Tab, Space, arrow keys and Enter only: can a learner answer, check and retry?"""
    page = quiz.page
    keys = page.keyboard
    for _ in range(MAX_TABS):
        keys.press("Tab")
        if focus_state(page)["inQuiz"]:
            break
    state = focus_state(page)
    assert state["question"] == questions[0]["id"], f"Tab did not reach the quiz: {state}"

    for q in questions:
        ids = [o["id"] for o in q["options"]]
        state = focus_state(page)
        assert (state["question"], state["value"]) == (q["id"], ids[0]), state
        assert_focus_ring(state)
        if q["kind"] == "multiple":
            for index, option in enumerate(q["options"]):
                if index:
                    keys.press("Tab")
                state = focus_state(page)
                assert (state["question"], state["value"]) == (q["id"], option["id"]), state
                assert_focus_ring(state)
                if option["correct"]:
                    keys.press("Space")
                    assert focus_state(page)["checked"]
        else:
            target = ids.index(correct_ids(q)[0])
            if target == 0:
                keys.press("Space")
            for _ in range(target):
                keys.press("ArrowDown")
            state = focus_state(page)
            assert (state["value"], state["checked"]) == (ids[target], True), state
            assert_focus_ring(state)
        keys.press("Tab")

    state = focus_state(page)
    assert (state["tag"], state["text"]) == ("button", "Check answers"), state
    assert_focus_ring(state)
    keys.press("Enter")
    assert quiz.locator(".sic-verdict").all_inner_texts() == [RIGHT] * len(questions)
    assert quiz.locator(".sic-status").inner_text() == score_text(len(questions), len(questions))

    keys.press("Tab")
    state = focus_state(page)
    assert (state["tag"], state["text"]) == ("button", "Try again"), state
    assert_focus_ring(state)
    keys.press("Space")
    assert quiz.locator("input:checked").count() == 0
    assert quiz.locator(".sic-feedback:visible").count() == 0
    state = focus_state(page)
    assert (state["question"], state["value"]) == (questions[0]["id"],
                                                   questions[0]["options"][0]["id"])
    assert_clean(page_log)


def test_lesson_page_logs_no_errors_and_stays_on_localhost(quiz, page_log):
    """Once the page and its widgets have loaded: no console error, no request off localhost?"""
    quiz.page.wait_for_load_state("networkidle")
    assert page_log.console_errors == []
    assert page_log.page_errors == []
    assert page_log.blocked == []
    assert page_log.missing == []
    # The quiz needs no widget script from a CDN (MathJax and the like may still come).
    assert not [u for u in page_log.served if "html-manager" in u or "require" in u]
