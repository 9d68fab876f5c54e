"""Scratch folders of grading processes, named ``<tmp>/<prefix><pid>-*``, and their cleanup."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def clean_stale_scratch(prefix: str) -> None:
    """Delete ``<tmp>/<prefix><pid>-*`` folders whose process is gone (killed graders)."""
    for path in Path(tempfile.gettempdir()).glob(f"{prefix}*"):
        try:
            pid = int(path.name[len(prefix):].split("-")[0])
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except (ValueError, PermissionError, OSError):
            continue
