"""The strict book build that ``make book`` (``sicourse build``) runs.

Two things keep rebuilds quick (see benchmarks/build.py):

* when no input of the build has changed since the last successful build into the same
  folder (the course's files, the Python environment, the build's options), the build is
  skipped: Sphinx would find nothing to do, after several seconds of start-up;
* jupyter-book runs without ``rfc3987_syntax``: jsonschema imports it, if installed, for
  an "iri" format check jupyter-book never makes, and it compiles 38 grammars on import
  (about 1.5 s of every build).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from html import unescape
from pathlib import Path

import yaml

from sicourse.book import lite_site, offline_assets, translations
from sicourse.errors import SicourseError

JUPYTER_BOOK = ("import sys; sys.modules['rfc3987_syntax'] = None; "
                "from jupyter_book.cli.main import main; main()")
STAMP = "sicourse-build-inputs.txt"  # in _build/: the inputs of the last good build
# Folders, by name anywhere in the course, that are outputs, caches or tools, not inputs.
NOT_INPUTS = {".git", ".venv", "node_modules", "_build", "__pycache__", ".pytest_cache",
              ".ruff_cache", ".ipynb_checkpoints", "release", "submitted", "autograded",
              "feedback", "reports"}


def strict_build_args(root: Path, output: Path | None = None,
                      config: Path | None = None) -> list[str]:
    """The jupyter-book command line: warnings fail the build, but all are reported."""
    args = [
        sys.executable, "-c", JUPYTER_BOOK, "build", str(root),
        "--builder", "html", "-W", "-n", "--keep-going",
    ]
    if output is not None:
        args += ["--path-output", str(output)]
    if config is not None:
        args += ["--config", str(config)]
    return args


def inputs_fingerprint(root: Path, build_dir: Path, options: dict[str, str]) -> str:
    """A digest of everything a build reads: every file of the course (name, size and
    time, as make and Sphinx judge changes), the installed packages, and the options.

    Conservative: a change to any file of the course, even one the book does not use,
    or to the Python environment (a package installed or upgraded) means a new build.
    """
    skip = {(root / "book" / "generated").resolve(), build_dir.resolve()}
    lines = [sys.executable, sys.version]
    for folder in sorted({sysconfig.get_paths()[k] for k in ("purelib", "platlib")}):
        lines.append(f"{folder} {os.stat(folder).st_mtime_ns}")
    lines += [f"{key}={value}" for key, value in sorted(options.items())]
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if d not in NOT_INPUTS
                               and (Path(folder) / d).resolve() not in skip)
        for name in sorted(files):
            path = Path(folder) / name
            stat = path.stat() if path.exists() else path.lstat()  # a dangling link
            lines.append(f"{path.relative_to(root).as_posix()} {stat.st_size} "
                         f"{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


EXTERNAL_LINKS = "external-links.txt"  # written beside html/ in _build/
_HREF = re.compile(r'<a\b[^>]*?\bhref="(https?://[^"]+)"')


def write_external_links(html: Path) -> Path:
    """List every web link of the built book, with the pages that have it, beside html/.

    CI never fetches them (no internet; sites come and go); check them by hand or with a
    link checker now and then: `_build/external-links.txt` is the list to work through.
    Links in the text of pages come first, then those of the page frame (buttons, footer).
    """
    groups: tuple[dict[str, list[str]], dict[str, list[str]]] = ({}, {})
    for page in sorted(html.rglob("*.html")):
        name = page.relative_to(html).as_posix()
        if name.startswith("_static/"):  # the theme's Jinja macros, not pages
            continue
        text = page.read_text(encoding="utf-8")
        start = text.find('<article class="bd-article"')
        end = text.find("</article>", start)
        article = text[start:end] if 0 <= start < end else ""
        frame = text.replace(article, "") if article else text
        for group, part in zip(groups, (article, frame), strict=True):
            for url in sorted({unescape(u) for u in _HREF.findall(part)}):
                group.setdefault(url, []).append(name)
    lines = [f"# External links of {html}: not checked by the build or CI.",
             "# One a line: the URL, a tab, the pages that link to it."]
    for title, group in zip(("in the text of pages", "in the page frame (buttons, footer)"),
                            groups, strict=True):
        lines.append(f"\n# {len(group)} links {title}")
        for url, names in sorted(group.items()):
            more = f" (+{len(names) - 3} more)" if len(names) > 3 else ""
            lines.append(f"{url}\t{' '.join(names[:3])}{more}")
    report = html.parent / EXTERNAL_LINKS
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return report


class BuildError(SicourseError):
    """The book cannot be built; the message says why."""


class BuildFailed(SicourseError):
    """jupyter-book failed; it printed the warnings and errors itself."""

    def __init__(self, returncode: int):
        super().__init__("The book build failed: see the warnings and errors above.")
        self.returncode = returncode


def build_book(root: Path, output: Path | None = None, rebuild_all: bool = False,
               offline: bool = False, say: Callable[[str], object] = print,
               languages: list[str] | None = None) -> Path:
    """Build the HTML book of the course in ``root`` strictly; its index page.

    ``languages``: the source language (English, at ``_build/html/``) and the editions
    of ``locales/languages.yml`` to build (each into ``_build/html/<code>/``); None:
    all of them. Each is skipped when nothing it reads has changed since its last good
    build into the same folder (``rebuild_all`` builds anyway). ``say`` prints progress.
    """
    languages_file = root / translations.LANGUAGES
    known = translations.Languages.read(root) if languages_file.is_file() else None
    source = known.source if known else "en"
    editions = known.editions if known else []
    wanted = languages or [source, *editions]
    unknown = [code for code in wanted if code != source and code not in editions]
    if unknown:
        raise BuildError(f"no edition {', '.join(unknown)}: the languages to build are "
                         f"{', '.join([source, *editions])} ({languages_file})")
    index = None
    if source in wanted:
        index = _build_source(root, output, rebuild_all, offline, say)
    for code in editions:
        if code in wanted:
            edition_index = _build_edition(root, output, code, rebuild_all, offline, say)
            index = index or edition_index
    return index


def _options(root: Path, offline: bool, language: str = "") -> dict[str, str]:
    """The build's options that its output depends on, for the inputs' fingerprint."""
    options = {"offline": str(offline), "language": language,
               "jupyterhub": os.environ.get("SICOURSE_JUPYTERHUB_URL", "").strip()}
    # `npm ci` rewrites this file: new packages mean new files to copy (Pyodide into the
    # JupyterLite site; with offline, the CDN files)
    lock = root / "node_modules" / ".package-lock.json"
    options["npm"] = str(lock.stat().st_mtime_ns) if lock.exists() else ""
    return options


def _up_to_date(index: Path, stamp: Path, fingerprint: str) -> bool:
    """Did the last good build into this folder read exactly these inputs?"""
    return (index.is_file() and stamp.is_file()
            and stamp.read_text(encoding="utf-8") == fingerprint)


def _build_source(root: Path, output: Path | None, rebuild_all: bool, offline: bool,
                  say: Callable[[str], object]) -> Path:
    if not (root / "_config.yml").is_file():
        raise BuildError(f"{root}: no _config.yml here; run from the course folder "
                         "or give --root.")
    build_dir = (output or root) / "_build"
    html = (build_dir / "html").resolve()
    index = html / "index.html"
    stamp = build_dir / STAMP
    fingerprint = inputs_fingerprint(root, build_dir, _options(root, offline))
    if not rebuild_all and _up_to_date(index, stamp, fingerprint):
        say(f"Nothing has changed since the last build: the book is up to date "
            f"(--all rebuilds it anyway).\n  {index}")
        return index
    stamp.unlink(missing_ok=True)
    config = None
    if offline:
        offline_assets.check_installed(root / "node_modules", root / "package.json")
        config = offline_assets.write_config(root / "_config.yml",
                                             build_dir / "offline-config.yml")
    args = strict_build_args(root, output, config)
    if rebuild_all:
        args.append("--all")
    result = subprocess.run(args)
    if result.returncode != 0:
        raise BuildFailed(result.returncode)
    if not index.is_file():
        raise BuildError(f"the build reported success but wrote no {index}")
    write_external_links(html)
    try:
        lite_site.build_site(root, html, say)
    except lite_site.LiteSiteError as exc:
        raise BuildError(str(exc)) from None
    if offline:
        offline_assets.copy_assets(root / "node_modules", html)
        remote = offline_assets.remote_references(html)
        if remote:
            listing = "\n".join(f"  {page}: {', '.join(urls)}" for page, urls in remote.items())
            raise BuildError(f"the offline site still loads files from the internet:\n"
                             f"{listing}")
        say(f"\nCopied the CDN files from node_modules/ into {html}/_static/offline/.")
    stamp.write_text(fingerprint, encoding="utf-8")
    return index


def _edition_config(config: Path, target: Path, language: str, title: str | None) -> Path:
    """``config`` (the course's _config.yml) for the edition in ``language``."""
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    sphinx_config = settings.setdefault("sphinx", {}).setdefault("config", {})
    sphinx_config["language"] = language
    # The JupyterLite site is the source build's, one folder up (English notebooks).
    sphinx_config["sicourse_lite_root"] = f"../{lite_site.FOLDER}/"
    if title:
        settings["title"] = title
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        f"# Generated by `sicourse build` from {config.name} for the {language} edition: "
        "do not edit.\n" + yaml.safe_dump(settings, sort_keys=False, allow_unicode=True,
                                           width=100), encoding="utf-8")
    return target


