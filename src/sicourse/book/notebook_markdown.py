"""The lessons' MyST Markdown as plain Markdown, for their notebooks in JupyterLite.

JupyterLab shows Markdown as CommonMark: the book's roles and directives would appear
as raw text, such as ``{cite}`murray2010``` or a fenced ``{admonition}``. In the
notebook version of a lesson:

* ``{cite}`a,b``` becomes the label the book shows, "(Murray et al., 2010; Mulgan,
  2006)", and the ``{bibliography}`` directive the list of works the notebook cites,
  formatted by pybtex (as sphinxcontrib-bibtex does for the book) from
  ``book/references.bib``;
* ``{term}`text <Term>``` becomes **text**; ``{ref}`text <label>``` becomes the text,
  and ``{ref}`label``` the title of the section the label is on;
* an admonition becomes a quote with its title in bold; a figure its image (inside
  the Markdown, as a ``data:`` URL: JupyterLab would first ask the server for a relative
  path from the page's own folder, a 404, before resolving it), alt text and caption;
  ``(label)=`` lines go. Any other directive keeps its content.
"""

from __future__ import annotations

import base64
import mimetypes
import re
from pathlib import Path

from pybtex.database import Entry, parse_file
from pybtex.plugin import find_plugin

ROLE = re.compile(r"\{(?P<name>[\w:-]+)\}`(?P<text>[^`]*)`")
EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
LABEL_LINE = re.compile(r"^\(([\w.:-]+)\)=[ \t]*\n?", re.M)
LABELLED_HEADING = re.compile(r"^\(([\w.:-]+)\)=[ \t]*\n+#+[ \t]+(.+?)[ \t]*$", re.M)
DIRECTIVE = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}[ \t]*(?P<arg>[^\n]*)\n"
    r"(?P<body>.*?)^(?P=fence)[ \t]*$", re.M | re.S)
OPTION = re.compile(r"^:([\w-]+):[ \t]*(.*)$")


class Bibliography:
    """The book's references: labels as the book shows them, and formatted entries."""

    def __init__(self, bib: Path):
        self.entries = parse_file(str(bib), bib_format="bibtex").entries
        self._style = find_plugin("pybtex.style.formatting", "plain")()

    def label(self, key: str) -> str:
        entry = self.entries.get(key)
        if entry is None:
            return key
        return f"{_names(entry)}, {entry.fields.get('year', 'n.d.')}"

    def references(self, keys: list[str]) -> str:
        """A Markdown list of the entries of ``keys``, in the order of their labels."""
        known = sorted({k for k in keys if k in self.entries},
                       key=lambda k: self.label(k).strip("*").casefold())
        return "\n".join(
            "- " + " ".join(self._style.format_entry(key, self.entries[key]).text
                            .render_as("markdown").split())
            for key in known)


def _names(entry: Entry) -> str:
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    last = [" ".join(p.last_names).replace("{", "").replace("}", "") for p in people]
    if len(last) > 2:
        return f"{last[0]} et al."
    if last:
        return " and ".join(last)
    title = entry.fields.get("title", "").replace("{", "").replace("}", "")
    return f"*{title}*" if title else entry.key  # as the book shows an unsigned work


def section_titles(pages: list[Path]) -> dict[str, str]:
    """{label: the title of the heading it stands before}, over ``pages``."""
    found = {}
    for page in pages:
        for label, title in LABELLED_HEADING.findall(page.read_text(encoding="utf-8")):
            found[label] = ROLE.sub(lambda m: _target(m["text"])[0], title)
    return found


def _target(text: str) -> tuple[str, str]:
    """(shown text, target) of a role's content: ``text <target>`` or just ``target``."""
    explicit = EXPLICIT.match(text)
    return (explicit["text"], explicit["target"]) if explicit else (text, text)


def cited(markdown: str) -> list[str]:
    """Every key a ``{cite}`` role of ``markdown`` names, in order."""
    return [key.strip() for m in ROLE.finditer(markdown) if m["name"].startswith("cite")
            for key in m["text"].split(",") if key.strip()]


def plain(markdown: str, bib: Bibliography, titles: dict[str, str],
          keys: list[str], folder: Path | None = None) -> str:
    """``markdown`` without MyST syntax; ``keys`` are the notebook's citations, for
    its bibliography, and ``folder`` the one its figures' paths start from."""
    text = DIRECTIVE.sub(lambda m: _directive(m, bib, titles, keys, folder), markdown)
    text = LABEL_LINE.sub("", text)
    return ROLE.sub(lambda m: _role(m["name"], m["text"], bib, titles), text)


def _role(name: str, content: str, bib: Bibliography, titles: dict[str, str]) -> str:
    if name.startswith("cite"):
        return "(" + "; ".join(bib.label(k.strip()) for k in content.split(",")
                               if k.strip()) + ")"
    shown, target = _target(content)
    if name == "term":
        return f"**{shown}**"
    if name == "ref" and shown == target:
        return f"*{titles[target]}*" if target in titles else target
    return shown


def _inline(path: Path) -> str:
    """The file at ``path`` as a ``data:`` URL."""
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _directive(match: re.Match, bib: Bibliography, titles: dict[str, str],
               keys: list[str], folder: Path | None) -> str:
    name, arg = match["name"], match["arg"].strip()
    options, lines = {}, match["body"].splitlines()
    while lines and (option := OPTION.match(lines[0])):
        options[option[1]] = option[2]
        lines.pop(0)
    body = plain("\n".join(lines).strip("\n"), bib, titles, keys, folder)
    if name == "bibliography":
        return bib.references(keys) + "\n"
    if name == "figure":
        alt = options.get("alt", "").replace("]", "")
        caption = f"\n\n*Figure.* {body}" if body else ""
        return f"![{alt}]({_inline(folder / arg) if folder else arg}){caption}\n"
    if name == "admonition" or name in ("note", "tip", "warning", "important", "hint"):
        title = arg or name.capitalize()
        quoted = "\n".join(f"> {line}".rstrip() for line in body.splitlines())
        return f"> **{plain(title, bib, titles, keys)}**\n>\n{quoted}\n"
    return body + "\n"
