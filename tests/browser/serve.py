"""Serve the built book on localhost and answer its CDN requests from node_modules/.

Shared by the browser tests (tests/browser/conftest.py) and the widget
benchmark (benchmarks/widgets.py). The machine that runs them has no internet:
every request a page makes to a CDN is answered from the npm packages that
`npm ci` installs from package.json, and any other request that leaves
localhost is aborted and recorded, so a test can fail on it.

How CDN URLs map to files:

* ``https://cdn.jsdelivr.net/npm/<package>@<version>/<path>`` (also a scoped
  ``@scope/name`` package, and a URL with no ``@<version>``) is
  ``node_modules/<package>/<path>``, provided the installed package's version
  satisfies ``<version>``: an exact version, or a range such as ``~0.11.*`` or
  ``^0.11.0`` as the widget manager writes it from a widget's
  ``_model_module_version``.
* ``EXTRA_CDN_FILES`` lists other exact CDN URLs (none are needed today).

A URL that should map to a file but finds none (package not installed, wrong
version, no such file) is answered with a 404 and recorded in ``missing``.
"""

from __future__ import annotations

import functools
import json
import mimetypes
import re
import threading
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

REPO = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO / "node_modules"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
JSDELIVR_NPM = "https://cdn.jsdelivr.net/npm/"
EXTRA_CDN_FILES: dict[str, str] = {}  # exact URL -> path under node_modules/
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
# Every URL that is not on this machine. A pattern (not a Python function) is matched by
# Playwright's driver, so local requests never wait for the Python route handler.
NOT_LOCAL = re.compile(r"^(?!https?://(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?/)")

INSTALL_HINT = (
    "The browser tests need Debian's Chromium and the npm packages in package.json. "
    "Install them with:\n  apt-get update && apt-get install -y chromium\n"
    "  npm ci   (in the repository root)"
)


class SetupError(RuntimeError):
    """Something the browser tests need is not installed; the message says what."""


def npm_packages() -> dict[str, str]:
    """The npm packages package.json pins (name -> version): the files pages load from CDNs
    (dependencies) and the tests' own tools (devDependencies: axe-core, which audits pages)."""
    pins = json.loads((REPO / "package.json").read_text(encoding="utf-8"))
    return {**pins["dependencies"], **pins.get("devDependencies", {})}


def check_setup(node_modules: Path = NODE_MODULES) -> None:
    """Raise SetupError naming what to install if Chromium or an npm package is missing."""
    problems = []
    if not CHROMIUM.is_file():
        problems.append(f"no Chromium at {CHROMIUM}")
    for name, pin in npm_packages().items():
        manifest = node_modules / name / "package.json"
        if not manifest.is_file():
            problems.append(f"npm package {name} is not installed in {node_modules}")
        elif (found := json.loads(manifest.read_text(encoding="utf-8"))["version"]) != pin:
            problems.append(f"npm package {name} is {found}, but package.json pins {pin}")
    if problems:
        raise SetupError("; ".join(problems) + ".\n" + INSTALL_HINT)


# --- npm version ranges, as far as CDN URLs use them -------------------------------------

def _parts(version: str) -> list[str]:
    return version.split("-")[0].split("+")[0].split(".")


def version_satisfies(installed: str, wanted: str) -> bool:
    """Whether an installed npm version satisfies the version part of a CDN URL.

    Understands exact versions, partial versions and wildcards (``0.11``,
    ``0.11.*``, ``0.11.x``, ``*``, ``latest``), and ``~`` and ``^`` ranges: the
    forms the widget manager and MyST-NB write. Anything else is not satisfied,
    which makes a test fail loudly rather than serve a file of the wrong version.
    """
    wanted = wanted.strip()
    if wanted in ("", "*", "x", "latest"):
        return True
    operator = wanted[0] if wanted[0] in "~^" else ""
    want = _parts(wanted[len(operator):])
    have = _parts(installed)
    if not all(p.isdigit() or p in ("*", "x", "X") for p in want) or len(want) > 3:
        return False
    fixed = [int(p) for p in want[: next((i for i, p in enumerate(want) if not p.isdigit()),
                                         len(want))]]
    have_nums = [int(p) if p.isdigit() else 0 for p in (have + ["0", "0"])[:3]]
    if not operator:
        return have_nums[: len(fixed)] == fixed
    if operator == "~":
        # ~1.2.3 := >=1.2.3 <1.3.0; ~1.2 := 1.2.x; ~1 := 1.x
        keep = min(len(fixed), 2)
    else:
        # ^1.2.3 := >=1.2.3 <2; ^0.2.3 := >=0.2.3 <0.3; ^0.0.3 := 0.0.3
        keep = next((i + 1 for i, n in enumerate(fixed) if n != 0), len(fixed))
        keep = min(keep, len(fixed))
    return have_nums[:keep] == fixed[:keep] and have_nums[: len(fixed)] >= fixed


