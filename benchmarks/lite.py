"""What the JupyterLite site (lite/) adds to the book, and how soon an assignment runs in it.

Prints, in one run:

* the size the site adds to the published book (MB on disk, and gzip-compressed, as a
  web server with compression sends it), beside the rest of the book;
* the build time it adds to `make book` (sicourse.book.lite_site.build_site, into a
  new scratch folder, then again);
* in headless Chromium on this machine, served from localhost: the time from opening an
  assignment in JupyterLite until its first code cell has run and shown its output
  (the student presses Run All as soon as the notebook is on screen), cold (a new
  browser profile, in a folder of its own: nothing cached) and warm (the same profile,
  opened again), with the bytes the server sent; next to the targets (15 s cold, 5 s warm).

    .venv/bin/python benchmarks/lite.py [--html _build/html] [--runs 3]

Needs a built book (`make book`), Chromium and `npm ci`, as the browser tests do. Localhost
has no network delay: on a real connection a cold start also waits for the bytes printed.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "browser"))

from lite_notebook import (  # noqa: E402 - with the browser tests
    KERNEL_TIMEOUT_MS,
    notebook_url,
    run_all,
    wait_executed,
)
from serve import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    LOCAL_HOSTS,
    BookServer,
    PageLog,
    check_setup,
    watch,
)

from sicourse.book import lite_site  # noqa: E402

ASSIGNMENT = "assignments/01-concepts/concepts-and-definitions.ipynb"
TARGET_COLD_S, TARGET_WARM_S = 15.0, 5.0


def folder_size(folder: Path, skip: Path | None = None) -> tuple[int, int]:
    """(bytes, gzip-compressed bytes) of the files under ``folder``, not under ``skip``."""
    raw = packed = 0
    for path in folder.rglob("*"):
        if path.is_file() and not (skip and skip in path.parents):
            data = path.read_bytes()
            raw += len(data)
            packed += len(gzip.compress(data, compresslevel=6))
    return raw, packed


def build_times() -> tuple[float, float]:
    """Seconds for the site's build into a new folder, then again (``make book`` after a
    change). uv keeps the wheels it downloads in its own cache, so neither fetches them."""
    times = []
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / "html"
        target.mkdir()
        for _ in range(2):
            start = time.perf_counter()
            lite_site.build_site(REPO, target, say=lambda _: None)
            times.append(time.perf_counter() - start)
        shutil.rmtree(target)
    return times[0], times[1]


# Playwright turns the HTTP cache off in a context with routes (the tests' offline_context),
# so a warm start here would fetch everything again. Instead Chromium itself resolves no
# host but this one, and every request that is not local is noted. Each run has a profile
# folder of its own, as a student's browser has: a context without one keeps its cache in
# memory only, where Pyodide's 9.6 MB WebAssembly file was fetched (and compiled) again.
NO_OTHER_HOSTS = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


def first_output(context, server: BookServer, url: str, log: PageLog) -> tuple[float, int]:
    """Seconds from navigation until the first code cell has run; bytes the server sent."""
    sent = server.httpd.bytes_sent
    page = watch(context.new_page(), log)
    page.on("request", lambda r: None if urlsplit(r.url).hostname in LOCAL_HOSTS
            else log.blocked.append(r.url))
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=KERNEL_TIMEOUT_MS)
    run_all(page)
    wait_executed(page.locator(".jp-Notebook .jp-CodeCell").first)
    seconds = time.perf_counter() - start
    page.close()
    return seconds, server.httpd.bytes_sent - sent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=REPO / "_build" / "html")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    lite = args.html / lite_site.FOLDER
    if not (lite / "jupyter-lite.json").is_file():
        print(f"No JupyterLite site in {lite}: run `make book` first.")
        return 1

    site, site_gz = folder_size(lite)
    book, book_gz = folder_size(args.html, skip=lite)
    print(f"Size: the JupyterLite site adds {site / 1e6:.1f} MB ({site_gz / 1e6:.1f} MB "
          f"compressed) to a book of {book / 1e6:.1f} MB ({book_gz / 1e6:.1f} MB compressed).")
    first, again = build_times()
    print(f"Build time added to `make book`: {first:.1f} s into a new folder, {again:.1f} s "
          "again (uv's download cache kept)")

    from playwright.sync_api import sync_playwright

    colds, warms, cold_bytes, warm_bytes = [], [], [], []
    with BookServer(args.html) as server, sync_playwright() as playwright:
        check_setup()
        url = notebook_url(server.url, ASSIGNMENT)
        for _ in range(args.runs):
            log = PageLog()
            with tempfile.TemporaryDirectory(prefix="lite-profile-") as profile:
                context = playwright.chromium.launch_persistent_context(
                    profile, executable_path=str(CHROMIUM),
                    args=[*CHROMIUM_ARGS, NO_OTHER_HOSTS])
                seconds, fetched = first_output(context, server, url, log)
                colds.append(seconds)
                cold_bytes.append(fetched)
                seconds, fetched = first_output(context, server, url, log)
                warms.append(seconds)
                warm_bytes.append(fetched)
                context.close()
            if log.problems():
                print("The page logged problems:\n  " + "\n  ".join(log.problems()))
                return 1
    rows = [("cold (new browser profile)", colds, cold_bytes, TARGET_COLD_S),
            ("warm (opened again)", warms, warm_bytes, TARGET_WARM_S)]
    print(f"\nOpening {ASSIGNMENT} until its first code cell has run, Chromium, "
          f"median of {args.runs}:")
    print(f"  {'':28} {'seconds':>8} {'target':>8} {'fetched':>10}")
    for name, times, sizes, target in rows:
        median = statistics.median(times)
        verdict = "meets" if median < target else "MISSES"
        print(f"  {name:28} {median:8.1f} {target:8.1f} {statistics.median(sizes) / 1e6:8.1f} MB"
              f"  {verdict} the target  (runs: {', '.join(f'{t:.1f}' for t in times)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
