"""Tooling for the open course on social innovation."""

__version__ = "0.1.0"

from pathlib import Path

#: The package's one tree of front-end files: the page renderer, and widgets/ (ES modules, CSS).
STATIC = Path(__file__).parent / "static"