# --- CDN URL -> file ----------------------------------------------------------------------

@dataclass(frozen=True)
class CdnFile:
    """Where a CDN URL is answered from: a file, or why there is none."""

    url: str
    path: Path | None
    problem: str = ""


_JSDELIVR = re.compile(
    r"^(?P<package>(?:@[^/@]+/)?[^/@]+)(?:@(?P<version>[^/]*))?(?:/(?P<path>.*))?$")


def cdn_file(url: str, node_modules: Path = NODE_MODULES) -> CdnFile | None:
    """The node_modules file that answers a CDN URL; None if the URL is not a known CDN's."""
    bare = url.split("#")[0].split("?")[0]
    if bare in EXTRA_CDN_FILES:
        path = node_modules / EXTRA_CDN_FILES[bare]
        return CdnFile(url, path if path.is_file() else None, "" if path.is_file() else
                       f"{path} does not exist")
    if not bare.startswith(JSDELIVR_NPM):
        return None
    match = _JSDELIVR.match(unquote(bare[len(JSDELIVR_NPM):]))
    if not match or not match["path"]:
        return CdnFile(url, None, "not a file URL of the form npm/<package>@<version>/<path>")
    package, version = match["package"], match["version"]
    root = node_modules / package
    try:
        installed = json.loads((root / "package.json").read_text(encoding="utf-8"))["version"]
    except FileNotFoundError:
        return CdnFile(url, None, f"npm package {package} is not installed (add it to "
                                  "package.json and run npm ci)")
    if version is not None and not version_satisfies(installed, version):
        return CdnFile(url, None, f"the page asks for {package}@{version}, but {installed} "
                                  "is installed: change the pin in package.json")
    path = (root / match["path"]).resolve()
    if not path.is_relative_to(root.resolve()) or not path.is_file():
        return CdnFile(url, None, f"{package}@{installed} has no file {match['path']}")
    return CdnFile(url, path)


def content_type(path: Path) -> str:
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith("text/") or kind.endswith(
        ("javascript", "json")) else kind


# --- what a built page holds -------------------------------------------------------------

WIDGET_SELECTOR = ".sic-widget"  # the outer element every course widget renders
_STATE = re.compile(r'<script type="application/vnd\.jupyter\.widget-state\+json">(.*?)</script>',
                    re.S)
_VIEW = re.compile(r'<script type="application/vnd\.jupyter\.widget-view\+json">(.*?)</script>',
                   re.S)


def saved_views(html: str) -> list[dict]:
    """The saved state of each widget a built page displays, in page order."""
    states = [json.loads(m) for m in _STATE.findall(html)]
    models = {k: v["state"] for state in states for k, v in state.get("state", {}).items()}
    views = [json.loads(m)["model_id"] for m in _VIEW.findall(html)]
    return [models[v] for v in views if v in models]


def course_widgets(html: str) -> list[dict]:
    """The saved state of each course widget (sicourse.widgets) a built page displays."""
    return [s for s in saved_views(html) if str(s.get("_anywidget_id", "")).startswith("sicourse.")]


# --- the local web server -----------------------------------------------------------------

class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass

    def copyfile(self, source, outputfile):
        """Send a file, counting its bytes in the server's ``bytes_sent``."""
        start = source.tell()
        super().copyfile(source, outputfile)
        with self.server.count_lock:
            self.server.bytes_sent += source.tell() - start


