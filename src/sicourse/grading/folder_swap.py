"""Replace a folder in one rename, so that it is never seen half-written."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink(missing_ok=True)


@contextmanager
def staged_folder(target: Path) -> Iterator[Path]:
    """An empty folder beside ``target`` to fill; when the block ends without an error it
    replaces ``target``, else it is deleted and ``target`` stays as it was.

    The old folder is moved aside before the swap and deleted after, so a reader sees
    the old folder or the new one, never a mixture; if the swap itself fails the old
    one is put back.
    """
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-new-", dir=parent))
    try:
        yield staging
        old = None
        if target.exists() or target.is_symlink():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}-old-", dir=parent))
            old.rmdir()
            target.rename(old)
        try:
            staging.rename(target)
        except OSError:
            if old is not None:
                old.rename(target)
            raise
        if old is not None:
            _remove(old)
    finally:
        _remove(staging)


def replace_folder(target: Path, source: Path | None) -> None:
    """Make ``target`` a copy of ``source`` in one rename (None: remove ``target``)."""
    if source is None:
        _remove(target)
        return
    with staged_folder(target) as staging:
        shutil.copytree(source, staging, symlinks=True, dirs_exist_ok=True)
