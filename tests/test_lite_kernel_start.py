"""The JupyterLite site's kernel-start plugin (src/sicourse/book/lite_kernel_start.js), run
by Node.js against stand-ins for JupyterLite, one scenario each (tests/js/lite_kernel_start.mjs):
a notebook's kernel starts while the page loads and is handed over, never doubled; every
kernel waits for the service worker, so it mounts the notebook's files, but not forever; a
kernel nobody takes is shut down; the service worker's version is noted once.

tests/browser/test_lite_browser.py checks the same plugin in the built site, in Chromium.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

HARNESS = Path(__file__).parent / "js" / "lite_kernel_start.mjs"
SCENARIOS = [
    "starts the kernel early and hands it over",
    "starts as soon as the kernel is registered, before the application has started",
    "a kernel registered only after the application started is not started early",
    "a notebook at the top of the site",
    "a kernel asked for first is the only one",
    "every kernel waits for the service worker",
    "a service worker that never gets ready delays a kernel 15 s at most",
    "a service worker that fails, or no manager, does not hold a kernel up",
    "another folder gets a kernel of its own; an early kernel nobody takes is shut down",
    "a kernel that cannot take a new identity is replaced",
    "an early start that fails leaves the notebook its own",
    "no notebook in the address, no early kernel",
    "other kernels are left alone",
    "notes the service worker's version once, as JupyterLite reads it",
]


def run(node: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([node, str(HARNESS), *args], capture_output=True, text=True,
                          timeout=60)


def test_every_scenario_of_the_harness_is_run_here(node):
    """A scenario added to the harness and not listed here would never run."""
    listed = run(node, "--list")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == SCENARIOS


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario(node, scenario):
    result = run(node, scenario)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"held: {scenario}"