class BookServer:
    """The built book on a free localhost port, served by a thread; a context manager."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        handler = functools.partial(_QuietHandler, directory=str(self.folder))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.httpd.bytes_sent, self.httpd.count_lock = 0, threading.Lock()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True,
                                       name="book-server")

    def __enter__(self) -> BookServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


# --- browser side -------------------------------------------------------------------------

def launch_chromium(playwright):
    """Debian's Chromium, headless: Playwright cannot download its own browsers here."""
    check_setup()
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


@dataclass
class PageLog:
    """What happened on the page that a test may want to fail on."""

    served: list[str] = field(default_factory=list)     # CDN URLs answered from node_modules
    missing: list[str] = field(default_factory=list)    # CDN URLs with no file: got a 404
    blocked: list[str] = field(default_factory=list)    # other non-local requests: aborted
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)    # every console message, for reports

    def problems(self) -> list[str]:
        return ([f"CDN file missing: {m}" for m in self.missing]
                + [f"request left localhost: {b}" for b in self.blocked]
                + [f"console error: {c}" for c in self.console_errors]
                + [f"page error: {p}" for p in self.page_errors])


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname in LOCAL_HOSTS


def offline_context(browser, log: PageLog, node_modules: Path = NODE_MODULES, **options):
    """A browser context that never leaves localhost: CDN requests come from node_modules."""
    context = browser.new_context(**options)

    def handle(route):
        url = route.request.url
        if _is_local(url):  # not expected: NOT_LOCAL keeps local requests out of Python
            route.continue_()
            return
        found = cdn_file(url, node_modules)
        if found is None:
            log.blocked.append(url)
            route.abort("blockedbyclient")
        elif found.path is None:
            log.missing.append(f"{url} ({found.problem})")
            route.fulfill(status=404, body=found.problem,
                          headers={"Access-Control-Allow-Origin": "*"})
        else:
            log.served.append(url)
            route.fulfill(status=200, path=found.path, headers={
                "Content-Type": content_type(found.path),
                "Access-Control-Allow-Origin": "*",
            })

    context.route(NOT_LOCAL, handle)
    return context


def watch(page, log: PageLog):
    """Record the page's console errors and uncaught errors in the log."""
    def on_console(message):
        text = f"{message.type}: {message.text}"
        location = message.location or {}
        if location.get("url"):
            text += f" ({location['url']}:{location.get('lineNumber')})"
        log.console.append(text)
        if message.type == "error":
            log.console_errors.append(text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: log.page_errors.append(str(error)))
    return page


def wait_for_widgets(page, count: int, log: PageLog, timeout_ms: float = 10_000) -> None:
    """Wait until `count` course widgets have rendered; on a timeout, say what went wrong."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function("([sel, n]) => document.querySelectorAll(sel).length >= n",
                               arg=[WIDGET_SELECTOR, count], timeout=timeout_ms)
    except PlaywrightTimeout:
        shown = page.locator(WIDGET_SELECTOR).count()
        raise AssertionError(
            f"{page.url}: {shown} of {count} course widgets rendered in {timeout_ms / 1000:g} s. "
            "What the page logged:\n  " + "\n  ".join(log.problems() or log.console or ["nothing"])
        ) from None


# The model behind a view: sicourse-widgets.js keeps it on the view's element.

def record_writes(widget) -> None:
    """From now on, note the name of every trait the widget's JS writes to its model."""
    widget.evaluate("""w => {
        const model = w.closest(".sicourse-widget-view").sicourseModel, set = model.set;
        model.written = [];
        model.set = (key, value) => { model.written.push(key); set(key, value); };
    }""")


def written(widget) -> dict:
    """{trait name: value now in the model} for every trait the JS wrote since record_writes."""
    return widget.evaluate("""w => {
        const model = w.closest(".sicourse-widget-view").sicourseModel;
        return Object.fromEntries([...new Set(model.written)].map((k) => [k, model.get(k)]));
    }""")


def assert_clean(log: PageLog) -> None:
    """No console error, no uncaught error, no CDN miss, no request that left localhost."""
    assert log.problems() == []


def assert_focus_ring(state: dict) -> None:
    """The focused element shows a focus ring at least 2 px wide (keyboard focus visible)."""
    assert state["focusVisible"], state
    assert state["outline"] != "none" and state["outlineWidth"] >= 2, state
