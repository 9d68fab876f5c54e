"""The JupyterLite site (sicourse.book.lite_site): its notebooks, the course's widgets as a
wheel for Pyodide, widget files read as JSON where YAML is not installed, and, in the built
book, the launch entries and a site that fetches nothing from elsewhere.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from sicourse.book import lite_site, notebook_markdown
from sicourse.book.lite_site import page_notebook, widgets_wheel, write_lessons

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


def test_the_kernel_start_plugin_is_a_prebuilt_extension_named_by_its_content(tmp_path):
    """Is the course's plugin (lite_kernel_start.js) laid out as JupyterLite loads a prebuilt
    extension, its file named by its content (so no browser keeps an old copy)?"""
    folder = lite_site.kernel_start_extension(tmp_path)
    package = json.loads((folder / "package.json").read_text())
    assert package["name"] == lite_site.KERNEL_START == folder.name
    build = package["jupyterlab"]["_build"]
    assert build["extension"] == "./extension"
    source = (Path(lite_site.__file__).parent / "lite_kernel_start.js").read_bytes()
    assert (folder / build["load"]).read_bytes() == source
    assert hashlib.sha256(source).hexdigest()[:16] in build["load"]


@pytest.mark.book
def test_the_site_loads_the_kernel_start_plugin(built_book):
    """Does the built site list the course's plugin among its extensions, with its file?"""
    lite = built_book / "lite"
    settings = json.loads((lite / "jupyter-lite.json").read_text())["jupyter-config-data"]
    [entry] = [e for e in settings["federated_extensions"]
               if e["name"] == lite_site.KERNEL_START]
    source = (Path(lite_site.__file__).parent / "lite_kernel_start.js").read_bytes()
    assert (lite / "extensions" / entry["name"] / entry["load"]).read_bytes() == source


@pytest.mark.book
def test_the_site_python_comes_compiled(built_book):
    """Does the site serve Pyodide's standard library and the kernel's wheels with their
    bytecode (so a kernel starts without compiling them), the course's sitecustomize among
    them, jedi without its third-party stubs, and a lock file whose hashes (which Pyodide
    checks) match the wheels?"""
    lite = built_book / "lite"
    with zipfile.ZipFile(lite / "static" / "pyodide" / "python_stdlib.zip") as stdlib:
        names = set(stdlib.namelist())
        startup = stdlib.read("sitecustomize.py")
    assert startup == (Path(lite_site.__file__).parent / "pyodide_sitecustomize.py").read_bytes()
    assert "sitecustomize.pyc" in names
    sources = {n for n in names if n.endswith(".py")}
    compiled = {n[:-1] for n in names if n.endswith(".pyc")}
    assert len(sources) > 500 and len(sources - compiled) < 10, sorted(sources - compiled)
    lock_file = lite / "static" / "pyodide-lock" / "pyodide-lock.json"
    lock = json.loads(lock_file.read_text())
    checked = 0
    for name, package in lock["packages"].items():
        wheel = (lite / "static" / "pyodide" / package["file_name"]).resolve()
        assert hashlib.sha256(wheel.read_bytes()).hexdigest() == package["sha256"], name
        if wheel.parent == lock_file.parent.resolve():
            with zipfile.ZipFile(wheel) as z:
                files = z.namelist()
            assert any(re.search(r"(^|/)__pycache__/[^/]+\.cpython-314\.pyc$", f)
                       for f in files), name
            checked += 1
            if name == "jedi":
                assert not any(f.startswith(lite_site.SLIMMED["jedi"]) for f in files)
                assert any(f.startswith("jedi/third_party/typeshed/stdlib/") for f in files)
    assert checked > 15


MYST = """(lesson-x)=
# A lesson

As {cite}`murray2010,mulgan2006` put it ({cite}`src000`), a {term}`pilot <Pilot project>` helps; see
{ref}`lesson-x` and {ref}`the cases <lesson-x>`.

```{admonition} Try this
:class: tip
Ask {cite}`mulgan2006`.
```

```{figure} lesson/grid.svg
:name: fig-grid
:alt: A grid of two tests

The two tests.
```

```{epigraph}
Kept as it is.
```

## References

```{bibliography}
:filter: docname in docnames
```
"""


def test_myst_becomes_plain_markdown_in_lesson_notebooks(tmp_path, repo):
    """Do citations show the book's labels and the bibliography the works cited, do terms,
    references, admonitions and figures read as Markdown, and is no MyST syntax left?"""
    bib = notebook_markdown.Bibliography(repo / "book" / "references.bib")
    titles = {"lesson-x": "A lesson"}
    keys = notebook_markdown.cited(MYST)
    assert keys == ["murray2010", "mulgan2006", "src000", "mulgan2006"]
    out = notebook_markdown.plain(MYST, bib, titles, keys)
    assert ("As (Murray et al., 2010; Mulgan, 2006) put it ((*What is social innovation?*, "
            "n.d.)), a **pilot** helps") in out
    assert "see\n*A lesson* and the cases." in out
    assert "> **Try this**\n>\n> Ask (Mulgan, 2006).\n" in out
    assert "![A grid of two tests](lesson/grid.svg)\n\n*Figure.* The two tests." in out
    assert "Kept as it is." in out
    references = out[out.index("## References"):].strip().splitlines()[2:]
    assert len(references) == 3 and references[0].startswith("- Geoff Mulgan\\.")
    assert "*The Open Book of Social Innovation*" in references[1]
    assert "Arabic-language web article" in references[2].replace("\\", "")
    assert not re.search(r"\{[\w:-]+\}`|^(```|:::)|^\(lesson-x\)=|^:\w+:", out, re.M), out
    (tmp_path / "lesson").mkdir()
    (tmp_path / "lesson" / "grid.svg").write_text("<svg/>")
    inlined = notebook_markdown.plain(MYST, bib, titles, keys, folder=tmp_path)
    assert "![A grid of two tests](data:image/svg+xml;base64,PHN2Zy8+)" in inlined


def test_every_lesson_notebook_is_free_of_myst(tmp_path, repo):
    """In the site's lesson notebooks, is every role and directive converted, every cited
    work found in the bibliography and every referenced section named?"""
    write_lessons(repo, tmp_path)
    bib_keys = set(notebook_markdown.Bibliography(repo / "book" / "references.bib").entries)
    lessons = sorted((tmp_path / "lessons").glob("*.ipynb"))
    assert len(lessons) == len(list((repo / "lessons").glob("*.md")))
    for path in lessons:
        source = (repo / "lessons" / f"{path.stem}.md").read_text(encoding="utf-8")
        assert set(notebook_markdown.cited(source)) <= bib_keys, path.name
        text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells
                         if c.cell_type == "markdown")
        left = re.findall(r"\{[\w:-]+\}`[^`]*`|^(?:```|:::)\{.*|^\([\w.-]+\)=|\blesson-\d\d\b",
                          text, re.M)
        assert not left, f"{path.name}: {left[:5]}"
        # JupyterLab would ask for a relative image from the page's folder first (a 404)
        assert not re.findall(r"!\[[^\]]*\]\((?!data:)", text), path.name
        assert "## References" in text and "\n- " in text.split("## References")[1], path.name
