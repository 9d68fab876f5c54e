"""The JupyterLite site: every lesson and assignment as a notebook that runs in the browser.

``sicourse build`` (``make book``) writes it into ``_build/html/lite/`` after the book,
with ``jupyter lite build`` (jupyterlite-core and jupyterlite-pyodide-kernel). Nothing of
it is fetched from elsewhere when a student opens it:

* Pyodide itself comes from the ``pyodide`` npm package (``npm ci``), at the version the
  installed jupyterlite-pyodide-kernel is made for, with its lock file emptied: every package
  the kernel loads is a pure-Python wheel from PyPI, solved for Pyodide's platform by
  ``uv`` (pyodide-lock's ``UvPipCompile``, which jupyterlite-pyodide-kernel's lock addon
  drives) and served from the site;
* the front ends of the widgets (ipywidgets' manager, anywidget) are the federated
  extensions of the Python packages installed here, at the same versions as the wheels
  the kernel installs;
* the course's widgets are a small wheel of their own (:func:`widgets_wheel`): the
  ``sicourse.widgets`` package and its ES modules. YAML needs a compiled package that
  Pyodide's core lacks, so each widget file is also written as JSON beside it, which
  :func:`sicourse.widgets.content.read` reads when YAML is not installed.

A kernel starts in a few seconds because the Python it imports comes compiled
(:func:`add_bytecode`), and it starts while the page loads: the course's own JupyterLab
plugin, ``lite_kernel_start.js`` (:func:`kernel_start_extension`), starts the kernel of the
notebook in the address as soon as one can be made, and hands it over when the notebook
asks; it also makes every kernel wait until it can mount the notebook's files. Its Python
looks for a module among the installed ones before the notebook's folder on the drive,
each look-up of which is a request to the page (:func:`add_startup_module`).

Lessons become notebooks (MyST-NB reads their Markdown; :mod:`sicourse.book.notebook_markdown`
turns the book's roles and directives into plain Markdown); assignments are the student
versions the book offers for download, byte for byte, so what a student downloads from
JupyterLite is graded exactly as one typed in JupyterLab.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import anywidget
import ipywidgets
import jupyter_server
import nbformat
import yaml
from jupyterlite_pyodide_kernel.constants import PYODIDE_VERSION

import sicourse
from sicourse.book import notebook_markdown
from sicourse.book.pyodide_bytecode import Archive, compile_archives
from sicourse.book.pyodide_compile import write_wheel
from sicourse.book.student_versions import is_widget_content
from sicourse.errors import SicourseError

FOLDER = "lite"  # the site's folder in the book's html/
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip",
                 "pyodide.js", "package.json")
# The front ends the notebooks need, from this environment's share/jupyter/labextensions
# (every other extension installed here, nbgrader's among them, stays out of the site).
EXTENSIONS = ("@jupyterlite/pyodide-kernel-extension", "@jupyter-widgets/jupyterlab-manager",
              "anywidget")
WHEEL_NAME = "sicourse_widgets"
# Loaded while the kernel starts, so a lesson's first cell does not wait for them.
PREFETCH = ("micropip", "piplite", "jedi", "anywidget", "ipywidgets", "sicourse-widgets")
LESSONS, ASSIGNMENTS = "lessons", "assignments"
# Files left out of the kernel's wheels: jedi's stubs for third-party packages (4,800 files
# for the likes of Django and TensorFlow, which this kernel, with no PyPI, cannot install)
# took 0.9 s to unpack at every start. Its stubs of the standard library stay, for completion.
SLIMMED = {"jedi": ("jedi/third_party/typeshed/stubs/", "jedi/third_party/django-stubs/")}


class LiteSiteError(SicourseError):
    """The JupyterLite site cannot be built; the message says why."""


def page_notebook(pagename: str) -> str | None:
    """The notebook in the JupyterLite site for a page of the book, if it has one."""
    parts = pagename.split("/")
    if len(parts) == 2 and parts[0] == LESSONS:
        return f"{LESSONS}/{parts[1]}.ipynb"
    prefix = ["book", "generated", ASSIGNMENTS]
    if len(parts) == 5 and parts[:3] == prefix:
        return f"{ASSIGNMENTS}/{parts[3]}/{parts[4]}.ipynb"
    return None


def widgets_wheel(target: Path) -> Path:
    """A pure-Python wheel of ``sicourse.widgets`` (and its front-end files) in ``target``.

    Its requirements pin anywidget and ipywidgets to the versions installed here, whose
    front ends the site serves.
    """
    package = Path(sicourse.__file__).parent
    files = {"sicourse/__init__.py": package / "__init__.py",
             "sicourse/errors.py": package / "errors.py"}
    for path in sorted((package / "widgets").glob("*.py")):
        files[f"sicourse/widgets/{path.name}"] = path
    for path in sorted((sicourse.STATIC / "widgets").iterdir()):
        files[f"sicourse/static/widgets/{path.name}"] = path
    version = sicourse.__version__
    info = f"{WHEEL_NAME}-{version}.dist-info"
    metadata = "\n".join([
        "Metadata-Version: 2.1", "Name: sicourse-widgets", f"Version: {version}",
        "Summary: The social innovation course's widgets, for JupyterLite",
        f"Requires-Dist: anywidget=={anywidget.__version__}",
        f"Requires-Dist: ipywidgets=={ipywidgets.__version__}", "Requires-Dist: traitlets", "",
    ])
    contents = {name: path.read_bytes() for name, path in files.items()}
    contents[f"{info}/METADATA"] = metadata.encode()
    contents[f"{info}/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: sicourse\n"
                                 b"Root-Is-Purelib: true\nTag: py3-none-any\n")
    target.mkdir(parents=True, exist_ok=True)
    wheel = target / f"{WHEEL_NAME}-{version}-py3-none-any.whl"
    write_wheel(wheel, contents, f"{info}/RECORD")
    return wheel


def _copy_with_json(source: Path, target: Path) -> None:
    """Copy a folder of a lesson or assignment, each widget file also as JSON."""
    shutil.copytree(source, target, dirs_exist_ok=True)
    for path in sorted(source.rglob("*")):
        if is_widget_content(path):
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            out = target / path.relative_to(source).with_suffix(".json")
            out.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def write_contents(root: Path, files: Path) -> None:
    """The notebooks (and their files) of the site into ``files``."""
    write_lessons(root, files)
    generated = root / "book" / "generated" / ASSIGNMENTS
    for folder in sorted(p for p in generated.iterdir() if p.is_dir()):
        _copy_with_json(folder, files / ASSIGNMENTS / folder.name)


def write_lessons(root: Path, files: Path) -> None:
    """Each lesson as a notebook in plain Markdown, with its folder, into ``files/lessons``."""
    from myst_nb.core.read import read_myst_markdown_notebook

    bib = notebook_markdown.Bibliography(root / "book" / "references.bib")
    titles = notebook_markdown.section_titles(sorted((root / LESSONS).glob("*.md"))
                                              + sorted((root / "book").glob("*.md")))
    for lesson in sorted((root / LESSONS).glob("*.md")):
        nb = read_myst_markdown_notebook(lesson.read_text(encoding="utf-8"), path=lesson)
        texts = [cell for cell in nb.cells if cell.cell_type == "markdown"]
        keys = [key for cell in texts for key in notebook_markdown.cited(cell.source)]
        for cell in texts:
            cell.source = notebook_markdown.plain(cell.source, bib, titles, keys, lesson.parent)
        nb.metadata["kernelspec"] = {"name": "python", "display_name": "Python (Pyodide)",
                                     "language": "python"}
        (files / LESSONS).mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, files / LESSONS / f"{lesson.stem}.ipynb")
        if (root / LESSONS / lesson.stem).is_dir():
            _copy_with_json(root / LESSONS / lesson.stem, files / LESSONS / lesson.stem)


def _lite_config(wheels: list[Path], extensions: Path) -> dict:
    return {
        # (not lite_dir/extensions: jupyterlite-core 0.8.6 does not copy extensions from there)
        "FederatedExtensionAddon": {"extra_labextensions_path": [str(extensions)]},
        "LiteBuildConfig": {
            "apps": ["notebooks", "lab"],
            "ignore_sys_prefix": True,
            "no_unused_shared_packages": True,
            "no_sourcemaps": True,
            "contents": ["files"],
        },
        "PyodideLockAddon": {
            "enabled": True,
            "wheels": [str(w) for w in wheels],
            "specs": ["micropip", "packaging"],
            "prefetch_extra": list(PREFETCH),
        },
    }


def _kernel_settings() -> dict:
    """jupyter-lite.json: no package is ever looked up on PyPI from the browser."""
    return {"jupyter-lite-schema-version": 0, "jupyter-config-data": {
        "litePluginSettings": {"@jupyterlite/pyodide-kernel-extension:kernel": {
            "disablePyPIFallback": True}}}}


# JupyterLab settings of the site: every cell of a notebook in the page (so a browser's own
# find, and a screen reader, see them all: lessons are not long); Python started at once,
# never a "Select Kernel" dialog (JupyterLab asks when its kernel list comes after the
# notebook); and work saved to the browser's storage every 30 s as well as on Ctrl+S.
SETTINGS = {
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none",
                                               "autoStartDefaultKernel": True},
    "@jupyterlab/docmanager-extension:plugin": {"autosaveInterval": 30},
}


KERNEL_START = "sicourse-kernel-start"


def kernel_start_extension(labextensions: Path) -> Path:
    """The course's own JupyterLab plugin (``lite_kernel_start.js``: a notebook's kernel
    starts while the page loads, and with the notebook's files) as a prebuilt federated
    extension in ``labextensions``; its folder. Its file is named by its content, so a
    browser never runs an old copy from its cache."""
    source = Path(__file__).with_name("lite_kernel_start.js").read_bytes()
    entry = f"static/remoteEntry.{hashlib.sha256(source).hexdigest()[:16]}.js"
    folder = labextensions / KERNEL_START
    (folder / "static").mkdir(parents=True, exist_ok=True)
    (folder / entry).write_bytes(source)
    (folder / "package.json").write_text(json.dumps({
        "name": KERNEL_START, "version": sicourse.__version__, "private": True,
        "jupyterlab": {"_build": {"load": entry, "extension": "./extension"}}}, indent=1),
        encoding="utf-8")
    return folder


def stage(root: Path, work: Path, labextensions: Path) -> Path:
    """Lay out the site's source (JupyterLite's ``lite_dir``) in ``work``."""
    lite_dir = work / "source"
    shutil.rmtree(lite_dir, ignore_errors=True)
    pyodide = root / "node_modules" / "pyodide"
    found = json.loads((pyodide / "package.json").read_text()).get("version") \
        if (pyodide / "package.json").is_file() else None
    if found != PYODIDE_VERSION:
        raise LiteSiteError(
            f"{pyodide}: pyodide {found or 'is not installed'}; the site needs "
            f"{PYODIDE_VERSION}. Run `npm ci` in the course folder.")
    target = lite_dir / "static" / "pyodide"
    target.mkdir(parents=True)
    for name in PYODIDE_FILES:
        shutil.copy2(pyodide / name, target / name)
    lock = json.loads((pyodide / "pyodide-lock.json").read_text(encoding="utf-8"))
    lock["packages"] = {}  # every package comes from PyPI, through the lock addon
    # pyodide-lock 0.1.2 (the newest on PyPI here) requires the version Pyodide 314 omits
    lock["info"].setdefault("version", PYODIDE_VERSION)
    (target / "pyodide-lock.json").write_text(json.dumps(lock), encoding="utf-8")
    for name in EXTENSIONS:
        if not (labextensions / name / "package.json").is_file():
            raise LiteSiteError(f"{labextensions / name}: the front end is not installed")
        shutil.copytree(labextensions / name, lite_dir / "labextensions" / name)
    kernel_start_extension(lite_dir / "labextensions")
    wheels = [widgets_wheel(work / "wheels"),
              # the kernel's stand-in for widgetsnbextension (the classic Notebook's front
              # end, 2 MB of JavaScript a kernel in the browser never uses)
              *(lite_dir / "labextensions" / EXTENSIONS[0] / "static" / "pypi").glob(
                  "widgetsnbextension-4.*.whl")]
    write_contents(root, lite_dir / "files")
    (lite_dir / "jupyter_lite_config.json").write_text(
        json.dumps(_lite_config(wheels, lite_dir / "labextensions"), indent=1), encoding="utf-8")
    (lite_dir / "overrides.json").write_text(json.dumps(SETTINGS, indent=1), encoding="utf-8")
    (lite_dir / "jupyter-lite.json").write_text(json.dumps(_kernel_settings(), indent=1),
                                                encoding="utf-8")
    return lite_dir


FAVICONS = ('<link rel="icon" type="image/x-icon" href="../static/favicons/favicon.ico" '
            'class="idle favicon"><link rel="" type="image/x-icon" '
            'href="../static/favicons/favicon-busy-1.ico" class="busy favicon">')


def add_favicons(output: Path) -> None:
    """JupyterLab's icons, which JupyterLite 0.8.6 lacks: it asks for them at
    static/favicons/, and without a link in the page the browser asks the server's root."""
    shutil.copytree(Path(jupyter_server.__file__).parent / "static" / "favicons",
                    output / "static" / "favicons", dirs_exist_ok=True)
    for page in output.glob("*/index.html"):
        text = page.read_text(encoding="utf-8")
        if 'rel="icon"' not in text:
            page.write_text(text.replace("</head>", FAVICONS + "</head>", 1), encoding="utf-8")


