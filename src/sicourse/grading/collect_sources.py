"""Read the files of an LMS download, a zip or a folder, without trusting their names.

Every file becomes an :class:`Entry` with a safe relative path, or a
:class:`Refused` with the reason: an absolute path, a ``..`` component, a
symbolic link, a special file, an encrypted or oversized member, a duplicate.
Operating-system litter (``__MACOSX/``, ``.DS_Store``, ``Thumbs.db``,
``.ipynb_checkpoints/``) is set aside as ignored.
"""

from __future__ import annotations

import os
import re
import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

JUNK_DIRS = {"__MACOSX", ".ipynb_checkpoints", "__pycache__"}
JUNK_FILES = {".DS_Store", "Thumbs.db", "desktop.ini"}
DRIVE = re.compile(r"^[A-Za-z]:")


class SourceError(ValueError):
    """The download cannot be read at all; the message names the file."""


@dataclass(frozen=True)
class Entry:
    path: PurePosixPath  # relative, no "." or ".." parts
    size: int
    open: Callable[[], BinaryIO]


@dataclass(frozen=True)
class Refused:
    name: str
    reason: str


@dataclass
class Listing:
    entries: list[Entry] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    close: Callable[[], None] = lambda: None


def safe_relative(name: str) -> tuple[PurePosixPath | None, str]:
    """The name as a relative path, or None and why it is unsafe."""
    name = name.replace("\\", "/")
    if name.startswith("/") or DRIVE.match(name):
        return None, "absolute path"
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        return None, "path leads outside the folder (..)"
    if not parts:
        return None, "empty name"
    if any("\0" in p for p in parts):
        return None, "NUL character in the name"
    return PurePosixPath(*parts), ""


def is_junk(path: PurePosixPath) -> bool:
    return bool(JUNK_DIRS.intersection(path.parts[:-1])) or path.name in JUNK_FILES or (
        path.name.startswith("._")  # macOS resource forks
    )


def read_zip(archive: Path, max_size: int) -> Listing:
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceError(f"{archive}: not a readable zip file ({exc})") from None
    listing = Listing(close=zf.close)
    seen: set[PurePosixPath] = set()
    for info in zf.infolist():
        if info.is_dir():
            continue
        path, why = safe_relative(info.filename)
        mode = info.external_attr >> 16
        if path is None:
            pass
        elif stat.S_ISLNK(mode):
            why = "symbolic link"
        elif info.flag_bits & 0x1:
            why = "encrypted"
        elif info.file_size > max_size:
            why = f"larger than the limit ({info.file_size} > {max_size} bytes)"
        elif path in seen:
            why = "duplicate entry"
        if why:
            listing.refused.append(Refused(info.filename, why))
            continue
        assert path is not None
        seen.add(path)
        if is_junk(path):
            listing.ignored.append(str(path))
            continue
        listing.entries.append(
            Entry(path, info.file_size, lambda info=info: zf.open(info))  # type: ignore[misc]
        )
    return listing


def read_folder(folder: Path, max_size: int) -> Listing:
    listing = Listing()
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        here = Path(dirpath)
        for name in list(dirnames):
            if (here / name).is_symlink():
                dirnames.remove(name)
                listing.refused.append(
                    Refused(str((here / name).relative_to(folder)), "symbolic link, not followed")
                )
        dirnames.sort()
        for name in sorted(filenames):
            full = here / name
            rel = PurePosixPath(full.relative_to(folder).as_posix())
            info = full.lstat()
            if stat.S_ISLNK(info.st_mode):
                listing.refused.append(Refused(str(rel), "symbolic link, not followed"))
            elif not stat.S_ISREG(info.st_mode):
                listing.refused.append(Refused(str(rel), "not a regular file"))
            elif info.st_size > max_size:
                listing.refused.append(Refused(
                    str(rel), f"larger than the limit ({info.st_size} > {max_size} bytes)"
                ))
            elif is_junk(rel):
                listing.ignored.append(str(rel))
            else:
                listing.entries.append(Entry(rel, info.st_size, lambda full=full: full.open("rb")))
    return listing


def read(source: Path, max_size: int) -> Listing:
    """The entries of a zip file or a folder."""
    if source.is_dir():
        return read_folder(source, max_size)
    if source.is_file():
        return read_zip(source, max_size)
    raise SourceError(f"{source}: no such file or folder")
