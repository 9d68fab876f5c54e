"""Driving a notebook of the book's JupyterLite site (lite/) in Chromium, as a student does:
with the mouse and the keyboard, through JupyterLite's own menus and editor.

Shared by tests/browser/test_lite_browser.py and benchmarks/lite.py.
"""

from __future__ import annotations

import re
import time

# A cold start loads Pyodide (about 12 MB) and the kernel's wheels, and builds its modules.
KERNEL_TIMEOUT_MS = 120_000
EXECUTED = re.compile(r"\[\d+\]")


def notebook_url(base_url: str, path: str) -> str:
    """The Notebook interface of the site at ``base_url`` (the book's root) on ``path``."""
    return f"{base_url}lite/notebooks/index.html?path={path}"


def open_notebook(page, base_url: str, path: str) -> None:
    page.goto(notebook_url(base_url, path))
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=KERNEL_TIMEOUT_MS)


def menu(page, menu_name: str, item: str) -> None:
    """Choose ``item`` in the menu bar's ``menu_name`` menu."""
    label = page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu_name}$"))
    try:
        label.click(timeout=20_000)
    except Exception:
        name_dialog(page)
        raise
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$")).click()


QUEUED = re.compile(r"\[(\*|\d+)\]")  # a code cell's prompt once it is queued or has run


def _queued(action, prompts) -> None:
    """Do ``action``; a click or key pressed while the interface is still starting can be
    lost, so do it once more if no prompt in ``prompts`` shows [*] or [n] within 15 s."""
    for attempt in range(2):
        action()
        try:
            prompts.filter(has_text=QUEUED).first.wait_for(timeout=15_000)
            return
        except Exception:
            if attempt:
                raise


def run_all(page) -> None:
    """Run → Run All Cells."""
    _queued(lambda: menu(page, "Run", "Run All Cells"),
            page.locator(".jp-CodeCell .jp-InputArea-prompt"))


def name_dialog(page) -> None:
    """Fail naming the dialog that is open, if one is: it takes the clicks and the keys."""
    dialog = page.locator(".jp-Dialog")
    if dialog.count():
        raise AssertionError(f"a dialog is open: {dialog.first.inner_text()!r}")


def wait_executed(cell, timeout_ms: float = KERNEL_TIMEOUT_MS):
    """Wait until the code cell shows an execution count ([3]:), not [*] or nothing."""
    try:
        cell.locator(".jp-InputArea-prompt").filter(has_text=EXECUTED).wait_for(
            timeout=timeout_ms)
    except Exception:
        name_dialog(cell.page)
        prompts = cell.locator(".jp-InputArea-prompt").all_inner_texts()
        raise AssertionError(f"the cell did not run in {timeout_ms / 1000:g} s: its prompt "
                             f"shows {prompts!r}") from None
    return cell


def output_text(cell) -> str:
    return cell.locator(".jp-OutputArea").inner_text()


def code_cells(page, text: str):
    """The code cells whose source (not output: a traceback quotes the source) has ``text``."""
    return page.locator(".jp-CodeCell",
                        has=page.locator(".jp-InputArea-editor", has_text=text))


def select(page, cell) -> None:
    """Select a cell (command mode) by its prompt, which no link or widget covers."""
    cell.locator(".jp-InputArea-prompt").click()
    page.keyboard.press("Escape")


def replace_source(page, cell, text: str) -> None:
    """Type ``text`` in place of the cell's source, as a student would, and leave the editor."""
    select(page, cell)
    page.keyboard.press("Enter")  # edit mode (a rendered Markdown cell shows its source)
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(text)
    page.keyboard.press("Escape")


def run_cell(page, cell) -> str:
    """Run one cell in place (Ctrl+Enter); give back what it printed."""
    def run() -> None:
        select(page, cell)
        page.keyboard.press("Control+Enter")

    _queued(run, cell.locator(".jp-InputArea-prompt"))
    return output_text(wait_executed(cell)).strip()


def run_code(page, code: str) -> str:
    """Add a code cell at the end of the notebook, run it, give back what it printed."""
    select(page, page.locator(".jp-Notebook .jp-Cell").last)
    page.keyboard.press("b")  # a new cell below, selected
    cell = page.locator(".jp-Notebook .jp-Cell.jp-mod-active")
    page.keyboard.press("Enter")
    page.keyboard.insert_text(code)
    page.keyboard.press("Control+Enter")  # run in place
    return output_text(wait_executed(cell)).strip()


def save(page) -> None:
    """Ctrl+S, then wait until the notebook shows no unsaved changes."""
    page.keyboard.press("Control+s")
    page.wait_for_function(
        "() => !document.querySelector('.jp-mod-dirty') && "
        "!document.title.startsWith('*')", timeout=10_000)
    time.sleep(0.5)  # the browser's storage commits after the save resolves
