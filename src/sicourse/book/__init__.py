"""The book side: Sphinx extensions and what they build from lessons and exercises."""