def _build_edition(root: Path, output: Path | None, language: str, rebuild_all: bool,
                   offline: bool, say: Callable[[str], object]) -> Path:
    """Build the edition in ``language`` into ``_build/html/<language>/``; its index page.

    The lessons run again, in a build folder of the edition's own (with its own
    execution cache): their widgets read their text in the edition's language
    (:mod:`sicourse.widgets.translation`, through the environment set here).
    """
    build_dir = (output or root) / "_build"
    work = build_dir / "editions" / language
    html = (build_dir / "html" / language).resolve()
    index = html / "index.html"
    stamp = work / STAMP
    names = translations.Languages.read(root)
    fingerprint = inputs_fingerprint(root, build_dir, _options(root, offline, language))
    if not rebuild_all and _up_to_date(index, stamp, fingerprint):
        say(f"Nothing has changed since the last build of the {names.names[language]} "
            f"edition: it is up to date.\n  {index}")
        return index
    stamp.unlink(missing_ok=True)
    config = _edition_config(root / "_config.yml", work / "config.yml", language,
                             names.titles.get(language))
    if offline:
        config = offline_assets.write_config(config, work / "offline-config.yml")
    args = strict_build_args(root, work, config)
    if rebuild_all:
        args.append("--all")
    say(f"\nBuilding the {names.names[language]} ({language}) edition ...")
    env = {**os.environ, "SICOURSE_LANGUAGE": language,
           "SICOURSE_LOCALES": str((root / translations.LOCALES).resolve())}
    result = subprocess.run(args, env=env)
    if result.returncode != 0:
        raise BuildFailed(result.returncode)
    built = work / "_build" / "html"
    if not (built / "index.html").is_file():
        raise BuildError(f"the {language} build reported success but wrote no "
                         f"{built / 'index.html'}")
    shutil.rmtree(html, ignore_errors=True)
    shutil.copytree(built, html)
    if offline:
        offline_assets.copy_assets(root / "node_modules", html)
    stamp.write_text(fingerprint, encoding="utf-8")
    return index
