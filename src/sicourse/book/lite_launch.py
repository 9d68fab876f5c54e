"""The launch entry "Open in the browser" on every lesson and assignment page.

It opens the page's notebook in the JupyterLite site the book carries
(:mod:`sicourse.book.lite_site`, at ``lite/`` beside the pages), in JupyterLite's
Notebook interface: nothing to install, no server. It comes first in the theme's launch
menu, before Binder and JupyterHub. ``sicourse_lite_root`` is the site's folder relative
to the root of the pages (``../lite/`` for an edition in ``<language>/``).
"""

from __future__ import annotations

from sphinx.application import Sphinx
from sphinx.locale import _

from sicourse.book.lite_site import FOLDER, page_notebook

LABEL = "Open in the browser"
TOOLTIP = "Run this page as a notebook in your browser (JupyterLite): nothing to install"
MESSAGES = (LABEL, TOOLTIP)  # in the sphinx catalogue (sicourse.book.translations)


def lite_url(pathto, root: str, notebook: str) -> str:
    """The link from the current page to ``notebook`` in JupyterLite's Notebook interface."""
    return f"{pathto(root + 'notebooks/index.html', 1)}?path={notebook}"


def add_entry(app: Sphinx, pagename, templatename, context, doctree) -> None:
    notebook = page_notebook(pagename)
    groups = [b for b in context.get("header_buttons", [])
              if b.get("label") == "launch-buttons"]
    if notebook is None or not groups:
        return
    groups[0]["buttons"].insert(0, {
        "type": "link",
        "text": _(LABEL),
        "tooltip": _(TOOLTIP),
        "icon": "_static/images/logo_jupyterlite.svg",
        "url": lite_url(context["pathto"], app.config.sicourse_lite_root, notebook),
        "label": "launch-lite",
    })


def setup(app: Sphinx) -> dict:
    app.add_config_value("sicourse_lite_root", f"{FOLDER}/", "html")
    # After the theme's launch buttons (html-page-context, default priority 500).
    app.connect("html-page-context", add_entry, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
