"""Tooling for the open course on social innovation."""

__version__ = "0.1.0"
