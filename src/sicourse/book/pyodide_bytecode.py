"""Compile the JupyterLite site's Python ahead of time, with Pyodide under Node.js.

:mod:`sicourse.book.pyodide_compile` does the work inside Pyodide (bytecode must come from
the interpreter that loads it); this module runs it there through ``pyodide_bytecode.mjs``
and keeps what it made in a cache folder, keyed by the archive's content, the compiler's
code and Pyodide's version, so a book rebuilt after a change does not compile the same
archives again.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sicourse.errors import SicourseError

SCRIPT = Path(__file__).with_name("pyodide_bytecode.mjs")
COMPILER = Path(__file__).with_name("pyodide_compile.py")
KINDS = ("stdlib", "wheel")


class BytecodeError(SicourseError):
    """Pyodide could not compile the site's Python; the message says which archive and why."""


@dataclass(frozen=True)
class Archive:
    """An archive to compile in place: Pyodide's standard library zip, or a wheel, less the
    files under the ``drop`` prefixes (wheels only)."""
    path: Path
    kind: str
    drop: tuple[str, ...] = field(default=())

    def key(self, salt: bytes) -> str:
        digest = hashlib.sha256(salt + self.path.read_bytes())
        digest.update(json.dumps([self.kind, list(self.drop)]).encode())
        return digest.hexdigest()


def compile_archives(pyodide: Path, archives: list[Archive], cache: Path) -> dict[Path, int]:
    """Add bytecode to each archive, in place, with the Pyodide in the folder ``pyodide``;
    the number of modules compiled in each (0 for one taken from ``cache``)."""
    cache.mkdir(parents=True, exist_ok=True)
    salt = COMPILER.read_bytes() + (pyodide / "package.json").read_bytes()
    todo = []
    for archive in archives:
        if archive.kind not in KINDS:
            raise BytecodeError(f"{archive.path}: unknown kind {archive.kind!r}")
        cached = cache / f"{archive.key(salt)}{archive.path.suffix}"
        todo.append((archive, cached))
    missing = [(a, c) for a, c in todo if not c.is_file()]
    counts = _run(pyodide, missing) if missing else {}
    done = {}
    for archive, cached in todo:
        if archive in counts:
            shutil.copyfile(archive.path, cached)
        else:
            shutil.copyfile(cached, archive.path)
        done[archive.path] = counts.get(archive, 0)
    return done


def _run(pyodide: Path, archives: list[tuple[Archive, Path]]) -> dict[Archive, int]:
    node = shutil.which("node")
    if node is None:
        raise BytecodeError("Node.js (`node`) is needed to compile the JupyterLite site's "
                            "Python: install it (scripts/system-packages does).")
    with tempfile.TemporaryDirectory(prefix="sicourse-bytecode-") as scratch:
        work = Path(scratch)
        job = []
        for number, (archive, _) in enumerate(archives):
            name = f"{number}-{archive.path.name}"
            shutil.copyfile(archive.path, work / f"in-{name}")
            job.append({"source": f"/work/in-{name}", "target": f"/work/out-{name}",
                        "kind": archive.kind, "drop": list(archive.drop)})
        result = subprocess.run([node, str(SCRIPT), str(pyodide.resolve()), str(work),
                                 json.dumps({"archives": job})],
                                capture_output=True, text=True)
        if result.returncode != 0:
            names = ", ".join(str(a.path) for a, _ in archives)
            raise BytecodeError(f"Pyodide could not compile {names}:\n{result.stderr[-3000:]}")
        counts = json.loads(result.stdout.strip().splitlines()[-1])
        done = {}
        for (archive, _), item in zip(archives, job, strict=True):
            shutil.copyfile(work / Path(item["target"]).name, archive.path)
            done[archive] = counts[item["target"]]
        return done
