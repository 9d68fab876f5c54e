"""Sphinx extension: the theme's and docutils' markup, made to pass an accessibility audit.

The browser test ``tests/browser/test_accessibility_browser.py`` runs axe-core over every
page of the built book; these are the fixes for what it found in markup and colours the
course does not write itself (see ``book/accessibility.md``, the published statement):

* **Citation lists** (``aria-required-children``). Docutils writes each list of
  references (sphinxcontrib-bibtex's ``{bibliography}``) as ``<div role="list">`` whose
  entries have the role ``doc-biblioentry``, which DPUB-ARIA 1.1 deprecates and which is
  not a list item, so the list has no items and the entries' back-links sit directly in
  it. Here each entry is a ``role="listitem"``: a screen reader announces a list of N
  references, and the back-links are inside an item.
* **The search and colour-mode buttons** (``label-content-name-mismatch``): templates in
  ``templates/`` replace pydata-sphinx-theme's, so each button's accessible name holds the
  text it shows. The search button's name is its visible "Search Ctrl+K" (the theme's
  ``aria-label="Search"`` left out the shortcut); the colour-mode button's name is
  "Color mode: Light" (Dark, System Settings), a hidden text beside each icon, where the
  theme named it "Color mode" while its icons carried other titles.
* **Tables with row headers** (``td-has-header``): a table whose top-left header cell is
  empty, as the lessons' comparison tables have it, labels its rows with its first column.
  Docutils wrote those labels as data cells, so a large table's cells in that column had
  no header and a screen reader could not name a cell's row; a doctree transform makes
  that column the table's stub column (row headers, ``<th>``).
* **Search results in the dark theme** (``color-contrast``): ``sicourse/static/accessibility.css``
  marks the words searched for in colours that keep a result's title readable.
* **The sidebar buttons on a phone**: ``templates/sections/header.html`` is the theme's
  header without its own (never shown) sidebar toggles, so the themes' scripts bind to the
  buttons sphinx-book-theme shows, and a phone reader can open the navigation and the
  page's contents (pydata-sphinx-theme issue 2451); on a desktop the same button hides
  and shows the navigation again.
"""

from __future__ import annotations

import types
from pathlib import Path

from docutils import nodes
from docutils.transforms import Transform
from sphinx.application import Sphinx

from sicourse import STATIC

#: Template overrides for pydata-sphinx-theme's components (found before the theme's own).
TEMPLATES = Path(__file__).parent / "templates"
#: Colour fixes, in sicourse's static files.
CSS = "accessibility.css"


def use_templates_and_styles(app: Sphinx, config) -> None:
    config.templates_path = [str(TEMPLATES), *config.templates_path]
    if str(STATIC) not in config.html_static_path:  # sicourse.book.widget_renderer adds it too
        config.html_static_path = [*config.html_static_path, str(STATIC)]


class CitationListItems:
    """Translator mixin: citation entries are items of the list docutils wraps them in."""

    def visit_citation(self, node: nodes.citation) -> None:
        # docutils' HTML5 writer, with role="listitem" for its role="doc-biblioentry";
        # its depart_citation closes both elements.
        if not isinstance(node.previous_sibling(), type(node)):
            self.body.append('<div role="list" class="citation-list">\n')
        self.body.append(self.starttag(node, "div", classes=[node.tagname], role="listitem"))


class RowHeaders(Transform):
    """A table whose top-left header cell is empty has its row headers in its first column.

    Only when every body row has a label there, and no cell of that column spans rows.
    """

    default_priority = 500

    def apply(self) -> None:
        for tgroup in self.document.findall(nodes.tgroup):
            colspecs = [c for c in tgroup.children if isinstance(c, nodes.colspec)]
            heads = [c for c in tgroup.children if isinstance(c, nodes.thead)]
            bodies = [c for c in tgroup.children if isinstance(c, nodes.tbody)]
            if len(colspecs) < 2 or not heads or not bodies:
                continue
            rows = [r for part in (*heads, *bodies) for r in part.findall(nodes.row)]
            firsts = [r.children[0] for r in rows if r.children]
            if len(firsts) != len(rows) or any("morerows" in cell for cell in firsts):
                continue
            corner, labels = firsts[0], firsts[len(heads[0].children):]
            if not corner.astext().strip() and labels and all(c.astext().strip()
                                                              for c in labels):
                colspecs[0]["stub"] = 1


def accessible_translators(app: Sphinx) -> None:
    """Add CitationListItems to every HTML translator, as pydata-sphinx-theme adds its own."""
    if app.builder.format != "html":
        return
    registered = dict(app.registry.translators) or {
        app.builder.name: app.builder.default_translator_class}
    for name, translator in registered.items():
        app.set_translator(name, types.new_class(
            f"Accessible{translator.__name__}", (CitationListItems, translator), {}),
            override=True)


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", use_templates_and_styles)
    app.add_transform(RowHeaders)
    app.add_css_file(CSS)
    # After pydata-sphinx-theme (priority 500) has put its translator in place.
    app.connect("builder-inited", accessible_translators, priority=900)
    # A new env_version makes Sphinx read every page again, so the transform applies to all.
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
