"""`sicourse feedback`: nbgrader's feedback with no hidden test or solution, points kept."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from nbgrader.api import Gradebook

from sicourse.commands.feedback import feedback
from sicourse.course import Course
from sicourse.grading import feedback_check, mutants, nbgrader_run
from sicourse.grading.mark_ungraded import awaiting

ASSIGNMENT = "01-concepts"
NOTEBOOK = "concepts-and-definitions.ipynb"
PAGE = NOTEBOOK.replace(".ipynb", ".html")


@pytest.fixture(scope="module")
def graded(tmp_path_factory, repo) -> Path:
    """A course copy where four students were graded by stock `nbgrader autograde`."""
    course = nbgrader_run.scratch_course(repo, tmp_path_factory.mktemp("graded"), [ASSIGNMENT])
    nbgrader_run.run(course, "generate_assignment", ASSIGNMENT)
    released = nbformat.read(course / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    key = nbformat.read(course / "exercises" / ASSIGNMENT / NOTEBOOK, as_version=4)
    submissions = {
        "key": key,
        "blank": released,
        "wrong": mutants.apply(released, {
            "q1-answer": 'answer_q1 = "D"', "q2-answer": 'answer_q2 = ["A", "B", "C", "D"]',
        }),
        "half": mutants.apply(released, {
            "q1-answer": 'answer_q1 = "B"', "q2-answer": 'answer_q2 = ["A", "B"]',
        }),
    }
    for student, nb in submissions.items():
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / NOTEBOOK)
    nbgrader_run.run(course, "autograde", ASSIGNMENT)
    return course


@pytest.fixture(scope="module", params=["sqlite",
                                        pytest.param("postgres", marks=pytest.mark.postgres)])
def copy_of(request):
    """``copy_of(course, folder)``: a copy of the course with a gradebook of its own, an
    SQLite file, then a PostgreSQL database."""
    to_postgres = request.getfixturevalue("to_postgres") if request.param == "postgres" else None

    def copy(course: Path, tmp_path: Path) -> Path:
        copied = Path(shutil.copytree(course, tmp_path / "course"))
        if to_postgres is not None:
            to_postgres(copied)
        return copied
    return copy


def run(course: Path, *args: str):
    return CliRunner().invoke(feedback, [ASSIGNMENT, "--root", str(course), *args],
                              catch_exceptions=False)


@pytest.fixture(scope="module")
def fed(graded, copy_of, tmp_path_factory):
    """The graded course after `sicourse feedback`, and the command's result."""
    course = copy_of(graded, tmp_path_factory.mktemp("fed"))
    return course, run(course, "--allow-ungraded")


@pytest.fixture(scope="module")
def secrets(repo) -> dict[str, Path]:
    """The answer key of this assignment (another assignment's key may hold a line that is
    a plausible wrong answer here, such as `answer_q1 = "D"`)."""
    return feedback_check.assignment_secrets(Course.at(repo), ASSIGNMENT)


def page(course: Path, student: str) -> str:
    return (course / "feedback" / student / ASSIGNMENT / PAGE).read_text(encoding="utf-8")


def shown(files: list[Path], lines) -> set[str]:
    """The lines a reader of these files sees (pages are syntax-highlighted, token by token)."""
    text = " ".join(
        BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser").get_text()
        if p.suffix == ".html" else p.read_text(encoding="utf-8", errors="replace")
        for p in files
    )
    text = " ".join(text.split())
    return {line for line in lines if " ".join(line.split()) in text}


def scores(html: str) -> dict[str, tuple[float, float]]:
    """{grade id: (score, points)} from the score summary at the top of a feedback page."""
    found = re.findall(r'href="#([\w-]+)">[^<]*</a> \(Score: ([\d.]+) / ([\d.]+)\)', html)
    return {gid: (float(s), float(m)) for gid, s, m in found}


@pytest.mark.nbgrader
def test_feedback_is_written_for_every_student(fed):
    """Does every graded student get a feedback page, and does the command succeed?"""
    course, result = fed
    assert result.exit_code == 0, result.output
    pages = sorted(p.parts[-3] for p in (course / "feedback").glob(f"*/{ASSIGNMENT}/*.html"))
    assert pages == ["blank", "half", "key", "wrong"]
    assert "feedback for 4 student(s)" in result.stdout
    assert "0 file(s) withheld" in result.stdout
    assert "warning" not in result.stderr  # every page shows every graded cell's points
    assert not list(course.glob(".feedback-staging-*")), "the staging folder was left behind"


