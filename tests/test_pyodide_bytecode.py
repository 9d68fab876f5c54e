"""Bytecode for the JupyterLite site: the standard library zip and the kernel's wheels get
their modules compiled (by Pyodide itself, under Node.js), so a kernel starts without
compiling what it imports. Here with this machine's Python (the archive layout and the
files Python takes the code from) and with Pyodide (what the site gets)."""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib
import importlib.util
import io
import sys
import zipfile
from pathlib import Path

import pytest

from sicourse.book import pyodide_compile
from sicourse.book.pyodide_bytecode import Archive, BytecodeError, compile_archives

REPO = Path(__file__).resolve().parents[1]
PYODIDE = REPO / "node_modules" / "pyodide"


def make_wheel(path: Path, files: dict[str, str]) -> Path:
    record = "demo-1.0.dist-info/RECORD"
    with zipfile.ZipFile(path, "w") as wheel:
        for name, text in files.items():
            wheel.writestr(name, text)
        wheel.writestr("demo-1.0.dist-info/METADATA", "Name: demo\nVersion: 1.0\n")
        wheel.writestr(record, "")
    return path


DEMO = {"demo/__init__.py": "WHERE = 'compiled'\n",
        "demo/stubs/big.pyi": "x: int\n",
        "demo/broken.py": "def (:\n"}


def unchecked_hash_pyc(data: bytes) -> bool:
    """Hash-based and not checked against the source (PEP 552: flags 0b01)."""
    return int.from_bytes(data[4:8], "little") == 0b01


def test_a_wheel_gets_its_bytecode_and_a_true_record(tmp_path, monkeypatch):
    wheel = make_wheel(tmp_path / "demo-1.0-py3-none-any.whl", DEMO)
    out = tmp_path / "out.whl"
    assert pyodide_compile.compile_wheel(str(wheel), str(out), drop=["demo/stubs/"]) == 1
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
        pyc = importlib.util.cache_from_source("demo/__init__.py")
        assert pyc in names and unchecked_hash_pyc(z.read(pyc))
        assert "demo/stubs/big.pyi" not in names  # dropped
        assert "demo/broken.py" in names  # kept as it is, not compiled
        rows = list(csv.reader(io.StringIO(z.read("demo-1.0.dist-info/RECORD").decode())))
        listed = {row[0]: row for row in rows}
        assert set(listed) == names
        for name in names - {"demo-1.0.dist-info/RECORD"}:
            digest = base64.urlsafe_b64encode(hashlib.sha256(z.read(name)).digest())
            assert listed[name][1:] == [f"sha256={digest.rstrip(b'=').decode()}",
                                        str(len(z.read(name)))]
        z.extractall(tmp_path / "site")
    # Python runs the bytecode, not the source: change the source, the old code still runs
    (tmp_path / "site" / "demo" / "__init__.py").write_text("WHERE = 'source'\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.delitem(sys.modules, "demo", raising=False)
    assert importlib.import_module("demo").WHERE == "compiled"


def test_the_standard_library_gets_bytecode_beside_its_sources(tmp_path, monkeypatch):
    source = tmp_path / "stdlib.zip"
    with zipfile.ZipFile(source, "w") as z:
        z.writestr("stdmod_demo.py", "import sys\nCODE = sys._getframe().f_code.co_filename\n")
        z.writestr("bad_demo.py", "def (:\n")
    out = tmp_path / "python314.zip"
    mounted = "/lib/python314.zip"  # where Pyodide has it; zipimport compiling the source
    # here would name the file under tmp_path instead
    assert pyodide_compile.compile_stdlib(str(source), str(out), mounted) == 1
    with zipfile.ZipFile(out) as z:
        assert unchecked_hash_pyc(z.read("stdmod_demo.pyc"))
        assert {"stdmod_demo.py", "bad_demo.py"} <= set(z.namelist())
    monkeypatch.syspath_prepend(str(out))
    monkeypatch.delitem(sys.modules, "stdmod_demo", raising=False)
    # the code came from the .pyc (zipimport keeps the file name it was compiled with)
    assert importlib.import_module("stdmod_demo").CODE == f"{mounted}/stdmod_demo.py"


def test_a_file_that_is_not_a_wheel_is_named(tmp_path):
    bad = tmp_path / "bad.whl"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("x.py", "")
    with pytest.raises(ValueError, match="bad.whl: not a wheel"):
        pyodide_compile.compile_wheel(str(bad), str(tmp_path / "out.whl"))


@pytest.mark.book
@pytest.mark.usefixtures("node")
def test_pyodide_compiles_in_place_once_and_names_what_it_cannot(tmp_path):
    """With the site's Pyodide: bytecode for Pyodide's Python (its cache tag), kept in the
    cache, so the same wheel is not compiled twice; a broken archive is named."""
    cache = tmp_path / "cache"
    wheel = make_wheel(tmp_path / "demo-1.0-py3-none-any.whl", DEMO)
    original = wheel.read_bytes()
    archive = Archive(wheel, "wheel", ("demo/stubs/",))
    assert compile_archives(PYODIDE, [archive], cache) == {wheel: 1}
    with zipfile.ZipFile(wheel) as z:
        pyc = [n for n in z.namelist() if n.endswith(".pyc")]
        assert pyc == ["demo/__pycache__/__init__.cpython-314.pyc"]
        assert unchecked_hash_pyc(z.read(pyc[0]))
        assert "demo/stubs/big.pyi" not in z.namelist()
    compiled = wheel.read_bytes()
    wheel.write_bytes(original)
    assert compile_archives(PYODIDE, [archive], cache) == {wheel: 0}  # from the cache
    assert wheel.read_bytes() == compiled

    broken = tmp_path / "broken-1.0-py3-none-any.whl"
    broken.write_bytes(b"not a zip")
    with pytest.raises(BytecodeError, match="broken-1.0-py3-none-any.whl"):
        compile_archives(PYODIDE, [Archive(broken, "wheel")], cache)
