"""How fast the course widgets come alive in the published book, and how big their code is.

Opens a page with widgets from the built book in headless Chromium, offline
(the CDN files come from node_modules/, as in the browser tests), several
times, and prints the median time from navigation until every course widget
has rendered and answered a click, split into stages, next to the targets.
It also prints the bytes of our widget code (src/sicourse/static/widgets/)
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
    cdn_file,
    course_widgets,
    launch_chromium,
    offline_context,
    watch,
)

STATIC = REPO / "src" / "sicourse" / "static" / "widgets"
RENDERER = REPO / "src" / "sicourse" / "static" / "sicourse-widgets.js"
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
  return {load: nav.loadEventStart, ...window.__sicBench};
}
"""
# The two ways a static page can bring its saved widgets to life, on the same page.
WAYS = {"sicourse renderer": "", "stock html-manager": "?widget-manager"}


def pick_page(html: Path) -> str:
    toc = (REPO / "_toc.yml").read_text(encoding="utf-8")
    files = yaml.safe_load(toc)
    listed = [c["file"] for part in files.get("parts", []) for c in part["chapters"]]
    if GALLERY in listed and (html / f"{GALLERY}.html").is_file():
        return f"{GALLERY}.html"
    return f"{LESSON}.html"


def measure(browser, server: BookServer, path: str, expected: int, query: str = "") -> dict:
    log = PageLog()
    context = offline_context(browser, log, viewport={"width": 1280, "height": 900})
    try:
        page = watch(context.new_page(), log)
        page.add_init_script(f"({PROBE})({expected})")
        page.goto(server.url + path + query, wait_until="commit")
        page.wait_for_function("() => window.__sicBench && window.__sicBench.done",
                               timeout=30_000)
        result = page.evaluate(TIMINGS)
    finally:
        context.close()
    if log.problems():
        raise SystemExit(f"{path}: the page was not clean:\n  " + "\n  ".join(log.problems()))
    # Bytes of the CDN files the page fetched (the harness answers them from node_modules).
    result["thirdParty"] = sum(cdn_file(url).path.stat().st_size for url in log.served)
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

    runs: dict[str, list[dict]] = {}
    try:
        with BookServer(args.html) as server, sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            for way, query in WAYS.items():
                measure(browser, server, path, len(widgets), query)  # warm-up, not counted
                runs[way] = [measure(browser, server, path, len(widgets), query)
                             for _ in range(args.runs)]
            browser.close()
    except SetupError as exc:
        raise SystemExit(str(exc)) from None

    def median(way, key, since=None):
        return statistics.median(r[key] - (r[since] if since else 0) for r in runs[way])

    kinds = sorted({w["_anywidget_id"].rsplit(".", 1)[-1] for w in widgets})
    print(f"Page: {path} ({len(widgets)} course widgets: {', '.join(kinds)}); "
          f"headless Chromium, offline, median of {args.runs} loads each")
    print(f"  {'':48}" + "".join(f"{way:>22}" for way in WAYS))
    rows = [
        ("navigation -> every widget rendered and answering", "responded", None),
        ("  page loaded (load event)", "load", None),
        ("  all widgets rendered, after the load event", "rendered", "load"),
        ("  a click answered in every widget", "responded", "rendered"),
    ]
    for label, key, since in rows:
        print(f"  {label:48}" + "".join(f"{median(w, key, since):19.0f} ms" for w in WAYS))
    print(f"  {'third-party widget JS fetched':48}"
          + "".join(f"{kib(int(median(w, 'thirdParty'))):>22}" for w in WAYS))
    total = median("sicourse renderer", "responded")
    print(f"  target < {TARGET_MS} ms with the course's renderer: "
          f"{'met' if total < TARGET_MS else 'NOT met'} ({total:.0f} ms)")
    print("  (the stock path's CDN files pass through Playwright routing in this harness, "
          "which adds to its load time)")

    ours = {p.name: p.stat().st_size for p in sorted(STATIC.iterdir())
            if p.suffix in (".js", ".css")}
    ours[RENDERER.name] = RENDERER.stat().st_size
    js = sum(n for name, n in ours.items() if name.endswith(".js"))
    css = sum(n for name, n in ours.items() if name.endswith(".css"))
    print(f"\nOur widget code (widget modules and page renderer): JS {kib(js)} + CSS {kib(css)} "
          "= "
          f"{kib(js + css)}   target < {kib(TARGET_BYTES)}: "
          f"{'met' if js + css < TARGET_BYTES else 'NOT met'}")
    for name, n in ours.items():
        file = RENDERER if name == RENDERER.name else STATIC / name
        print(f"    {name:32} {kib(n):>10}   gzipped {gzipped(file):>10}")
    embedded = sum(len(w.get("_esm", "")) + len(w.get("_css", "")) for w in widgets)
    print(f"  as saved in this page's widget state (each widget carries its own copy): "
          f"{kib(embedded)}")
    print("Third-party front end the page loads, for comparison:")
    for name, file in THIRD_PARTY.items():
        print(f"    {name:32} {kib(file.stat().st_size):>10}   gzipped {gzipped(file):>10}")


if __name__ == "__main__":
    main()
