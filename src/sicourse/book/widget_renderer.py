"""Sphinx extension: pages with saved widgets use the course's small static renderer.

MyST-NB normally gives every page with widgets require.js and the
@jupyter-widgets/html-manager bundle (4.3 MB) to render the saved widget
state. The course's widgets are anywidgets, whose saved state carries their
own ES module and CSS, so ``static/sicourse-widgets.js`` (a few KB) mounts
them directly. A page with any other kind of widget still gets the standard
html-manager, loaded by that script from the URLs below (config values, so an
offline build can point them at local copies).
"""

from __future__ import annotations

import json

from sphinx.application import Sphinx

from sicourse import STATIC

RENDERER = "sicourse-widgets.js"
CDN = "https://cdn.jsdelivr.net/npm/"
# The fallback's files, as package.json pins them (the browser tests serve the same
# files from node_modules/). URLs may be relative to the renderer's own URL.
DEFAULTS = {
    "sicourse_requirejs_url": f"{CDN}requirejs@2.3.8/require.js",
    "sicourse_requirejs_integrity":
        "sha384-gzoQyNpzaOK+Aes9TTuBq/ZgYdleZUDN3sFwxyLRbRytLEWofprkKj2F7z3a6nTu",
    "sicourse_html_manager_url": f"{CDN}@jupyter-widgets/html-manager@1.0.6/dist/embed-amd.js",
    "sicourse_widgets_cdn": CDN,  # where the manager fetches widget modules (anywidget)
    "sicourse_require_paths": {},  # extra require.js paths, e.g. an offline anywidget
}


def use_static_renderer(app: Sphinx, config) -> None:
    config.html_static_path = [*config.html_static_path, str(STATIC)]
    attributes = {
        "data-requirejs": config.sicourse_requirejs_url,
        "data-requirejs-integrity": config.sicourse_requirejs_integrity,
        "data-html-manager": config.sicourse_html_manager_url,
        "data-jupyter-widgets-cdn": config.sicourse_widgets_cdn,
        "data-require-paths": json.dumps(config.sicourse_require_paths),
    }
    config.nb_ipywidgets_js = {RENDERER: {k: v for k, v in attributes.items() if v}}


def setup(app: Sphinx) -> dict:
    for name, default in DEFAULTS.items():
        app.add_config_value(name, default, "html")
    # MyST-NB reads nb_ipywidgets_js when the builder starts, after this.
    app.connect("config-inited", use_static_renderer)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
