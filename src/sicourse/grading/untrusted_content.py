"""nbgrader preprocessor: nothing a student wrote runs in anyone's browser.

A submission's markdown answers and the outputs of its run are shown as web
pages: Formgrader's grading page (the autograded notebook rendered by nbconvert,
in the Jupyter server's own origin, where a script could rewrite any file
through the contents API), the feedback pages, and JupyterLab. This
preprocessor turns a notebook into data that is safe to show there:

- Markdown (cells and ``text/markdown`` outputs): every ``<`` that would open an
  HTML tag, comment or declaration gets a space after it (``< script``), so the
  raw HTML shows as text in any renderer, code spans, fenced blocks and math
  included; bare formatting tags such as ``<b>``, ``<sub>`` or ``<br>`` stay.
  Where a link or image would still point anywhere unsafe (``javascript:``, a
  page of the submission), the whole cell is shown as plain text.
- ``text/html`` outputs go through nh3 (the Ammonia sanitiser): no script, style,
  iframe, object, embed, form, SVG, event handler, nor unsafe URL remains.
- Every other rich output (JavaScript, widget views, SVG, unknown types) is
  dropped; ``text/plain`` stays, or a note says what was removed.
- Widget state, trust signatures and attachments other than PNG, JPEG or GIF
  images are removed.

Configured in ``nbgrader_config.py``: in autograding right after the run, and in
every HTML page nbgrader makes from a notebook (Formgrader, feedback).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

# Output types shown as they are (text) or after sanitising (html, markdown).
KEPT_OUTPUTS = {"text/plain", "text/html", "text/markdown", "text/latex",
                "image/png", "image/jpeg"}
ATTACHMENT_TYPES = {"image/png", "image/jpeg", "image/gif"}
REMOVED = "[removed by the grader: {}]"

# A "<" that starts a tag, end tag, comment, declaration or processing instruction
# in HTML, unless it is one of a few bare formatting tags (no attributes).
_FORMATTING = r"b|i|em|strong|u|s|sub|sup|code|kbd|mark|small|br"
_TAG_OPEN = re.compile(rf"<(?!/?(?:{_FORMATTING})\s*/?>)(?=[A-Za-z/!?])", re.IGNORECASE)
# Files a relative link may open: data files, never a page that could run a script.
_LINKABLE = re.compile(r"[\w./-]+\.(?:csv|tsv|txt|json|ya?ml|md|py|ipynb|pdf|png|jpe?g|gif)",
                       re.IGNORECASE)
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*:")
_IMAGE_DATA = re.compile(r"data:image/(?:png|jpeg|gif|webp)[;,]")


def safe_url(element: str, attribute: str, value: str) -> str | None:
    """The value of a URL attribute if it cannot run a script or open a page of
    the submission, else None. Other attributes are returned unchanged
    (the signature of nh3's ``attribute_filter``)."""
    if attribute not in ("href", "src"):
        return value
    url = re.sub(r"[\x00-\x20]", "", value).lower()  # browsers ignore these
    if url.startswith(("http://", "https://", "//", "\\\\")):
        return value
    if attribute == "src":
        relative = not _SCHEME.match(url)
        ok = element == "img" and (relative or _IMAGE_DATA.match(url)
                                   or url.startswith("attachment:"))
    else:
        ok = url.startswith(("mailto:", "#")) or bool(_LINKABLE.fullmatch(value.strip()))
    return value if ok else None


def safe_html(html: str) -> str:
    """HTML without active content: nh3's default tags and attributes, safe URLs."""
    return nh3.clean(html, attribute_filter=safe_url,
                     url_schemes={"http", "https", "mailto", "data"})


class _UnsafeUrls(HTMLParser):
    """Finds links and images that ``safe_url`` rejects in rendered markdown."""

    found = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if safe_url(tag, name, value or "") is None:
                self.found = True


def _renders_safely(markdown: str, attachments: dict) -> bool:
    """Do nbconvert's markdown renderer's links and images (the HTML Formgrader
    and feedback show) all pass ``safe_url``?"""
    try:
        renderer = IPythonRenderer(escape=False, attachments=attachments)
        html = MarkdownWithMath(renderer=renderer).render(markdown)
    except Exception:  # noqa: BLE001 - what nbconvert cannot render is shown as text
        return False
    finder = _UnsafeUrls()
    finder.feed(html)
    finder.close()
    return not finder.found


def plain_text(source: str) -> str:
    """Markdown that shows ``source`` as literal text in any renderer: every
    character but letters, digits and line breaks becomes a character reference."""
    return "".join(c if c.isalnum() or c == "\n" else f"&#{ord(c)};" for c in source)


def safe_markdown(source: str, attachments: dict | None = None) -> str:
    """Markdown whose raw HTML shows as text and whose links and images are safe."""
    text = _TAG_OPEN.sub("< ", source)
    return text if _renders_safely(text, attachments or {}) else plain_text(source)


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def clean_output(output) -> None:
    """Sanitise one output of a code cell in place."""
    data = output.get("data")
    if data is None:  # streams and errors: nbconvert escapes them
        return
    removed = sorted(mime for mime in data if mime not in KEPT_OUTPUTS)
    for mime in removed:
        del data[mime]
    if "text/html" in data:
        data["text/html"] = safe_html(_text(data["text/html"]))
    if "text/markdown" in data:
        data["text/markdown"] = safe_markdown(_text(data["text/markdown"]))
    if removed and set(data) <= {"text/plain"}:
        data["text/plain"] = REMOVED.format(", ".join(removed))


def clean_cell(cell) -> None:
    """Sanitise one cell in place: markdown source, outputs, attachments, trust."""
    cell.metadata.pop("trusted", None)
    if "attachments" in cell:
        kept = {name: {mime: data for mime, data in bundle.items() if mime in ATTACHMENT_TYPES}
                for name, bundle in cell.attachments.items()}
        cell.attachments = {name: bundle for name, bundle in kept.items() if bundle}
    if cell.cell_type == "markdown":
        cell.source = safe_markdown(cell.source, cell.get("attachments"))
    for output in cell.get("outputs", []):
        clean_output(output)


class SanitizeStudentContent(Preprocessor):
    """Make a notebook's markdown and outputs safe to show in a browser."""

    enabled = Bool(True, help="Sanitise (on wherever it is listed).").tag(config=True)

    def preprocess(self, nb, resources):
        for key in ("signature", "widgets"):
            nb.metadata.pop(key, None)
        for cell in nb.cells:
            clean_cell(cell)
        return nb, resources
