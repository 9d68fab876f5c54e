"""The coverage map: which lesson sections teach each point of the source-text digest.

Point ids number the list items under each ``## NNN`` source heading of the
digest in order, nested items included: ``000-01``, ``000-02``, ... Each
lesson's ``book/coverage/NN-slug.yml`` maps point ids to MyST section labels
of that lesson; ``book/coverage/out-of-scope.yml`` names the points the digest
itself marks out of scope, with a reason.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

OUT_OF_SCOPE = "out-of-scope.yml"


def digest_points(digest: Path) -> dict[str, str]:
    """{point id: its text} for every list item of the digest."""
    points: dict[str, str] = {}
    source, number, last = None, 0, None
    for line in digest.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"## (\d{3}) ", line)
        if heading:
            source, number = heading.group(1), 0
            continue
        item = re.match(r"\s*(?:- |\d+\. )(.*)", line)
        if source and item:
            number += 1
            last = f"{source}-{number:02d}"
            points[last] = item.group(1)
        elif source and last and line.startswith("  ") and line.strip():
            points[last] += " " + line.strip()
    return points


def coverage_maps(folder: Path) -> dict[str, dict[str, list[str]]]:
    """{lesson stem: {point id: [labels]}} from every lesson's coverage file."""
    maps = {}
    for path in sorted(folder.glob("*.yml")):
        if path.name == OUT_OF_SCOPE:
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
            raise ValueError(f"{path}: expected a mapping from point id to a list of labels")
        maps[path.stem] = {str(k): v for k, v in data.items()}
    return maps


def section_labels(lesson: Path) -> set[str]:
    """The labels that stand directly above a heading in a MyST lesson."""
    text = lesson.read_text(encoding="utf-8")
    return set(re.findall(r"^\(([\w-]+)\)=\n#+ ", text, flags=re.M))
