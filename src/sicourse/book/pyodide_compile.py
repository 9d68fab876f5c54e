"""Python bytecode for the JupyterLite site, compiled inside Pyodide itself.

Pyodide's npm package ships its standard library (``python_stdlib.zip``) as source only,
and PyPI's wheels carry no bytecode, so a kernel in the browser compiles every module it
imports, each time the page opens: about 3 of the 4 seconds it takes to start. This
module adds the bytecode. It uses the standard library only, because
:mod:`sicourse.book.pyodide_bytecode` runs it inside Pyodide under Node.js: bytecode must
come from the interpreter that loads it (same version, same magic number).

The ``.pyc`` files are *unchecked* hash-based (PEP 552): the interpreter uses them without
comparing them to the source, which stays beside them for tracebacks and ``inspect``.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import sys
import zipfile
from importlib._bootstrap_external import _code_to_hash_pyc


def _pyc(source: bytes, filename: str) -> bytes:
    code = compile(source, filename, "exec", dont_inherit=True)
    return bytes(_code_to_hash_pyc(code, importlib.util.source_hash(source), checked=False))


def _compilable(name: str) -> bool:
    return name.endswith(".py") and "__pycache__/" not in name


def compile_stdlib(source: str, target: str, mounted_at: str) -> int:
    """Copy the standard library zip ``source`` to ``target`` with ``name.pyc`` beside each
    ``name.py`` (where zipimport looks for it). ``mounted_at`` is the path the zip has in
    the interpreter (``/lib/python314.zip``): zipimport keeps the file name compiled in.
    Returns the number of modules compiled."""
    count = 0
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info, data)
            if not _compilable(info.filename):
                continue
            try:
                pyc = _pyc(data, f"{mounted_at}/{info.filename}")
            except SyntaxError:  # (test data in the library: left as it is)
                continue
            entry = zipfile.ZipInfo(info.filename[:-3] + ".pyc", info.date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(entry, pyc)
            count += 1
    return count


def write_wheel(target, files: dict[str, bytes], record: str,
                dates: dict[str, tuple] | None = None) -> None:
    """Write ``files`` (name: content) as the wheel ``target``, with a RECORD at ``record``
    that lists them. Each file gets its date from ``dates``, or a fixed one: the same files
    make the same wheel."""
    lines = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        lines.append(f"{name},sha256={digest},{len(data)}")
    files = {**files, record: ("\n".join([*lines, f"{record},,"]) + "\n").encode()}
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in files.items():
            entry = zipfile.ZipInfo(name, (dates or {}).get(name, (2020, 1, 1, 0, 0, 0)))
            entry.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(entry, data)


def compile_wheel(source: str, target: str, drop: list[str] | tuple[str, ...] = ()) -> int:
    """Copy the wheel ``source`` to ``target`` with each module's bytecode in its
    ``__pycache__`` (named for this interpreter), leaving out the files under the ``drop``
    prefixes; RECORD lists what the new wheel holds. Returns the number of modules compiled."""
    count = 0
    files: dict[str, bytes] = {}
    dates: dict[str, tuple] = {}  # each file's date in the wheel: the same build, the same bytes
    record = None
    with zipfile.ZipFile(source) as zin:
        for info in zin.infolist():
            if info.is_dir() or info.filename.startswith(tuple(drop)):
                continue
            if info.filename.endswith(".dist-info/RECORD"):
                record = info.filename
                continue
            data = files[info.filename] = zin.read(info)
            dates[info.filename] = info.date_time
            if not _compilable(info.filename):
                continue
            try:
                pyc = _pyc(data, info.filename)
            except SyntaxError:
                continue
            cached = importlib.util.cache_from_source(info.filename)
            files[cached], dates[cached] = pyc, info.date_time
            count += 1
    if record is None:
        raise ValueError(f"{source}: not a wheel (no .dist-info/RECORD)")
    write_wheel(target, files, record, dates)
    return count


def run(job: dict) -> dict:
    """Do each archive of ``job`` (see :func:`sicourse.book.pyodide_bytecode.compile_archives`);
    the number of modules compiled per target."""
    mounted_at = "/lib/python{}{}.zip".format(*sys.version_info[:2])
    done = {}
    for item in job["archives"]:
        if item["kind"] == "stdlib":
            done[item["target"]] = compile_stdlib(item["source"], item["target"], mounted_at)
        else:
            done[item["target"]] = compile_wheel(item["source"], item["target"],
                                                 item.get("drop", ()))
    return done


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.argv[1]))))