@pytest.mark.nbgrader
def test_feedback_has_no_hidden_test_and_no_solution(fed, secrets):
    """Is no hidden test shown to anyone, and no solution to a student who did not write it?"""
    course, _ = fed
    hidden = [line for line in secrets if line.startswith("assert")]
    assert hidden
    every_file = [p for p in (course / "feedback").rglob("*") if p.is_file()]
    assert shown(every_file, hidden) == set()
    for student in ("blank", "wrong", "half"):
        files = [p for p in (course / "feedback" / student).rglob("*") if p.is_file()]
        found = shown(files, secrets)
        if student == "half":  # wrote the right answer to question 1 themselves
            found.discard('answer_q1 = "B"')
        assert found == set(), student


@pytest.mark.nbgrader
def test_instructor_only_files_are_not_in_feedback(fed):
    """Is mutants.yml (in exercises/ beside the key) absent from every folder students get?"""
    course, _ = fed
    assert (course / "exercises" / ASSIGNMENT / "mutants.yml").exists()
    for folder in ("release", "autograded", "feedback"):
        assert not list((course / folder).rglob("mutants.yml")), folder


@pytest.mark.nbgrader
def test_each_test_cell_keeps_its_points_and_pass_or_fail(fed):
    """Does each page show every graded cell's points, and whether its hidden tests passed?"""
    course, _ = fed
    assert scores(page(course, "key")) == {
        "q1-test": (2, 2), "q2-test": (4, 4), "q3-answer": (0, 4), "q4-test": (2, 2),
        "q5-test": (2, 2),
    }
    assert scores(page(course, "half"))["q1-test"] == (2, 2)
    assert scores(page(course, "half"))["q2-test"] == (0, 4)
    assert scores(page(course, "wrong"))["q1-test"] == (0, 2)
    assert "Hidden tests for this answer ran" in page(course, "key")
    assert "did not pass" in page(course, "wrong")
    assert "did not pass" not in page(course, "key")


@pytest.mark.nbgrader
def test_a_leaking_configuration_is_caught(graded, copy_of, tmp_path, secrets):
    """With HideHiddenTests taken out of the config, are leaking pages deleted and reported?"""
    course = copy_of(graded, tmp_path)
    config = course / "nbgrader_config.py"
    text = config.read_text()
    assert '"sicourse.grading.hide_hidden_tests.HideHiddenTests",\n' in text
    config.write_text(text.replace('"sicourse.grading.hide_hidden_tests.HideHiddenTests",\n', ""))

    result = run(course, "--allow-ungraded")
    assert result.exit_code == 1
    for student in ("blank", "wrong", "half"):
        assert f"LEAK feedback/{student}/{ASSIGNMENT}/{PAGE}: shows" in result.stderr
        assert not (course / "feedback" / student / ASSIGNMENT / PAGE).exists()
    assert "the file was deleted" in result.stderr
    # The key's author wrote every hidden test themselves: nothing new to them.
    key_page = course / "feedback" / "key" / ASSIGNMENT / PAGE
    assert shown([key_page], [s for s in secrets if s.startswith("assert")])  # really there
    remaining = [p for p in (course / "feedback").rglob("*") if p.is_file()
                 and "key" not in p.parts]
    assert shown(remaining, secrets) == set()


@pytest.mark.nbgrader
def test_only_the_named_students(graded, copy_of, tmp_path):
    """With --student, is feedback written for those students only?"""
    course = copy_of(graded, tmp_path)
    result = run(course, "--student", "wrong", "--student", "half")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (course / "feedback").iterdir()) == ["half", "wrong"]


@pytest.mark.nbgrader
def test_bad_input_is_reported(graded, copy_of, tmp_path):
    """Do an unknown student, an unknown assignment and an ungraded course give clear errors?"""
    course = copy_of(graded, tmp_path)
    result = run(course, "--student", "nobody")
    assert result.exit_code == 1
    assert "no autograded submission for student 'nobody'" in result.stderr
    result = CliRunner().invoke(feedback, ["99-none", "--root", str(course)])
    assert result.exit_code == 1 and "no assignment 99-none in" in result.stderr
    shutil.rmtree(course / "autograded")
    result = run(course)
    assert result.exit_code == 1 and "nothing autograded for 01-concepts" in result.stderr


def test_every_option_has_help():
    """Does every option carry help text?"""
    assert all(p.help for p in feedback.params if p.param_type_name == "option")


