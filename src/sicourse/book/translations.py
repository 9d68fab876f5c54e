"""The book's translations: gettext catalogues in ``locales/``, kept as Sphinx and
sphinx-intl keep them, plus one catalogue for the widgets' YAML text.

* :func:`extract` runs Sphinx's gettext builder over the book (one ``.pot`` per page,
  ``gettext_compact: false`` in ``_config.yml``) and writes ``widgets.pot`` from every
  widget content file (:mod:`sicourse.widgets.translation`);
* :func:`update` merges them into ``locales/<lang>/LC_MESSAGES/**/*.po`` with
  sphinx-intl, keeping what is translated;
* :func:`shares` counts, per language, the messages of the edition's scope
  (``locales/languages.yml``) that have a translation that is not fuzzy.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sicourse import STATIC
from sicourse.errors import SicourseError
from sicourse.widgets import translation as widget_text

LOCALES = "locales"
INTERFACE = "interface"  # the catalogue of the widgets' own buttons, verdicts and hints
LANGUAGES = f"{LOCALES}/languages.yml"


class TranslationError(SicourseError):
    """The translation set-up cannot be used; the message says why."""


@dataclass(frozen=True)
class Languages:
    source: str
    names: dict[str, str]
    dirs: dict[str, str]
    editions: list[str]
    scope: list[str]
    titles: dict[str, str] = field(default_factory=dict)  # the book's title, by language

    @property
    def targets(self) -> list[str]:
        """Every language but the source, in the file's order."""
        return [code for code in self.names if code != self.source]

    @classmethod
    def read(cls, root: Path) -> Languages:
        path = root / LANGUAGES
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            languages = data["languages"]
            found = cls(str(data["source"]),
                        {str(k): str(v["name"]) for k, v in languages.items()},
                        {str(k): str(v.get("dir", "ltr")) for k, v in languages.items()},
                        [str(code) for code in data.get("editions", [])],
                        [str(entry) for entry in data.get("scope", [])],
                        {str(k): str(v["title"]) for k, v in languages.items()
                         if v.get("title")})
        except FileNotFoundError:
            raise TranslationError(f"{path}: not found") from None
        except (yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
            raise TranslationError(f"{path}: not a languages file ({exc})") from None
        unknown = [code for code in found.editions if code not in found.names]
        if unknown or found.source not in found.names:
            raise TranslationError(f"{path}: editions and source must be languages listed "
                                   f"under languages: {', '.join(unknown or [found.source])}")
        return found


def extract(root: Path, build_dir: Path) -> Path:
    """Write the book's message templates (``.pot``) under ``build_dir``; their folder."""
    from sicourse.book.build import JUPYTER_BOOK  # the same jupyter-book, the same way

    out = build_dir / "gettext-build"
    pot_dir = out / "_build" / "gettext"
    shutil.rmtree(pot_dir, ignore_errors=True)  # no template of a page since removed
    result = subprocess.run([
        sys.executable, "-c", JUPYTER_BOOK, "build", str(root),
        "--builder", "custom", "--custom-builder", "gettext", "--path-output", str(out),
    ], capture_output=True, text=True)
    if result.returncode != 0 or not pot_dir.is_dir():
        raise TranslationError("extracting the book's text failed:\n"
                               + (result.stdout + result.stderr)[-3000:])
    # Graded assignments stay in English in every edition: no catalogue for them.
    shutil.rmtree(pot_dir / "book" / "generated" / "assignments", ignore_errors=True)
    write_widgets_pot(root, pot_dir)
    write_interface_pot(pot_dir / f"{INTERFACE}.pot")
    add_extension_messages(pot_dir / "sphinx.pot")
    return pot_dir


def add_extension_messages(pot: Path) -> None:
    """Add to ``sphinx.pot`` the words the course's Sphinx extensions put into pages with
    Sphinx's ``_()`` outside a template (the gettext builder reads only templates)."""
    from babel.messages.pofile import read_po, write_po

    from sicourse.book import lite_launch

    with open(pot, "rb") as f:
        catalog = read_po(f)
    for text in lite_launch.MESSAGES:
        catalog.add(text, locations=[("src/sicourse/book/lite_launch.py", None)])
    with open(pot, "wb") as f:
        write_po(f, catalog, width=76, include_lineno=False)


def write_widgets_pot(root: Path, folder: Path) -> int:
    """The text of the widget content files (``lessons/<lesson>/*.yml``): one template per
    lesson, ``widgets/<lesson>.pot``; the number of messages."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    count = 0
    for lesson in sorted(p for p in (root / "lessons").iterdir() if p.is_dir()):
        catalog = Catalog(project=f"widgets of {lesson.name}")
        for path in sorted(lesson.glob("*.yml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            rel = path.relative_to(root).as_posix()
            for text in widget_text.strings(data):
                catalog.add(text, locations=[(rel, None)])
        if not len(catalog):
            continue
        count += len(catalog)
        target = folder / widget_text.CATALOGUE / f"{lesson.name}.pot"
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as f:
            write_po(f, catalog, width=76, include_lineno=False)
    return count


# A string literal given to the widgets' t() or N_() (static/widgets/common.js).
_JS_TEXT = re.compile(r"""\b(?:t|N_)\(\s*(["'])((?:\\.|(?!\1).)*)\1""")


def interface_strings() -> list[str]:
    """The widgets' own interface text (buttons, verdicts, hints), in source order."""
    found: list[str] = []
    for path in sorted((STATIC / "widgets").glob("*.js")):
        for _, text in _JS_TEXT.findall(path.read_text(encoding="utf-8")):
            text = re.sub(r"\\(.)", r"\1", text)
            if text not in found:
                found.append(text)
    return found


def write_interface_pot(target: Path) -> int:
    """The widgets' interface text as one template, ``interface.pot``."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    catalog = Catalog(project="course widgets' interface")
    for text in interface_strings():
        catalog.add(text, locations=[("src/sicourse/static/widgets", None)])
    with open(target, "wb") as f:
        write_po(f, catalog, width=76, include_lineno=False)
    return len(catalog)


def interface_catalogue(root: Path, language: str) -> dict[str, str]:
    """{English: translation} of the widgets' interface text in ``language``."""
    path = root / LOCALES / language / "LC_MESSAGES" / f"{INTERFACE}.po"
    return widget_text.read_translations([path] if path.is_file() else [])


def update(root: Path, pot_dir: Path, languages: list[str]) -> dict[str, int]:
    """Create or merge ``locales/<lang>/LC_MESSAGES/**/*.po`` from the templates."""
    from sphinx_intl import basic

    return basic.update(str(root / LOCALES), str(pot_dir), tuple(languages))


@dataclass
class Share:
    language: str
    translated: int = 0
    total: int = 0
    missing: dict[str, int] = field(default_factory=dict)  # catalogue -> untranslated

    @property
    def percent(self) -> float:
        return 100.0 * self.translated / self.total if self.total else 0.0


def _in_scope(catalogue: str, scope: list[str]) -> bool:
    return any(catalogue == entry or catalogue.startswith(entry) for entry in scope)


def share(root: Path, language: str, scope: list[str]) -> Share:
    """How much of the edition's scope has a translation in ``language``."""
    from babel.messages.pofile import read_po

    found = Share(language)
    folder = root / LOCALES / language / "LC_MESSAGES"
    for path in sorted(folder.rglob("*.po")):
        catalogue = path.relative_to(folder).with_suffix("").as_posix()
        if not _in_scope(catalogue, scope):
            continue
        with open(path, "rb") as f:
            try:
                messages = [m for m in read_po(f) if m.id]
            except Exception as exc:  # noqa: BLE001 - babel raises many kinds
                raise TranslationError(f"{path}: cannot be read ({exc})") from None
        done = sum(1 for m in messages if m.string and not m.fuzzy)
        found.translated += done
        found.total += len(messages)
        if done < len(messages):
            found.missing[catalogue] = len(messages) - done
    return found


def shares(root: Path) -> list[Share]:
    """The share of every language but the source."""
    languages = Languages.read(root)
    return [share(root, code, languages.scope) for code in languages.targets]


# Markup a translation must keep: what Sphinx resolves (roles, links, footnotes) and what
# is never translated (code, formulas). A role's text may be translated, its target not:
# {term}`Social value` becomes {term}`القيمة الاجتماعية <Social value>`.
_ROLE = re.compile(r"\{([a-z:-]+)\}`([^`]*)`")
_CODE = re.compile(r"(?<![}`])`([^`]+)`")
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_PLACEHOLDER = re.compile(r"\{\d+\}")  # the widgets' interface text: t("... {0} ...", value)
_FOOTNOTE = re.compile(r"\[\^([^\]]+)\]")
# Inline maths; not an escaped \$ or a currency sign after letters (US$9.6, A$).
_MATH = re.compile(r"(?<![\\A-Za-z])\$[^$\n]+?(?<!\\)\$")


def _role_target(role: str, text: str) -> tuple[str, str]:
    explicit = re.search(r"<([^<>]+)>\s*$", text)
    return role, (explicit.group(1) if explicit else text).strip()


def markup(text: str) -> list[tuple]:
    """The markup of ``text`` that its translation must keep, sorted."""
    found: list[tuple] = [("role", *_role_target(r, t)) for r, t in _ROLE.findall(text)]
    rest = _ROLE.sub("", text)
    found += [("code", c) for c in _CODE.findall(rest)]
    found += [("link", u) for u in _LINK.findall(rest)]
    found += [("footnote", f) for f in _FOOTNOTE.findall(rest)]
    found += [("math", m) for m in _MATH.findall(rest)]
    found += [("placeholder", p) for p in _PLACEHOLDER.findall(rest)]
    return sorted(found)


def markup_problem(source: str, translated: str) -> str:
    """Why ``translated`` cannot stand for ``source`` ("" when it can)."""
    want, got = markup(source), markup(translated)
    if want == got:
        return ""
    missing = [m for m in want if m not in got]
    extra = [m for m in got if m not in want]
    return "; ".join(part for part in (
        f"missing {', '.join(':'.join(m) for m in missing)}" if missing else "",
        f"not in the English {', '.join(':'.join(m) for m in extra)}" if extra else "") if part)


@dataclass
class Problem:
    catalogue: Path
    source: str
    why: str


def problems(root: Path, language: str) -> list[Problem]:
    """Translations in ``language`` whose markup differs from the English."""
    from babel.messages.pofile import read_po

    found = []
    for path in sorted((root / LOCALES / language / "LC_MESSAGES").rglob("*.po")):
        with open(path, "rb") as f:
            try:
                messages = list(read_po(f))
            except Exception as exc:  # noqa: BLE001 - babel raises many kinds
                found.append(Problem(path, "", f"cannot be read: {exc}"))
                continue
        for m in messages:
            if m.id and m.string and not m.fuzzy and isinstance(m.id, str):
                why = markup_problem(m.id, m.string)
                if why:
                    found.append(Problem(path, m.id, why))
    return found
