"""Sphinx extension: the book's editions in other languages, and the way between them.

Every page of every edition gets a language switcher (a ``nav`` before the article's
header buttons) whose links open the same page in the other editions: English at the
site's root, each other edition in ``<root>/<code>/`` (``sicourse build``, see
:mod:`sicourse.book.build`). A right-to-left edition's pages get ``dir="rtl"`` on their
``html`` element, which the course's style sheet mirrors the layout by.

The editions and their languages come from ``locales/languages.yml``; the edition being
built is Sphinx's ``language``.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from sphinx.application import Sphinx

from sicourse.book import translations
from sicourse.book.translations import Languages, TranslationError

CSS = "sicourse-editions.css"  # the switcher, and right-to-left rules under html[dir=rtl]
MARKER = '<div class="article-header-buttons">'


def _languages(app: Sphinx) -> Languages | None:
    try:
        return Languages.read(Path(app.confdir))
    except TranslationError:
        return None  # a course without editions


def switcher(languages: Languages, current: str, pagename: str) -> str:
    """The switcher's HTML for ``pagename`` in the edition ``current``."""
    depth = pagename.count("/") + (0 if current == languages.source else 1)
    up = "../" * depth
    items = []
    for code in [languages.source, *languages.editions]:
        name = html.escape(languages.names[code])
        attrs = f'lang="{code}" dir="{languages.dirs[code]}"'
        if code == current:
            items.append(f'<li><span {attrs} aria-current="page">{name}</span></li>')
            continue
        prefix = "" if code == languages.source else f"{code}/"
        href = html.escape(f"{up}{prefix}{pagename}.html")
        items.append(f'<li><a href="{href}" hreflang="{code}" {attrs}>{name}</a></li>')
    label = "اللغة" if current == "ar" else "Language"
    return (f'<nav class="sicourse-languages" aria-label="{label}"><ul>'
            + "".join(items) + "</ul></nav>")


_BACKREF = re.compile(r'<a role="doc-backlink" href="#([^"]+)">([^<]*)</a>')


def unlink_lost_backrefs(text: str) -> str:
    """A citation's back-links whose citation has no id in the page left as plain numbers.

    In a translated page sphinxcontrib-bibtex sometimes keeps the English page's ids for a
    citation's back-links while the translated paragraph's citations get new ones.
    """
    ids = set(re.findall(r'\bid="([^"]+)"', text))
    return _BACKREF.sub(lambda m: m.group(0) if m.group(1) in ids else
                        f"<span>{m.group(2)}</span>", text)


def add_switcher_and_direction(app: Sphinx, exception: Exception | None) -> None:
    languages = _languages(app)
    if exception is not None or languages is None or app.builder.format != "html":
        return
    current = app.config.language or languages.source
    if current != languages.source and current not in languages.editions:
        return
    rtl = languages.dirs.get(current) == "rtl"
    out = Path(app.outdir)
    for pagename in app.env.found_docs:
        page = out / f"{pagename}.html"
        if not page.is_file():
            continue
        text = page.read_text(encoding="utf-8")
        if MARKER in text and "sicourse-languages" not in text:
            text = text.replace(MARKER, switcher(languages, current, pagename) + MARKER, 1)
        if rtl:
            text = text.replace(f'<html lang="{current}"', f'<html lang="{current}" dir="rtl"', 1)
        if current != languages.source:
            text = unlink_lost_backrefs(text)
        page.write_text(text, encoding="utf-8")


def add_interface_strings(app: Sphinx) -> None:
    """An edition's words for the widgets' buttons, verdicts and hints (``interface.po``),
    as ``globalThis.SICOURSE_STRINGS``, before any widget renders; and its catalogues
    for the book theme's own strings where the theme has none (Hebrew: it ships "iw")."""
    languages = _languages(app)
    language = app.config.language or ""
    if languages is None or language == languages.source:
        return
    root = Path(app.confdir)
    strings = translations.interface_catalogue(root, language)
    if strings:
        body = json.dumps(strings, ensure_ascii=False, sort_keys=True).replace("</", "<\\/")
        app.add_js_file(None, body=f"globalThis.SICOURSE_STRINGS = {body};", priority=100)
    app.add_message_catalog("booktheme", str(root / translations.LOCALES))


def setup(app: Sphinx) -> dict:
    app.add_css_file(CSS)
    app.connect("builder-inited", add_interface_strings)
    app.connect("build-finished", add_switcher_and_direction)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
