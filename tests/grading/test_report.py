"""`sicourse report`: grades CSV and an accessible, self-contained HTML report."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from nbgrader.api import Gradebook

from sicourse.commands.report import report
from sicourse.course import Course
from sicourse.grading import mutants, nbgrader_run

ASSIGNMENT = "01-concepts"
NOTEBOOK = "concepts-and-definitions.ipynb"
FLAGS = {
    "wrong": ["cell q1-answer timed out after 30 s", "changed the metadata of q2-test"],
    "ghost": ["not graded: the notebook is not valid JSON"],
    "half": ["<script>alert('x')</script>"],
    "lost": [{"code": "kernel-died", "detail": "in cell q2-answer"}],  # the engine's own form
}


@pytest.fixture(scope="module")
def graded_sqlite(tmp_path_factory, repo) -> Path:
    """Four students graded by stock nbgrader, one written answer marked by hand, and flags."""
    course = nbgrader_run.scratch_course(repo, tmp_path_factory.mktemp("graded"), [ASSIGNMENT])
    nbgrader_run.run(course, "generate_assignment", ASSIGNMENT)
    released = nbformat.read(course / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    submissions = {
        "key": nbformat.read(course / "exercises" / ASSIGNMENT / NOTEBOOK, as_version=4),
        "blank": released,
        "wrong": mutants.apply(released, {
            "q1-answer": 'answer_q1 = "D"', "q2-answer": 'answer_q2 = ["A", "B", "C", "D"]',
        }),
        "half": mutants.apply(released, {
            "q1-answer": 'answer_q1 = "B"', "q2-answer": 'answer_q2 = ["A", "B"]',
            "q3-answer": "The library's language café is a social innovation because ...",
        }),
    }
    for student, nb in submissions.items():
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / NOTEBOOK)
    nbgrader_run.run(course, "autograde", ASSIGNMENT)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        grade = gb.find_grade("q3-answer", NOTEBOOK[:-6], ASSIGNMENT, "half")
        grade.manual_score = 3
        grade.needs_manual_grade = False
        gb.db.commit()
    (course / "autograded" / f"{ASSIGNMENT}.flags.json").write_text(json.dumps(FLAGS))
    return course


@pytest.fixture(scope="module", params=["sqlite",
                                        pytest.param("postgres", marks=pytest.mark.postgres)])
def graded(request, graded_sqlite, tmp_path_factory) -> Path:
    """The graded course, with its SQLite gradebook, then with the same in PostgreSQL."""
    if request.param == "sqlite":
        return graded_sqlite
    course = Path(shutil.copytree(graded_sqlite, tmp_path_factory.mktemp("pg") / "course"))
    request.getfixturevalue("to_postgres")(course)
    return course


@pytest.fixture(scope="module")
def reported(graded, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    result = CliRunner().invoke(
        report, [ASSIGNMENT, "--root", str(graded), "--output", str(out)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    html = (out / f"{ASSIGNMENT}-report.html").read_text(encoding="utf-8")
    return out, BeautifulSoup(html, "html.parser"), html


def gradebook(course: Path) -> tuple[dict[str, float], dict[str, dict[str, float | None]]]:
    """Totals and per-item scores (None: awaiting a manual grade), straight from nbgrader."""
    totals, items = {}, {}
    with Gradebook(Course.at(course).gradebook_url) as gb:
        for sub in gb.find_assignment(ASSIGNMENT).submissions:
            totals[sub.student_id] = sub.score
            items[sub.student_id] = {
                g.name: None if g.needs_manual_grade else g.score
                for nb in sub.notebooks for g in nb.grades
            }
    return totals, items


def table(soup: BeautifulSoup, caption_start: str) -> list[dict[str, str]]:
    """The rows of the table whose caption starts with the text, keyed by column header."""
    found = next(t for t in soup.find_all("table") if t.caption.text.startswith(caption_start))
    heads = [th.get_text() for th in found.thead.find_all("th")]
    return [dict(zip(heads, [c.get_text() for c in tr.find_all(["th", "td"])], strict=True))
            for tr in found.tbody.find_all("tr")]


def number(text: str) -> float | None:
    return None if text == "—" else float(text.rstrip("%"))


@pytest.mark.nbgrader
def test_totals_match_the_gradebook(reported, graded):
    """Does the report show each student's total exactly as the gradebook has it?"""
    _, soup, _ = reported
    totals, items = gradebook(graded)
    assert totals == {"key": 10, "blank": 0, "wrong": 0, "half": 5}
    rows = table(soup, "Scores of every submission")
    assert {r["Student"]: number(r["Total"]) for r in rows} == totals
    for r in rows:
        for item, score in items[r["Student"]].items():
            assert number(r[item]) == score, (r["Student"], item)
    summary = {r["Statistic"]: number(r["Points"]) for r in table(soup, "Summary of total scores")}
    assert summary == {"Submissions": 4, "Lowest": 0, "Median": 2.5, "Mean": 3.75,
                       "Highest": 10, "Out of": 14}