def test_a_page_without_a_cells_points_is_noticed(tmp_path):
    """Would a page that lost a graded cell's points (or showed the key) be caught?"""
    folder = tmp_path / "feedback" / "alice" / ASSIGNMENT
    folder.mkdir(parents=True)
    (folder / PAGE).write_text(
        '<li><a href="#q1-test">Test cell</a> (Score: 2.0 / 2.0)</li>\n'
        '<pre><span class="k">assert</span> <span class="n">x</span> == '
        '<span class="s2">&quot;B&quot;</span></pre>'
    )
    secrets = {'assert x == "B"': Path("key.ipynb")}
    graded = {PAGE[:-5]: ["q1-test", "q2-test"]}
    check = feedback_check.check_student(
        folder, "alice", tmp_path / "none", secrets, set(), graded
    )
    assert check.leaks == {folder / PAGE: [('assert x == "B"', Path("key.ipynb"))]}
    (folder / PAGE).write_text('<li><a href="#q1-test">Test cell</a> (Score: 2.0 / 2.0)</li>')
    check = feedback_check.check_student(
        folder, "alice", tmp_path / "none", secrets, set(), graded
    )
    assert check.missing_scores == {folder / PAGE: ["q2-test"]}


@pytest.mark.nbgrader
def test_feedback_with_answers_awaiting_grading_is_refused(graded, copy_of, tmp_path):
    """Before the essays are hand-graded, is feedback refused, naming what awaits grading,
    with nothing written?"""
    course = copy_of(graded, tmp_path)
    result = run(course)
    assert result.exit_code == 1
    assert "still await hand-grading" in result.stderr and "--allow-ungraded" in result.stderr
    with Gradebook(Course.at(course).gradebook_url) as gb:
        first = awaiting(gb, ASSIGNMENT, "key")[0][1]  # the key's essay, not yet graded
    assert f"key: {first}" in result.stderr
    assert not (course / "feedback").exists()


@pytest.mark.nbgrader
def test_provisional_feedback_says_which_answers_are_not_graded_yet(fed):
    """With --allow-ungraded, does each ungraded answer say so, and the total say it is
    provisional, while graded items do not?"""
    course, result = fed
    assert result.exit_code == 0, result.output
    page = (course / "feedback" / "key" / ASSIGNMENT / PAGE).read_text(encoding="utf-8")
    with Gradebook(Course.at(course).gradebook_url) as gb:
        pending = awaiting(gb, ASSIGNMENT, "key")
    assert pending
    blank = (course / "feedback" / "blank" / ASSIGNMENT / PAGE).read_text(encoding="utf-8")
    assert "Provisional total" not in blank  # an unanswered essay scores 0 with no grader
    assert "Provisional total" in page
    assert page.count("Not graded yet") == len(pending)
    for _, grade_id, _ in pending:  # each notice comes right after its answer
        after = page[page.index(f'name="{grade_id}"'):]
        assert after.index("Not graded yet") < min(
            (after.index(f'name="{other}"') for _, other, _ in pending if other != grade_id
             and f'name="{other}"' in after), default=len(after))


@pytest.mark.nbgrader
def test_once_hand_graded_feedback_is_final(graded, copy_of, tmp_path):
    """After every answer is hand-graded (through nbgrader's API, as Formgrader does), is
    feedback released without the flag, with no provisional notice?"""
    course = copy_of(graded, tmp_path)
    with Gradebook(Course.at(course).gradebook_url) as gb:
        for student in ("key", "blank", "wrong", "half"):
            for notebook, grade_id, points in awaiting(gb, ASSIGNMENT, student):
                grade = gb.find_grade(grade_id, notebook, ASSIGNMENT, student)
                grade.manual_score = points / 2  # what Formgrader saves
                grade.needs_manual_grade = False
        gb.db.commit()
    result = run(course)
    assert result.exit_code == 0, result.output
    page = (course / "feedback" / "key" / ASSIGNMENT / PAGE).read_text(encoding="utf-8")
    assert "Provisional total" not in page and "Not graded yet" not in page
    # The one grades file was rewritten from the gradebook: the manual grades are in it.
    with open(course / "reports" / f"{ASSIGNMENT}-grades.csv", encoding="utf-8") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    assert {row["needs_manual_grade"] for row in rows.values()} == {"no"}
    with Gradebook(Course.at(course).gradebook_url) as gb:
        assert float(rows["key"]["score"]) == gb.find_submission(ASSIGNMENT, "key").score
