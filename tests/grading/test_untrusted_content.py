"""What a student wrote (markdown answers, outputs of their code) never runs in a browser.

Unit tests of ``SanitizeStudentContent`` with hostile payloads and with ordinary
markdown, then real ``nbgrader autograde`` and ``generate_feedback`` on a
submission that carries every payload of tests/hostile_notebook.py.
"""

from __future__ import annotations

import nbformat
import pytest
from hostile_notebook import (
    ASSIGNMENT,
    BOLD,
    MARKER,
    NOTEBOOK,
    WRITTEN,
    active_content,
    as_run_before,
    bundles,
    submission,
)
from nbconvert.exporters import HTMLExporter
from nbconvert.filters.markdown_mistune import markdown2html_mistune
from nbformat.v4 import new_markdown_cell, new_notebook, new_output
from nbgrader.preprocessors import Execute, SaveAutoGrades
from traitlets.config.loader import PyFileConfigLoader
from traitlets.utils.importstring import import_item

from sicourse.grading import nbgrader_run
from sicourse.grading.untrusted_content import SanitizeStudentContent, safe_markdown

SANITIZER = "sicourse.grading.untrusted_content.SanitizeStudentContent"
ORDINARY = """# My answer

> A quote from the reading.

**Bold**, *italic*, a < b and b > a, $x^2 + y^2$, CO<sub>2</sub>, `code <b>x</b>`.

- a list item
- [the source](https://example.org/paper) and [mail me](mailto:me@example.org)
- [the data](bonds.csv), ![a chart](https://example.org/chart.png), [above](#My-answer)

| Case | Outcome |
|---|---|
| Peterborough | 9% fewer reconvictions |
"""


def sanitized(nb):
    nb, _ = SanitizeStudentContent().preprocess(nb, {})
    return nb


def rendered(markdown: str) -> str:
    """The HTML nbconvert (Formgrader, feedback) makes of this markdown."""
    return markdown2html_mistune(safe_markdown(markdown))


def shown(html_page: str) -> str:
    from bs4 import BeautifulSoup
    return BeautifulSoup(html_page, "html.parser").get_text()


def outputs_of(*data: dict) -> list:
    nb = new_notebook(cells=[nbformat.v4.new_code_cell("x")])
    nb.cells[0].outputs = [new_output("display_data", data=d) for d in data]
    return sanitized(nb).cells[0].outputs


@pytest.mark.parametrize("payload", [
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "<svg onload=alert(1)></svg>",
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<a href="javascript:alert(1)">click</a>',
    "<!--><img src=x onerror=alert(1)>-->",
    "```mermaid\n<img src=x onerror=alert(1)>\n```",  # nbconvert passes mermaid blocks raw
    "[click](javascript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click][ref]\n\n[ref]: javascript:alert(1)",
    "[my page](evil.html)",  # a page of the submission, served in the Jupyter origin
    "<javascript:alert(1)>",
])
def test_markdown_payload_renders_without_active_content(payload):
    """Does a markdown answer with this payload render with no script, handler or
    javascript: link, its text still there?"""
    html = rendered(f"Answer: {payload} **end**")
    assert active_content(html) == [], html
    assert "<img" not in html and "href=\"evil.html\"" not in html
    assert "Answer:" in shown(html) and "end" in shown(html)


def test_raw_html_in_markdown_shows_as_text():
    """Does the grader see what a student's raw HTML said, as text?"""
    html = rendered('<img src=x onerror="steal()">My answer')
    assert 'onerror="steal()"' in shown(html)
    assert "My answer" in shown(html)


def test_ordinary_markdown_is_left_as_written():
    """Do headings, quotes, emphasis, a < b, math, formatting tags, code, lists,
    safe links and tables stay exactly as the student wrote them?"""
    assert safe_markdown(ORDINARY) == ORDINARY
    html = rendered(ORDINARY)
    for element in ("<h1", "<blockquote>", "<strong>Bold</strong>", "<sub>2</sub>",
                    "<table>", 'href="https://example.org/paper"', 'href="mailto:',
                    'href="bonds.csv"', 'src="https://example.org/chart.png"'):
        assert element in html
    assert "$x^2 + y^2$" in html and "a &lt; b" in html


