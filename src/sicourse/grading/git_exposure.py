"""Would ``git add .`` take this file? Students' personal data must stay out of the repository."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def exposed(path: Path) -> Path | None:
    """The root of the git work tree holding ``path`` if git would track it (inside the tree
    and not ignored), else None (also when git is missing)."""
    git = shutil.which("git")
    if git is None:
        return None
    path = path.resolve()
    folder = path if path.is_dir() else path.parent
    top = subprocess.run([git, "-C", str(folder), "rev-parse", "--show-toplevel"],
                         capture_output=True, text=True)
    if top.returncode != 0:
        return None  # not in a repository
    ignored = subprocess.run([git, "-C", str(folder), "check-ignore", "-q", str(path)],
                             capture_output=True)
    return None if ignored.returncode == 0 else Path(top.stdout.strip())
