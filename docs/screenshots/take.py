"""Screenshots of the built book for the README: `make screenshots`.

Takes the landing page, a lesson (at its first interactive widget) and an exercise page
at desktop (1280 px) and phone (390 px) widths in headless Chromium, served and kept
offline exactly as the browser tests do (tests/browser/serve.py), and saves them as
small palette PNGs in this folder:

    .venv/bin/python docs/screenshots/take.py [--html _build/html] [--out docs/screenshots]

Needs a built book (`make book`), Chromium and `npm ci`, as the browser tests do.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "browser"))

from serve import (  # noqa: E402 - serve.py lives with the browser tests
    BookServer,
    PageLog,
    SetupError,
    course_widgets,
    launch_chromium,
    offline_context,
    wait_for_widgets,
    watch,
)

PAGES = {  # name -> (page, scroll to the first course widget?)
    "landing": ("book/intro.html", False),
    "lesson": ("lessons/01-what-is-social-innovation.html", True),
    "exercise": ("book/generated/assignments/01-concepts/concepts-and-definitions.html", False),
}
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
COLOURS = 96  # a palette this size keeps text crisp and each file well under 100 KB


def shrink(path: Path) -> int:
    """Re-save a screenshot as a palette PNG; return its new size in bytes."""
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=COLOURS, method=Image.Quantize.MEDIANCUT,
                                              dither=Image.Dither.NONE)
    small.save(path, optimize=True)
    return path.stat().st_size


def take(html: Path, out: Path) -> list[tuple[Path, int]]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    saved = []
    with BookServer(html) as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        for width_name, (width, height) in WIDTHS.items():
            for name, (path, at_widget) in PAGES.items():
                log = PageLog()
                context = offline_context(browser, log, viewport={"width": width,
                                                                  "height": height},
                                          color_scheme="light")
                page = watch(context.new_page(), log)
                page.goto(server.url + path, wait_until="load")
                widgets = len(course_widgets((html / path).read_text(encoding="utf-8")))
                if widgets:
                    wait_for_widgets(page, widgets, log)
                page.wait_for_load_state("networkidle")
                page.evaluate("document.fonts.ready")
                if at_widget and widgets:
                    page.evaluate("""() => {
                        const widget = document.querySelector('.sic-widget');
                        const section = widget.closest('section') || widget;
                        const heading = section.querySelector('h2, h3') || widget;
                        window.scrollTo(0, heading.getBoundingClientRect().top + scrollY - 70);
                    }""")
                    page.wait_for_timeout(300)
                if log.problems():
                    raise RuntimeError(f"{path}: " + "; ".join(log.problems()))
                target = out / f"{name}-{width_name}.png"
                page.screenshot(path=str(target))
                saved.append((target, shrink(target)))
                context.close()
        browser.close()
    return saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=REPO / "_build" / "html",
                        help="the built book (default: _build/html)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent,
                        help="where to save the PNGs (default: docs/screenshots)")
    args = parser.parse_args()
    if not (args.html / "index.html").is_file():
        print(f"No built book in {args.html}: run `make book` first.", file=sys.stderr)
        return 1
    try:
        saved = take(args.html, args.out)
    except SetupError as exc:
        print(exc, file=sys.stderr)
        return 1
    for path, size in saved:
        print(f"{path}  {size / 1024:.0f} KB")
    print(f"{len(saved)} screenshots, {sum(s for _, s in saved) / 1024:.0f} KB in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
