"""The JupyterLite site (lite/) in headless Chromium, offline: notebooks that run in the browser.

A student opens a lesson from its "Open in the browser" entry, runs it, answers its quiz and
reads the score from Python; opens an assignment, runs it, types answers, saves, reloads
and finds them, downloads the notebook, and the download is graded by `sicourse collect`
and `sicourse grade` exactly as the same answers typed in JupyterLab. Every request stays
on localhost (Pyodide and the kernel's wheels are the site's own files) and the console
shows no error.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest
import yaml
from lite_notebook import (
    KERNEL_TIMEOUT_MS,
    code_cells,
    menu,
    open_notebook,
    output_text,
    replace_source,
    run_all,
    run_cell,
    run_code,
    save,
    wait_executed,
)
from serve import LOCAL_HOSTS, WIDGET_SELECTOR, assert_clean, course_widgets, watch

sys.path.insert(0, str(Path(__file__).parents[1] / "grading"))
from released_class import ASSIGNMENT, NOTEBOOK, released_class  # noqa: E402

from sicourse.grading import nbgrader_run  # noqa: E402

pytestmark = pytest.mark.browser

LESSON = "01-what-is-social-innovation"
LESSON_NOTEBOOK = f"lessons/{LESSON}.ipynb"
ASSIGNMENT_NOTEBOOK = f"assignments/{ASSIGNMENT}/{NOTEBOOK}"
# What a student types: q1 right, q2 wrong (a list of the right form), q3 a written answer.
ANSWERS = {
    "q1-answer": 'answer_q1 = "B"',
    "q2-answer": 'answer_q2 = ["A", "B", "C", "D"]',
    "q3-answer": "Both change who decides, not only what is delivered.",
}


@pytest.fixture(autouse=True)
def patient(page):
    """Longer waits than on the book's pages: JupyterLite starts Python in the page, and
    makes the editors of cells far down a notebook when the browser is idle, which on a busy
    machine takes a while."""
    page.context.set_default_timeout(60_000)


def test_a_lesson_runs_and_its_quiz_score_is_read_from_python(page, book_server, page_log):
    """Do the lesson's cells run in Pyodide, its widgets render live, and does Python see the
    score of answers given in the page?"""
    open_notebook(page, book_server.url, LESSON_NOTEBOOK)
    run_all(page)
    page.locator(".sic-quiz").wait_for(timeout=90_000)
    assert page.locator(".sic-widget").count() == 3
    quiz = yaml.safe_load(
        (Path(__file__).parents[2] / "lessons" / LESSON / "self-check.yml").read_text())
    for question in quiz["questions"]:
        fieldset = page.locator(f'.sic-quiz fieldset[data-question="{question["id"]}"]')
        if question["kind"] == "truefalse":
            right = ["true" if question["answer"] else "false"]
        else:
            right = [o["id"] for o in question["options"] if o.get("correct")]
        for option in right:
            fieldset.locator(f'input[value="{option}"]').check()
    page.locator(".sic-quiz").get_by_role("button", name="Check answers").click()
    total = len(quiz["questions"])
    assert run_code(page, "print(quiz.score, len(quiz.questions), quiz.checked)") == (
        f"{total} {total} True")
    # answers set in Python are scored in Python
    assert run_code(page, "quiz.answers = {}\nprint(quiz.score)") == "0"
    assert_clean(page_log)


LESSONS = sorted(p.stem for p in (Path(__file__).parents[2] / "lessons").glob("*.md"))
ERRORS = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'], " \
         ".jp-RenderedText[data-mime-type='application/vnd.jupyter.error']"


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_lesson_runs_with_its_widgets(page, book_server, page_log, built_book, repo,
                                            lesson):
    """Does each lesson run in JupyterLite with no error and show the widgets its page does,
    and its figures as images, with their alt text, the Markdown they were written in
    showing no MyST?"""
    expected = len(course_widgets(
        (built_book / "lessons" / f"{lesson}.html").read_text(encoding="utf-8")))
    assert expected > 0
    figures = (repo / "lessons" / f"{lesson}.md").read_text(encoding="utf-8").count("{figure}")
    open_notebook(page, book_server.url, f"lessons/{lesson}.ipynb")
    run_all(page)
    wait_executed(page.locator(".jp-Notebook .jp-CodeCell").last)
    page.wait_for_function("([sel, n]) => document.querySelectorAll(sel).length >= n",
                           arg=[WIDGET_SELECTOR, expected], timeout=30_000)
    assert page.locator(ERRORS).all_inner_texts() == []
    assert page.locator(WIDGET_SELECTOR).count() == expected
    images = page.locator(".jp-MarkdownCell img")
    assert images.count() == figures
    page.wait_for_function("sel => [...document.querySelectorAll(sel)].every(i => i.complete)",
                           arg=".jp-MarkdownCell img", timeout=10_000)
    assert all(w > 0 and alt for w, alt in images.evaluate_all(
        "imgs => imgs.map(i => [i.naturalWidth, i.alt])")), "a figure did not load"
    text = "\n".join(page.locator(".jp-MarkdownCell .jp-RenderedMarkdown").all_inner_texts())
    assert not re.search(r"\{(cite|term|ref)\}|```", text)
    assert_clean(page_log)


def test_the_assignment_with_data_and_a_widget_reads_them_in_the_browser(
        page, book_server, page_log):
    """Does assignment 5 read its CSV file and show its simulator (read from JSON, as PyYAML
    is not in Pyodide) when a student runs those cells in JupyterLite?"""
    open_notebook(page, book_server.url, "assignments/05-impact-bonds/impact-bonds.ipynb")
    run_cell(page, code_cells(page, 'simulator = load("simulator.yml")'))
    page.locator(".sic-impact-bond").wait_for()
    table = run_cell(page, code_cells(page, 'open("bonds.csv"'))
    assert table.startswith("P  ") and "treated" in table
    assert page.locator(ERRORS).all_inner_texts() == []
    assert_clean(page_log)


DATA_NOTEBOOK = "assignments/05-impact-bonds/impact-bonds.ipynb"
STARTED_EARLY = f"sicourse-kernel-start: the kernel of {DATA_NOTEBOOK} was started while"
# A module beside the notebook imports; one named like a module of Python does not hide it.
LOCAL_MODULE = """import importlib
open("course_helper.py", "w").write("ANSWER = 42")
open("csv.py", "w").write("raise SystemExit('hidden')")
importlib.invalidate_caches()
import course_helper, csv
print(course_helper.ANSWER, csv.__file__)"""


def test_a_kernel_starts_with_the_page_alone_and_with_the_notebooks_files_on_every_visit(
        browser, book_server, page_log):
    """Opened three times in the same browser, as a student comes back, with a busy core
    the second time: does the notebook's kernel start while the page loads (the course's
    plugin, sicourse-kernel-start, says so), is it the only kernel, and does it see the
    files beside the notebook every time? JupyterLite 0.8 registered its service worker
    again on the second visit, and a kernel that started meanwhile had no files. And does a
    module written beside the notebook import (after Python's own: the site's sitecustomize)?

    Not the other tests' offline context: Playwright's routes keep a service worker from
    taking charge of a page, and a page in its charge is what the second visit is about.
    The site asks for nothing off this machine, and any request that does fails the test."""
    context = browser.new_context()
    context.on("request", lambda request: None if urlsplit(request.url).hostname in LOCAL_HOSTS
               else page_log.blocked.append(request.url))
    try:
        for visit in (1, 2, 3):
            tab = watch(context.new_page(), page_log)
            workers: list[str] = []
            tab.on("worker", lambda worker, seen=workers: seen.append(worker.url))
            busy = subprocess.Popen([sys.executable, "-c", "while True: pass"]) \
                if visit == 2 else None
            try:
                open_notebook(tab, book_server.url, DATA_NOTEBOOK)
                here = run_code(tab, "import os\nprint(os.getcwd(), 'bonds.csv' in os.listdir())")
            finally:
                if busy:
                    busy.kill()
                    busy.wait()
            assert here == "/drive/assignments/05-impact-bonds True", f"visit {visit}"
            assert len([url for url in workers if "pyodide-kernel-extension" in url]) == 1, \
                f"visit {visit}: {workers}"
            assert sum(STARTED_EARLY in line for line in page_log.console) == visit, \
                f"visit {visit}: the kernel was not the one started early"
            if visit == 1:  # the folder is searched after the installed modules, not never
                assert run_code(tab, LOCAL_MODULE) == "42 /lib/python314.zip/csv.pyc"
            tab.close()
    finally:
        context.close()
    assert not [line for line in page_log.console if "unregistering" in line]
    assert_clean(page_log)


@pytest.mark.nbgrader
def test_an_assignment_typed_in_the_browser_is_kept_downloaded_and_graded_as_in_jupyterlab(
        page, book_server, page_log, repo, tmp_path):
    """Run an assignment, answer it in JupyterLite, reload (the answers are still there),
    download it, start again from the original, and grade the download beside the same
    answers typed in JupyterLab."""
    open_notebook(page, book_server.url, ASSIGNMENT_NOTEBOOK)
    run_all(page)
    code = code_cells(page, "raise NotImplementedError")
    assert "NotImplementedError" in output_text(wait_executed(code.first))

    replace_source(page, code.nth(0), ANSWERS["q1-answer"])
    replace_source(page, code.nth(0), ANSWERS["q2-answer"])  # q1's cell no longer matches
    markdown = page.locator(".jp-MarkdownCell")
    [written] = [i for i, text in enumerate(markdown.all_inner_texts())
                 if text.strip() == "YOUR ANSWER HERE"]
    replace_source(page, markdown.nth(written), ANSWERS["q3-answer"])
    run_all(page)
    check_q1 = code_cells(page, "Check the form of your answer").first
    assert "Your answer has the right form." in output_text(wait_executed(check_q1))
    save(page)

    page.reload()
    page.wait_for_selector(".jp-Notebook .jp-Cell")
    for answer in ANSWERS.values():
        page.locator(".jp-Cell", has_text=answer.split(" = ")[-1]).first.wait_for(
            timeout=KERNEL_TIMEOUT_MS)

    with page.expect_download() as download:
        menu(page, "File", "Download")
    downloads = tmp_path / "download"
    downloads.mkdir()
    download.value.save_as(downloads / "lite.ipynb")

    # Starting again, as the how-to-use page says: delete your copy in JupyterLab's files.
    with page.context.expect_page() as opened:
        menu(page, "View", "Open JupyterLab")
    lab = opened.value
    folder = lab.locator(".jp-DirListing-item", has_text="assignments")
    folder.wait_for(timeout=KERNEL_TIMEOUT_MS)  # JupyterLab starting in a new tab
    folder.dblclick()
    lab.locator(".jp-DirListing-item", has_text=ASSIGNMENT).dblclick()
    lab.locator(".jp-DirListing-item", has_text=NOTEBOOK).click(button="right")
    lab.locator(".lm-Menu-itemLabel", has_text=re.compile("^Delete")).click()
    lab.get_by_role("button", name="Delete").click()
    lab.locator(".jp-DirListing-item", has_text=NOTEBOOK).dblclick()  # the original, listed
    code_cells(lab, "raise NotImplementedError").nth(3).wait_for(timeout=KERNEL_TIMEOUT_MS)
    assert code_cells(lab, ANSWERS["q1-answer"]).count() == 0
    lab.close()
    open_notebook(page, book_server.url, ASSIGNMENT_NOTEBOOK)
    # all four code answers unanswered again (editors far down the page are made when the
    # browser is idle: on a busy machine that takes a while)
    code_cells(page, "raise NotImplementedError").nth(3).wait_for(timeout=KERNEL_TIMEOUT_MS)
    assert code_cells(page, ANSWERS["q1-answer"]).count() == 0
    assert_clean(page_log)

    course = released_class(repo, tmp_path / "course", [ANSWERS], ["lab"])
    sicourse = [sys.executable, "-m", "sicourse.cli"]
    collect = subprocess.run([*sicourse, "collect", ASSIGNMENT, str(downloads), "--root",
                              str(course)], capture_output=True, text=True)
    assert collect.returncode == 0, collect.stdout + collect.stderr
    grade = subprocess.run([*sicourse, "grade", ASSIGNMENT, "--root", str(course)],
                           capture_output=True, text=True)
    assert grade.returncode == 0, grade.stdout + grade.stderr
    scores = nbgrader_run.cell_scores(course, ASSIGNMENT)
    assert scores["lite"] == scores["lab"]
    auto = {name: cell.score for name, cell in scores["lite"].items() if cell.autograded}
    assert auto["q1-test"] == 2 and auto["q2-test"] == 0
    graded = nbformat.read(course / "autograded" / "lite" / ASSIGNMENT / NOTEBOOK, 4)
    written = [c.source for c in graded.cells
               if c.metadata.get("nbgrader", {}).get("grade_id") == "q3-answer"]
    assert written == [ANSWERS["q3-answer"]]
    flags = course / "reports" / f"{ASSIGNMENT}-grades.csv"
    assert "modified" not in flags.read_text(encoding="utf-8")