def test_text_html_output_keeps_text_and_loses_scripts():
    """Is an HTML output cleaned of script, handlers, SVG, iframes and javascript:
    links, while its text, bold and tables stay?"""
    html = ("<script>alert(1)</script><b>bold</b><img src=x onerror=alert(1)>"
            "<svg onload=alert(1)></svg><a href='javascript:alert(1)'>link</a>"
            "<iframe src='https://example.org'></iframe><style>*{display:none}</style>"
            "<table><tr><td>cell</td></tr></table><a href='https://example.org'>ok</a>")
    (output,) = outputs_of({"text/html": html, "text/plain": "HTML"})
    clean = output.data["text/html"]
    assert active_content(clean) == []
    assert "<script" not in clean and "<style" not in clean and "alert" not in clean
    for kept in ("<b>bold</b>", "<td>cell</td>", 'href="https://example.org"', ">link</a>"):
        assert kept in clean


@pytest.mark.parametrize("mime, data", [
    ("application/javascript", "alert(1)"),
    ("application/vnd.jupyter.widget-view+json", {"model_id": "1", "version_major": 2}),
    ("image/svg+xml", "<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
    ("application/x-unknown-type", "<script>alert(1)</script>"),
])
def test_scriptable_outputs_become_a_note(mime, data):
    """Is a JavaScript, widget, SVG or unknown output replaced by a note saying so?"""
    (output,) = outputs_of({mime: data, "text/plain": "<object>"})
    assert dict(output.data) == {"text/plain": f"[removed by the grader: {mime}]"}


def test_images_plain_text_and_markdown_outputs_stay_readable():
    """Do PNG, plain text and LaTeX outputs stay, and a markdown output lose its script?"""
    (png, md) = outputs_of(
        {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>", "text/latex": "$x$"},
        {"text/markdown": "<img src=x onerror=alert(1)> **fine**", "text/plain": "md"},
    )
    assert set(png.data) == {"image/png", "text/plain", "text/latex"}
    html = markdown2html_mistune(md.data["text/markdown"])
    assert active_content(html) == [] and "<img" not in html
    assert "<strong>fine</strong>" in html


def test_widget_state_trust_and_unsafe_attachments_are_removed():
    """Are widget state (which loads JavaScript), trust signatures and attachments that
    are not raster images removed, and a PNG attachment kept?"""
    cell = new_markdown_cell("![chart](attachment:chart.png) ![x](attachment:page.svg)")
    cell.attachments = {"chart.png": {"image/png": "iVBORw0KGgo="},
                        "page.svg": {"image/svg+xml": "<svg onload='alert(1)'/>"}}
    cell.metadata["trusted"] = True
    nb = new_notebook(cells=[cell], metadata={
        "signature": "sha256:0", "widgets": {"application/vnd.jupyter.widget-state+json": {}}})
    nb = sanitized(nb)
    assert "signature" not in nb.metadata and "widgets" not in nb.metadata
    assert "trusted" not in nb.cells[0].metadata
    assert dict(nb.cells[0].attachments) == {"chart.png": {"image/png": "iVBORw0KGgo="}}


def test_sanitising_twice_changes_nothing_more(repo):
    """Is a sanitised notebook left as it is by a second pass (Formgrader and feedback
    sanitise notebooks that autograding already did)?"""
    released = nbformat.read(repo / "exercises" / ASSIGNMENT / NOTEBOOK, as_version=4)
    once = sanitized(as_run_before(submission(released)))
    twice = sanitized(nbformat.reads(nbformat.writes(once), as_version=4))
    assert nbformat.writes(twice) == nbformat.writes(once)


def test_config_sanitises_right_after_the_run_and_in_every_html_page(repo):
    """Does nbgrader_config.py run the sanitiser right after the run in autograding
    (before the scores are saved), and in every HTML exporter (Formgrader, feedback)?"""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(repo)).load_config()
    steps = [import_item(p) if isinstance(p, str) else p
             for p in config.Autograde.autograde_preprocessors]
    assert issubclass(steps[0], Execute)
    assert steps[1] is SanitizeStudentContent
    assert SaveAutoGrades in steps[2:]
    assert SANITIZER in config.HTMLExporter.preprocessors


# --- real nbgrader -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def graded(tmp_path_factory, repo):
    """A course copy where a hostile submission and the key were autograded, with feedback."""
    course = nbgrader_run.scratch_course(repo, tmp_path_factory.mktemp("hostile"), [ASSIGNMENT])
    nbgrader_run.run(course, "generate_assignment", ASSIGNMENT)
    released = nbformat.read(course / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    for student, nb in {"mallory": submission(released),
                        "old": as_run_before(submission(released))}.items():
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / NOTEBOOK)
    nbgrader_run.run(course, "autograde", ASSIGNMENT)
    # "old" stands for a notebook autograded before the sanitiser existed: its file is
    # the unsanitised run, and only feedback (and Formgrader) can clean it.
    nbformat.write(as_run_before(submission(released)),
                   course / "autograded" / "old" / ASSIGNMENT / NOTEBOOK)
    nbgrader_run.run(course, "generate_feedback", ASSIGNMENT)
    return course


@pytest.mark.nbgrader
def test_autograded_notebook_holds_no_active_content(graded):
    """Does the autograded notebook, exported to HTML with no sanitising of its own,
    run nothing, while the student's answers and outputs are still there?"""
    nb = nbformat.read(graded / "autograded" / "mallory" / ASSIGNMENT / NOTEBOOK, as_version=4)
    assert "widgets" not in nb.metadata
    mimes = {m for c in nb.cells for o in c.get("outputs", []) for m in o.get("data", {})}
    assert not mimes & {"application/javascript", "image/svg+xml",
                        "application/vnd.jupyter.widget-view+json"}
    page, _ = HTMLExporter(template_name="classic").from_notebook_node(nb)
    assert active_content(page) == []
    text = shown(page)
    for words in (WRITTEN, BOLD, "output in bold", "markdown output", "my sources"):
        assert words in text
    assert "removed by the grader: application/javascript" in text


@pytest.mark.nbgrader
def test_hostile_output_does_not_cost_the_right_answer_its_points(graded):
    """Does question 1, answered right beside the payloads, still earn its points?"""
    scores = nbgrader_run.cell_scores(graded, ASSIGNMENT)["mallory"]
    assert scores["q1-test"].score == scores["q1-test"].max_score == 2


@pytest.mark.nbgrader
@pytest.mark.parametrize("student", ["mallory", "old"])
def test_feedback_page_holds_no_active_content(graded, student):
    """Does the feedback page (also of a notebook autograded before the sanitiser)
    run nothing, while the student's answer is there to read?"""
    page = (graded / "feedback" / student / ASSIGNMENT / NOTEBOOK.replace(".ipynb", ".html"))
    html = page.read_text(encoding="utf-8")
    assert active_content(html) == []
    assert MARKER not in "".join(active_content(html))
    text = shown(html)
    for words in (WRITTEN, BOLD, "output in bold", "markdown output"):
        assert words in text


def test_the_payloads_are_live_without_the_sanitiser(repo):
    """Would these payloads run at all? (Guards the tests above against toothless payloads.)"""
    released = nbformat.read(repo / "exercises" / ASSIGNMENT / NOTEBOOK, as_version=4)
    page, _ = HTMLExporter(template_name="classic").from_notebook_node(
        as_run_before(submission(released)))
    found = active_content(page)
    assert len(found) >= len(bundles())
    assert any("onerror" in f for f in found) and any("<script>" in f for f in found)


def test_the_course_own_markdown_is_left_as_written(repo):
    """Does every markdown cell of every assignment (instructions, questions) pass
    unchanged, so Formgrader and feedback show the instructor's text as before?"""
    for path in sorted((repo / "exercises").glob("*/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                assert safe_markdown(cell.source, cell.get("attachments")) == cell.source, path
