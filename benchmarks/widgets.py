"""How fast the course widgets come alive in the published book, and how big their code is.

Opens a page with widgets from the built book in headless Chromium, offline
(the CDN files come from node_modules/, as in the browser tests), several
times, and prints the median time from navigation until every course widget
has rendered and answered a click, split into stages, next to the targets.
It also prints the bytes of our widget code (src/sicourse/widgets/static/)
beside the third-party front end the page loads.

    .venv/bin/python benchmarks/widgets.py [--html _build/html] [--runs 7] [--page PATH]

The page is the widget gallery (book/widgets) once it is in _toc.yml, else lesson 1.
Needs a built book (`make book`), Chromium and `npm ci`, as the browser tests do.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "browser"))

from serve import (  # noqa: E402 - serve.py lives with the browser tests
    NODE_MODULES,
    BookServer,
    PageLog,
    SetupError,
    course_widgets,
    launch_chromium,
    offline_context,
    watch,
)

STATIC = REPO / "src" / "sicourse" / "widgets" / "static"
GALLERY, LESSON = "book/widgets", "lessons/01-what-is-social-innovation"
TARGET_MS, TARGET_BYTES = 1000, 50 * 1024
THIRD_PARTY = {  # what the page loads besides our code, as served from node_modules/
    "require.js": NODE_MODULES / "requirejs" / "require.js",
    "html-manager embed-amd.js": NODE_MODULES / "@jupyter-widgets/html-manager/dist/embed-amd.js",
    "anywidget dist/index.js": NODE_MODULES / "anywidget" / "dist" / "index.js",
}

# Runs in the page before its own scripts. When all `expected` course widgets are in
# the DOM it notes the time, then clicks one control in each (a "Check" button if there
# is one) and notes when every widget has changed its DOM in answer.
PROBE = """
(expected) => {
  const bench = (window.__sicBench = {responses: []});
  const respond = (widget) => new Promise((resolve) => {
    const buttons = [...widget.querySelectorAll("button:not([disabled])")];
    const control = buttons.find((b) => /check/i.test(b.textContent)) || buttons[0]
      || widget.querySelector("input, select, textarea");
    if (!control) return resolve(null);
    const start = performance.now();
    const seen = new MutationObserver(() => {
      seen.disconnect(); clearTimeout(timer); resolve(performance.now() - start);
    });
    const timer = setTimeout(() => { seen.disconnect(); resolve(null); }, 2000);
    seen.observe(widget, {subtree: true, childList: true, characterData: true, attributes: true});
    if (control.tagName === "BUTTON" || /checkbox|radio/.test(control.type)) control.click();
    else control.dispatchEvent(new Event("change", {bubbles: true}));
  });
  const watcher = new MutationObserver(async () => {
    const widgets = document.querySelectorAll(".sic-widget");
    if (bench.rendered || widgets.length < expected) return;
    bench.rendered = performance.now();
    watcher.disconnect();
    bench.responses = await Promise.all([...widgets].map(respond));
    bench.responded = performance.now();
    bench.done = true;
  });
  watcher.observe(document, {childList: true, subtree: true});
}
"""

TIMINGS = """
() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const cdn = performance.getEntriesByType("resource")
    .filter((r) => r.name.startsWith("https://cdn.jsdelivr.net/"));
  const anywidget = cdn.find((r) => /anywidget@/.test(r.name));
  const fetches = cdn.filter((r) => r !== anywidget).map((r) => r.responseEnd - r.startTime);
  return {load: nav.loadEventStart, anywidget: anywidget ? anywidget.responseEnd : null,
          cdnFetch: Math.max(0, ...fetches), ...window.__sicBench};
}
"""


def pick_page(html: Path) -> str:
    toc = (REPO / "_toc.yml").read_text(encoding="utf-8")
    files = yaml.safe_load(toc)
    listed = [c["file"] for part in files.get("parts", []) for c in part["chapters"]]
    if GALLERY in listed and (html / f"{GALLERY}.html").is_file():
        return f"{GALLERY}.html"
    return f"{LESSON}.html"


def measure(browser, server: BookServer, path: str, expected: int) -> dict:
    log = PageLog()
    context = offline_context(browser, log, viewport={"width": 1280, "height": 900})
    try:
        page = watch(context.new_page(), log)
        page.add_init_script(f"({PROBE})({expected})")
        page.goto(server.url + path, wait_until="commit")
        page.wait_for_function("() => window.__sicBench && window.__sicBench.done",
                               timeout=30_000)
        result = page.evaluate(TIMINGS)
    finally:
        context.close()
    if log.problems():
        raise SystemExit(f"{path}: the page was not clean:\n  " + "\n  ".join(log.problems()))
    unanswered = sum(r is None for r in result["responses"])
    if unanswered:
        raise SystemExit(f"{path}: {unanswered} widget(s) did not respond to a click")
    return result


def kib(n: int) -> str:
    return f"{n / 1024:.1f} KiB"


def gzipped(path: Path) -> str:
    return kib(len(gzip.compress(path.read_bytes(), 6)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--html", type=Path, default=REPO / "_build" / "html",
                        help="the built book's HTML folder (default: _build/html)")
    parser.add_argument("--runs", type=int, default=7, help="page loads to take the median of")
    parser.add_argument("--page", help="page to open, relative to --html (default: the widget "
                                       "gallery if it is in the TOC, else lesson 1)")
    args = parser.parse_args(argv)
    if not (args.html / "index.html").is_file():
        raise SystemExit(f"no built book in {args.html}: run `make book` or pass --html")
    path = args.page or pick_page(args.html)
    widgets = course_widgets((args.html / path).read_text(encoding="utf-8"))
    if not widgets:
        raise SystemExit(f"{path} shows no course widget")

    from playwright.sync_api import sync_playwright

    runs = []
    try:
        with BookServer(args.html) as server, sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            measure(browser, server, path, len(widgets))  # warm-up, not counted
            runs = [measure(browser, server, path, len(widgets)) for _ in range(args.runs)]
            browser.close()
    except SetupError as exc:
        raise SystemExit(str(exc)) from None

    def median(key):
        return statistics.median(r[key] for r in runs)

    def median_gap(late, early):
        return statistics.median(r[late] - r[early] for r in runs)

    kinds = sorted({w["_anywidget_id"].rsplit(".", 1)[-1] for w in widgets})
    total = median("responded")
    print(f"Page: {path} ({len(widgets)} course widgets: {', '.join(kinds)}); "
          f"headless Chromium, offline, median of {args.runs} loads")
    print(f"  navigation -> every widget rendered and answering a click: {total:7.0f} ms"
          f"   target < {TARGET_MS} ms: {'met' if total < TARGET_MS else 'NOT met'}")
    print(f"    page and CDN files loaded (load event)                  {median('load'):7.0f} ms")
    print(f"      of which fetching CDN files through Playwright routing "
          f"{median('cdnFetch'):7.0f} ms   (test harness, not the web)")
    print(f"    widget manager start-up, until anywidget is fetched     "
          f"{median_gap('anywidget', 'load'):7.0f} ms")
    print(f"    anywidget and our modules: all widgets rendered         "
          f"{median_gap('rendered', 'anywidget'):7.0f} ms")
    print(f"    a click in every widget answered                        "
          f"{median_gap('responded', 'rendered'):7.0f} ms"
          f"   (slowest single widget "
          f"{statistics.median(max(r['responses']) for r in runs):.1f} ms)")

    ours = {p.name: p.stat().st_size for p in sorted(STATIC.iterdir())
            if p.suffix in (".js", ".css")}
    js = sum(n for name, n in ours.items() if name.endswith(".js"))
    css = sum(n for name, n in ours.items() if name.endswith(".css"))
    print(f"\nOur widget code (src/sicourse/widgets/static/): JS {kib(js)} + CSS {kib(css)} = "
          f"{kib(js + css)}   target < {kib(TARGET_BYTES)}: "
          f"{'met' if js + css < TARGET_BYTES else 'NOT met'}")
    for name, n in ours.items():
        print(f"    {name:32} {kib(n):>10}   gzipped {gzipped(STATIC / name):>10}")
    embedded = sum(len(w.get("_esm", "")) + len(w.get("_css", "")) for w in widgets)
    print(f"  as saved in this page's widget state (each widget carries its own copy): "
          f"{kib(embedded)}")
    print("Third-party front end the page loads, for comparison:")
    for name, file in THIRD_PARTY.items():
        print(f"    {name:32} {kib(file.stat().st_size):>10}   gzipped {gzipped(file):>10}")


if __name__ == "__main__":
    main()