@pytest.mark.nbgrader
def test_item_means_match_the_gradebook_hardest_first(reported, graded):
    """Are per-item means (as points and % of points) right, and the hardest item first?"""
    _, soup, _ = reported
    _, items = gradebook(graded)
    rows = table(soup, "Mean score per item")
    assert [r["Item"] for r in rows] == ["q2-test", "q3-answer", "q4-test", "q5-test", "q1-test"]
    for r in rows:
        scores = [s[r["Item"]] for s in items.values() if s[r["Item"]] is not None]
        mean = sum(scores) / len(scores)
        assert number(r["Mean score"]) == pytest.approx(mean, abs=0.01)
        assert number(r["Mean, % of points"]) == round(100 * mean / number(r["Points"]))
        assert int(r["Graded"]) == len(scores)
    q3 = next(r for r in rows if r["Item"] == "q3-answer")
    assert (q3["Kind"], q3["Graded"], q3["Awaiting"]) == ("manual", "3", "1")
    percents = [number(r["Mean, % of points"]) for r in rows]
    assert percents == sorted(percents) == [25, 25, 25, 25, 50]


@pytest.mark.nbgrader
def test_flagged_students_are_listed_with_reasons(reported):
    """Does the report list every flagged student, with reasons, escaped, even if ungraded?"""
    _, soup, html = reported
    rows = table(soup, "Submissions flagged")
    assert [r["Student"] for r in rows] == ["ghost", "half", "lost", "wrong"]
    by_student = {r["Student"]: r for r in rows}
    assert by_student["ghost"]["Total"] == "no grade"
    assert by_student["lost"]["Reasons"].endswith(": in cell q2-answer")
    assert by_student["wrong"]["Reasons"] == "".join(FLAGS["wrong"])
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert {r["Student"]: r["Flagged"] for r in table(soup, "Scores of every submission")} == {
        "blank": "no", "half": "yes", "key": "no", "wrong": "yes",
    }


@pytest.mark.nbgrader
def test_the_report_is_self_contained_and_accessible(reported):
    """One file: language, title, described plots, tables with headers and captions?"""
    _, soup, _ = reported
    assert soup.html["lang"] == "en"
    assert soup.title.get_text() == f"Grading report: {ASSIGNMENT}"
    assert soup.find("main") and soup.find("h1")
    images = soup.find_all("img")
    assert len(images) == 2
    for img in images:
        assert img["src"].startswith("data:image/png;base64,")
    histogram, items = (img["alt"] for img in images)
    assert histogram.startswith("Histogram of total scores") and "median 2.5" in histogram
    assert "q2-test: 25%; q3-answer: 25%; q4-test: 25%; q5-test: 25%; q1-test: 50%" in items
    for tag in soup.find_all(["script", "link", "iframe"]):
        pytest.fail(f"external or active content: {tag}")
    for t in soup.find_all("table"):
        assert t.caption and t.caption.get_text().strip()
        assert all(th.get("scope") in ("col", "row") for th in t.find_all("th"))


@pytest.mark.nbgrader
def test_the_csv_has_totals_items_and_flags(reported, graded):
    """Does the grades CSV hold each submission's total, item scores and flags?"""
    out, _, _ = reported
    with open(out / f"{ASSIGNMENT}-grades.csv", newline="", encoding="utf-8") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    totals, _ = gradebook(graded)
    assert {s: float(r["score"]) for s, r in rows.items()} == totals
    assert rows["half"]["q3-answer"] == "3" and rows["key"]["q3-answer"] == ""
    assert rows["key"]["needs_manual_grade"] == "yes"
    assert rows["wrong"]["flags"] == "; ".join(FLAGS["wrong"])
    assert rows["half"]["max_score"] == "14"


@pytest.mark.nbgrader
def test_bad_input_names_the_file(graded, tmp_path, request):
    """Do a missing gradebook, an unknown assignment and a broken flags file give clear errors?"""
    course = Path(shutil.copytree(graded, tmp_path / "course"))
    runner = CliRunner()

    def run(*args):
        return runner.invoke(report, [*args, "--root", str(course), "--output", str(tmp_path)])

    result = run("99-none")
    assert result.exit_code == 1 and "no assignment '99-none' in the gradebook" in result.stderr
    flags = course / "autograded" / f"{ASSIGNMENT}.flags.json"
    flags.write_text("{not json")
    result = run(ASSIGNMENT)
    assert result.exit_code == 1
    assert f"{flags}: not valid JSON" in result.stderr
    flags.write_text('{"alice": 3}')
    result = run(ASSIGNMENT)
    assert result.exit_code == 1 and "student 'alice': expected a list" in result.stderr
    if Course.at(course).gradebook_path is None:  # the copy shares the module's database
        empty = request.getfixturevalue("postgres_url")  # a database without a gradebook
        with (course / "nbgrader_config.py").open("a", encoding="utf-8") as config:
            config.write(f'\nc.CourseDirectory.db_url = "{empty}"\n')
    else:
        (course / "gradebook.db").unlink()
    result = run(ASSIGNMENT)
    assert result.exit_code == 1 and "no gradebook at " in result.stderr
    assert f"(db_url in {course / 'nbgrader_config.py'})" in result.stderr
    assert f"nbgrader generate_assignment {ASSIGNMENT}`" in result.stderr


def test_every_option_has_help():
    """Does every option carry help text?"""
    assert all(p.help for p in report.params if p.param_type_name == "option")
