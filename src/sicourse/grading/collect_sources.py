"""Read the files of an LMS download, a zip or a folder, without trusting their names.

Every file becomes an :class:`Entry` with a safe relative path, or a
:class:`Refused` with the reason: an absolute path, a ``..`` component, a
symbolic link, a special file, a duplicate. Operating-system litter
(``__MACOSX/``, ``.DS_Store``, ``Thumbs.db``, ``.ipynb_checkpoints/``) is set
aside as ignored.

A zip entry that is encrypted or compressed with a method Python cannot
read (Deflate64, PPMd…) raises :class:`Unreadable` when opened, and a corrupt
one (a bad CRC, broken compressed data) one of :data:`READ_ERRORS` while it is
read: :func:`why_unreadable` says which, in words. The caller decides what
that means for the student (see ``collect_limits``).

Names come from the download and may hold terminal escape sequences:
everything printed goes through :func:`escape_controls`.
"""

from __future__ import annotations

import lzma
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from sicourse.errors import SicourseError

JUNK_DIRS = {"__MACOSX", ".ipynb_checkpoints", "__pycache__"}
JUNK_FILES = {".DS_Store", "Thumbs.db", "desktop.ini"}
DRIVE = re.compile(r"^[A-Za-z]:")


# What Python's zipfile can decompress, and the names of the methods it cannot.
READABLE_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
METHOD_NAMES = {1: "Shrink", 6: "Implode", 9: "Deflate64", 10: "PKWARE DCL Implode",
                93: "Zstandard", 95: "XZ", 96: "JPEG", 97: "WavPack", 98: "PPMd",
                99: "WinZip AES encryption"}
# What reading a damaged entry raises: zipfile (bad CRC, bad header), zlib and
# lzma (broken data), EOFError (truncated), OSError (bz2, or a folder's file).
READ_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError,
               RuntimeError, NotImplementedError, ValueError)


class SourceError(SicourseError, ValueError):
    """The download cannot be read at all; the message names the file."""


class Unreadable(Exception):
    """One file of the download cannot be read; the message says why."""


def escape_controls(text: str) -> str:
    r"""``text`` with every unprintable character (ESC, CR, bidi controls…) as an escape.

    ESC ``[31mred`` CR becomes ``\x1b[31mred\r``: a name from a download can
    neither colour nor rewrite the instructor's terminal, and looks as odd as it is.
    """
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def why_unreadable(exc: BaseException) -> str:
    """A reason, in words, for an error raised while reading one file of the download."""
    text = str(exc)
    if isinstance(exc, zipfile.BadZipFile) and "CRC" in text:
        return "corrupt: its CRC-32 check failed (the data was damaged)"
    if isinstance(exc, (zlib.error, lzma.LZMAError)):
        return f"corrupt: its compressed data cannot be decompressed ({text})"
    if isinstance(exc, EOFError):
        return "corrupt: its compressed data ends too early"
    if isinstance(exc, zipfile.BadZipFile):
        return f"corrupt zip entry ({text})"
    if isinstance(exc, OSError) and exc.strerror:
        return f"cannot be read ({exc.strerror})"
    return f"cannot be read ({type(exc).__name__}: {text})"


def open_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> BinaryIO:
    """The entry's data stream; :class:`Unreadable` if encrypted or compressed unreadably."""
    if info.flag_bits & 0x41 or info.compress_type == 99:  # 0x40: PKWARE strong encryption
        raise Unreadable("encrypted (password-protected); ask for the file without a password")
    if info.compress_type not in READABLE_METHODS:
        method = METHOD_NAMES.get(info.compress_type, "an unknown method")
        raise Unreadable(f"compressed with {method} (method {info.compress_type}), which "
                         "collect cannot read; ask for a zip made with ordinary (Deflate) "
                         "compression, or for the file itself")
    return zf.open(info)  # type: ignore[return-value]


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


def read_zip(archive: Path) -> Listing:
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
        listing.entries.append(Entry(path, info.file_size, partial(open_member, zf, info)))
    return listing


def read_folder(folder: Path) -> Listing:
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
            elif is_junk(rel):
                listing.ignored.append(str(rel))
            else:
                listing.entries.append(Entry(rel, info.st_size, lambda full=full: full.open("rb")))
    return listing


def read(source: Path) -> Listing:
    """The entries of a zip file or a folder (their sizes are checked as they are copied)."""
    if source.is_dir():
        return read_folder(source)
    if source.is_file():
        return read_zip(source)
    raise SourceError(f"{source}: no such file or folder")
