"""The JupyterLite site (sicourse.book.lite_site): its notebooks, the course's widgets as a
wheel for Pyodide, widget files read as JSON where YAML is not installed, and, in the built
book, the launch entries and a site that fetches nothing from elsewhere.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import pytest

from sicourse.book.lite_site import page_notebook, widgets_wheel

LESSON = "01-what-is-social-innovation"


def test_pages_map_to_the_site_notebooks():
    assert page_notebook(f"lessons/{LESSON}") == f"lessons/{LESSON}.ipynb"
    assert page_notebook("book/generated/assignments/01-concepts/concepts-and-definitions") == (
        "assignments/01-concepts/concepts-and-definitions.ipynb")
    for other in ("book/intro", "book/widgets", "lessons", "book/generated/glossary"):
        assert page_notebook(other) is None


def test_the_widgets_wheel_works_without_yaml(tmp_path, repo):
    """Can Python with no PyYAML (as in Pyodide) import the widgets from the wheel alone and
    build a lesson's widget from the JSON the site writes beside its YAML file?"""
    wheel = widgets_wheel(tmp_path / "wheels")
    site = tmp_path / "site-packages"  # where micropip installs it, in Pyodide
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read("sicourse_widgets-0.1.0.dist-info/METADATA").decode()
        archive.extractall(site)
    assert {"sicourse/widgets/quiz.py", "sicourse/static/widgets/quiz.js",
            "sicourse/static/widgets/common.js"} <= names
    assert not any(n.startswith(("sicourse/grading", "sicourse/book")) for n in names)
    assert "Requires-Dist: anywidget==" in metadata

    import yaml

    folder = tmp_path / "lesson"
    folder.mkdir()
    source = repo / "lessons" / LESSON / "self-check.yml"
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    (folder / "self-check.json").write_text(json.dumps(data), encoding="utf-8")
    code = (
        "import sys; sys.modules['yaml'] = None\n"  # import yaml now fails, as in Pyodide
        f"sys.path.insert(0, {str(site)!r})\n"
        "import sicourse.widgets as w\n"
        "assert w.__file__.startswith(sys.path[0]), w.__file__\n"
        "quiz = w.load('self-check.yml')\n"
        "print(type(quiz).__name__, len(quiz.questions), len(quiz._esm) > 1000)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=folder, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["Quiz", str(len(data["questions"])), "True"]


def test_bad_json_names_the_file(tmp_path, monkeypatch):
    from sicourse.widgets import content

    monkeypatch.setattr(content, "yaml", None)
    monkeypatch.setattr(content, "SYNTAX_ERROR", json.JSONDecodeError)
    (tmp_path / "quiz.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(content.ContentError, match=r"quiz\.yml: invalid JSON"):
        content.read(tmp_path / "quiz.yml")
    with pytest.raises(content.ContentError, match=r"other\.yml: file not found"):
        content.read(tmp_path / "other.yml")


@pytest.mark.book
def test_every_launch_entry_opens_a_notebook_of_the_site(built_book):
    """Does each lesson and assignment page offer "Open in the browser", first in its launch
    menu, and does the link lead to a notebook the site has?"""
    from sicourse.book.lite_site import page_notebook

    pages = sorted(built_book.glob("lessons/*.html")) + sorted(
        built_book.glob("book/generated/assignments/*/*.html"))
    assert len(pages) == 15
    for page in pages:
        html = page.read_text(encoding="utf-8")
        start = html.index('class="dropdown dropdown-launch-buttons"')
        first = html[start:].split("<li>")[1]
        assert "btn-launch-lite" in first and "Open in the browser" in first, page
        href = first.split('href="', 1)[1].split('"', 1)[0]
        target, notebook = href.split("?path=")
        name = page.relative_to(built_book).with_suffix("").as_posix()
        assert notebook == page_notebook(name)
        assert (page.parent / target).resolve() == built_book / "lite/notebooks/index.html"
        assert (built_book / "lite" / "files" / notebook).is_file(), notebook
        if name.startswith("book/generated/assignments/"):  # the page says how, too
            advice = html.split('<p class="sic-download">', 1)[1].split("</p>", 1)[0]
            assert "<em>Open in the browser</em>" in advice and "File → Download" in advice
            guide = advice.split('href="')[-1].split('"', 1)[0]
            assert guide.endswith("how-to-use.html#how-to-use-browser")
            assert (page.parent / guide.split("#")[0]).resolve().is_file()




@pytest.mark.book
def test_the_site_loads_nothing_from_elsewhere(built_book):
    """Do the site's settings point Pyodide, its lock file and every wheel at the site's own
    files, with no look-up on PyPI from the browser?"""
    lite = built_book / "lite"
    settings = json.loads((lite / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = settings["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    assert kernel["pyodideUrl"] == "./static/pyodide/pyodide.mjs"
    assert kernel["disablePyPIFallback"] is True
    lock_file = lite / kernel["loadPyodideOptions"]["lockFileURL"]
    lock = json.loads(lock_file.read_text())
    assert {"micropip", "ipykernel", "pyodide-kernel", "anywidget", "sicourse-widgets"} <= set(
        lock["packages"])
    for name, package in lock["packages"].items():
        assert "://" not in package["file_name"], name
        assert (lock_file.parent.parent / "pyodide" / package["file_name"]).resolve().is_file()
