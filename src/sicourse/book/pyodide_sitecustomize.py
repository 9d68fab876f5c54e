"""The kernel's ``sitecustomize``: installed packages are found before the notebook's folder.

The JupyterLite site puts this file into Pyodide's standard library as ``sitecustomize.py``
(:func:`sicourse.book.lite_site.add_startup_module`), so Python runs it as it starts.

Pyodide puts the working directory (``""``) first on ``sys.path``, and the kernel works in
the notebook's folder on the drive (``/drive/...``), whose every look-up is a request from
the kernel's worker to the page, through JupyterLite's service worker. Python asks the
working directory first for every module it imports: about 60 requests while a kernel
starts and runs its first cell, each waiting for a page still busy laying the notebook out.

With :class:`InstalledFirst` in ``sys.meta_path``, a module is looked for in the standard
library and the installed packages before the working directory, which is asked only for
what is not found there: a student's own ``helper.py`` beside a notebook still imports,
but a file named like a module of Python (``random.py``, ``csv.py``) no longer hides it.

Imported under its package name (as the tests do), it changes nothing until
:func:`install` is called.
"""

from __future__ import annotations

import sys
from importlib.machinery import PathFinder


class InstalledFirst:
    """Finds a top-level module on ``sys.path`` less its working-directory entry; gives up
    (for :class:`PathFinder`, next in line, to search it all) if it is not there."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if path is not None:  # a submodule: its package's own folders
            return None
        return PathFinder.find_spec(name, [entry for entry in sys.path if entry != ""], target)

    @staticmethod
    def invalidate_caches():
        pass  # PathFinder's caches are the ones used, and it clears them


def install() -> None:
    """Put :class:`InstalledFirst` just before :class:`PathFinder` (once)."""
    if InstalledFirst not in sys.meta_path:
        sys.meta_path.insert(sys.meta_path.index(PathFinder), InstalledFirst)


if __name__ == "sitecustomize":
    install()
