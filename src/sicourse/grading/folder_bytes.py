"""A folder as bytes and back: how submissions, kits and graded folders travel to and
from grading workers, which may be on other machines and share no file system."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

Files = dict[str, bytes]  # relative POSIX path -> content


class UnsafePath(ValueError):
    """A relative path that would land outside the folder it is unpacked into."""


def pack(folder: Path) -> Files:
    """Every regular file under ``folder`` (symbolic links left out), by relative path."""
    found: Files = {}
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath, name)
            if path.is_file() and not path.is_symlink():
                found[path.relative_to(folder).as_posix()] = path.read_bytes()
    return found


def safe(rel: str) -> PurePosixPath:
    """``rel`` as a path inside a folder, or UnsafePath."""
    path = PurePosixPath(rel)
    if not rel or path.is_absolute() or ".." in path.parts or "\\" in rel or "\0" in rel:
        raise UnsafePath(f"not a relative path inside the folder: {rel!r}")
    return path


def unpack(files: Files, folder: Path) -> Path:
    """Write ``files`` under ``folder`` (created); a path leading outside it is refused."""
    folder.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        target = folder.joinpath(*safe(rel).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return folder