def add_startup_module(output: Path) -> None:
    """Put :mod:`sicourse.book.pyodide_sitecustomize` into Pyodide's standard library as
    ``sitecustomize``, which Python runs as it starts: the kernel then looks for a module in
    the installed packages before the notebook's folder, each look-up of which is a request
    to the page. (Before :func:`add_bytecode`, which compiles it with the rest.)"""
    stdlib = output / "static" / "pyodide" / "python_stdlib.zip"
    source = Path(__file__).with_name("pyodide_sitecustomize.py").read_bytes()
    with zipfile.ZipFile(stdlib, "a", zipfile.ZIP_DEFLATED) as archive:
        if "sitecustomize.py" in archive.namelist():
            raise LiteSiteError(f"{stdlib}: has a sitecustomize.py already")
        archive.writestr(zipfile.ZipInfo("sitecustomize.py", (2020, 1, 1, 0, 0, 0)), source,
                         compress_type=zipfile.ZIP_DEFLATED)


def add_bytecode(output: Path, cache: Path) -> None:
    """Compile the standard library and the kernel's wheels (:mod:`.pyodide_compile`): a
    kernel then starts without compiling what it imports. The lock file gets the wheels'
    new hashes, which Pyodide checks."""
    pyodide, locked = output / "static" / "pyodide", output / "static" / "pyodide-lock"
    wheels = sorted(locked.glob("*.whl"))
    compile_archives(pyodide, [
        Archive(pyodide / "python_stdlib.zip", "stdlib"),
        *(Archive(w, "wheel", SLIMMED.get(w.name.split("-")[0], ())) for w in wheels)], cache)
    lock_file = locked / "pyodide-lock.json"
    lock = json.loads(lock_file.read_text(encoding="utf-8"))
    for package in lock["packages"].values():
        wheel = locked / Path(package["file_name"]).name
        if wheel in wheels and Path(package["file_name"]).parent.name == locked.name:
            package["sha256"] = hashlib.sha256(wheel.read_bytes()).hexdigest()
    lock_file.write_text(json.dumps(lock, indent=2), encoding="utf-8")


def build_site(root: Path, html: Path, say=print) -> Path:
    """Build the JupyterLite site into ``html/lite/``; its folder."""
    root, html = root.resolve(), html.resolve()
    work = html.parent / "lite"
    labextensions = Path(sys.prefix) / "share" / "jupyter" / "labextensions"
    lite_dir = stage(root, work, labextensions)
    output = html / FOLDER
    shutil.rmtree(output, ignore_errors=True)
    args = [sys.executable, "-m", "jupyterlite_core", "build", "--lite-dir", str(lite_dir),
            "--output-dir", str(output),
            f"--LiteBuildConfig.cache_dir={work / 'cache'}"]
    result = subprocess.run(args, cwd=lite_dir, capture_output=True, text=True)
    if result.returncode != 0:
        raise LiteSiteError(f"jupyter lite build failed:\n{result.stdout[-3000:]}"
                            f"{result.stderr[-3000:]}")
    add_favicons(output)
    add_startup_module(output)
    add_bytecode(output, work / "cache" / "bytecode")
    say(f"Built the JupyterLite site into {output}/.")
    return output
