"""The JupyterLite kernel's sitecustomize (sicourse.book.pyodide_sitecustomize), run by this
machine's Python as Python would run it at start-up: installed modules are found without
asking the working directory (in the browser, a request to the page for each), a module of
the notebook's folder still imports, and one named like a module of Python no longer hides it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sicourse.book import pyodide_sitecustomize

SOURCE = Path(pyodide_sitecustomize.__file__)

# Runs the file under the module name it is given; reports where modules came from, and
# how often the working directory was looked at while they were imported.
PROBE = """
import json as _json_for_output, sys
import importlib._bootstrap_external as bootstrap
namespace = {"__name__": sys.argv[1]}
exec(compile(open(sys.argv[2]).read(), sys.argv[2], "exec"), namespace)
stat, asked = bootstrap._path_stat, []
def counting(path):
    if path in ("", bootstrap._os.getcwd()):
        asked.append(path)
    return stat(path)
bootstrap._path_stat = counting
import csv, colorsys
installed = len(asked)
import helper
print(_json_for_output.dumps({"csv": csv.__file__, "helper": helper.ANSWER,
                              "asked_for_installed": installed, "path0": sys.path[0],
                              "finders": [getattr(f, "__name__", "") for f in sys.meta_path]}))
"""


def run(tmp_path: Path, name: str,
        shadow: str = "raise SystemExit('the folder hid Python module csv')\n") -> dict:
    """Run the probe in ``tmp_path``, which holds helper.py and a csv.py of ``shadow``."""
    (tmp_path / "helper.py").write_text("ANSWER = 42\n")
    (tmp_path / "csv.py").write_text(shadow)
    # -S: no site-packages (nothing imported before the probe); -c puts "" first, as Pyodide
    result = subprocess.run([sys.executable, "-S", "-c", PROBE, name, str(SOURCE)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def test_as_sitecustomize_installed_modules_come_first(tmp_path):
    got = run(tmp_path, "sitecustomize")
    assert got["path0"] == ""  # the folder stays on the path, after the installed modules
    assert not got["csv"].startswith(str(tmp_path)), got["csv"]
    assert got["asked_for_installed"] == 0
    assert got["helper"] == 42
    assert got["finders"].count("InstalledFirst") == 1
    assert got["finders"].index("InstalledFirst") == got["finders"].index("PathFinder") - 1


def test_without_it_the_folder_is_asked_first_and_hides_python_modules(tmp_path):
    """The same probe with the file run under another name: Python's own behaviour, which
    the test above must differ from."""
    got = run(tmp_path, "not_sitecustomize", shadow="")
    assert "InstalledFirst" not in got["finders"]
    assert got["csv"].startswith(str(tmp_path))
    assert got["asked_for_installed"] >= 2


def test_imported_by_name_it_changes_nothing_until_installed():
    assert pyodide_sitecustomize.InstalledFirst not in sys.meta_path
