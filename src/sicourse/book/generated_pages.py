"""Sphinx extension: generate the book's derived pages before Sphinx reads sources.

Listed in ``_config.yml`` so that a plain ``jupyter-book build .`` gives the
full book. It writes into ``book/generated/`` (git-ignored), which the TOC
points to:

* ``book/generated/assignments/``: student versions of ``exercises/`` (the
  answer key itself is never build input);
* ``book/generated/glossary.md``: the glossary page from ``book/glossary/*.yml``.

It also keeps cached builds honest about widgets: the execution cache keys a
notebook on its code cells only, but a widget's saved state embeds its ES
module and CSS. When those files change, the cache is cleared and every page
is read again, so no page keeps an old widget front end.

It sets the JupyterHub launch button's hub URL from the environment variable
``SICOURSE_JUPYTERHUB_URL`` when that is set, so each institution can point the
button at its own hub without editing ``_config.yml``.

On each assignment page it puts a link to download the notebook under the
title. And it drops repeated copies of one script from a page: Sphinx 7.4 writes
sphinx-thebe's inline script twice, which browsers report as an error
("Identifier 'THEBE_JS_URL' has already been declared").
"""

from __future__ import annotations

import hashlib
import html
import os
import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

from sicourse import STATIC
from sicourse.book import glossary, student_versions

GENERATED = Path("book") / "generated"
STAMP = ".sicourse-widgets-fingerprint"


def widgets_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in STATIC.rglob("*") if p.is_file()):
        digest.update(path.relative_to(STATIC).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def clear_stale_widget_outputs(app: Sphinx, config) -> None:
    build_dir = Path(app.outdir).parent
    stamp = build_dir / STAMP
    app.sicourse_fingerprint = widgets_fingerprint()
    app.sicourse_widgets_changed = (
        stamp.exists() and stamp.read_text() != app.sicourse_fingerprint
    )
    if app.sicourse_widgets_changed:
        cache = Path(config.nb_execution_cache_path or build_dir / ".jupyter_cache")
        shutil.rmtree(cache, ignore_errors=True)


def pages_with_old_widgets(app: Sphinx, env, added, changed, removed) -> list[str]:
    return sorted(env.found_docs) if app.sicourse_widgets_changed else []


def save_fingerprint(app: Sphinx, exception) -> None:
    if exception is None:
        (Path(app.outdir).parent / STAMP).write_text(app.sicourse_fingerprint)


def generate_pages(app: Sphinx, config) -> None:
    root = Path(app.srcdir)
    out = root / GENERATED
    try:
        student_versions.generate(root / "exercises", out / "assignments")
        entries = glossary.load(root / "book" / "glossary")
    except (student_versions.StudentVersionError, glossary.GlossaryError) as exc:
        raise ExtensionError(str(exc)) from exc
    page = out / "glossary.md"
    text = glossary.to_myst(entries)
    if not page.exists() or page.read_text(encoding="utf-8") != text:
        page.write_text(text, encoding="utf-8")


def jupyterhub_from_environment(app: Sphinx, config) -> None:
    """Take the JupyterHub launch button's hub URL from SICOURSE_JUPYTERHUB_URL, if set.

    The hub differs between institutions, so it is given when building, not in _config.yml.
    """
    url = os.environ.get("SICOURSE_JUPYTERHUB_URL", "").strip()
    if url:
        launch = config.html_theme_options.setdefault("launch_buttons", {})
        launch["jupyterhub_url"] = url


def drop_repeated_scripts(app: Sphinx, pagename, templatename, context, doctree) -> None:
    scripts, seen = [], set()
    for script in context.get("script_files", []):
        # An inline script's filename is None in one copy and "" in the other.
        key = (str(getattr(script, "filename", script) or ""),
               tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            scripts.append(script)
    # In place: the list is the builder's own, which other handlers append to.
    context["script_files"][:] = scripts


def assignment_download_link(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """Under an assignment page's title, a link to download its notebook (the student version),
    and how to work on it in the browser instead ("Open in the browser", sicourse.book.lite_launch).

    The theme's download and launch menus have them too, but a student looking for the file
    to work on should find it in the page itself.
    """
    prefix = (GENERATED / "assignments").as_posix() + "/"
    body, source = context.get("body"), context.get("sourcename", "")
    if not pagename.startswith(prefix) or not body or not source.endswith(".ipynb"):
        return
    href = context["pathto"]("_sources/" + source, 1)
    guide = context["pathto"]("book/how-to-use") + "#how-to-use-browser"
    name = html.escape(Path(source).name)
    link = (f'<p class="sic-download"><a href="{html.escape(href)}" download="{name}">'
            f"Download this assignment as a notebook ({name})</a> and open it in Jupyter, or "
            "choose <em>Open in the browser</em> in the launch menu (the rocket icon above) to "
            "work on it in your browser with nothing to install: save with Ctrl+S (your work "
            "stays in this browser), then <em>File → Download</em> gives you the notebook. "
            "Hand it in as your instructor tells you "
            f'(<a href="{html.escape(guide)}">how working in the browser works</a>).</p>')
    context["body"] = body.replace("</h1>", "</h1>\n" + link, 1)


def setup(app: Sphinx) -> dict:
    # Before sphinx-external-toc (priority 500) checks that the TOC's files exist.
    app.connect("config-inited", generate_pages, priority=100)
    app.connect("config-inited", clear_stale_widget_outputs)
    app.connect("config-inited", jupyterhub_from_environment)
    app.connect("env-get-outdated", pages_with_old_widgets)
    app.connect("build-finished", save_fingerprint)
    # Last, after every extension has added its scripts to the page.
    app.connect("html-page-context", assignment_download_link)
    app.connect("html-page-context", drop_repeated_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
