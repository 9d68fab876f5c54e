"""One list of assignment titles (book/assignments.yml), used by every page that names them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENTS = yaml.safe_load((REPO / "book" / "assignments.yml").read_text("utf-8"))


def page(name: str) -> str:
    return (REPO / "book" / name).read_text("utf-8")


def test_the_list_names_every_assignment_folder():
    """Is every folder in exercises/ in the list, numbered 1, 2, 3... in order?"""
    folders = sorted(p.name for p in (REPO / "exercises").iterdir() if p.is_dir())
    assert [a["folder"] for a in ASSIGNMENTS] == folders
    assert [a["number"] for a in ASSIGNMENTS] == list(range(1, len(folders) + 1))


@pytest.mark.parametrize("a", ASSIGNMENTS, ids=lambda a: a["folder"])
def test_the_notebook_has_the_listed_title(a):
    """Does the notebook open with '# Assignment N: <title>'?"""
    path = REPO / "exercises" / a["folder"] / f"{a['notebook']}.ipynb"
    nb = json.loads(path.read_text("utf-8"))
    first = "".join(nb["cells"][0]["source"]).splitlines()[0]
    assert first == f"# Assignment {a['number']}: {a['title']}"


@pytest.mark.parametrize("a", ASSIGNMENTS, ids=lambda a: a["folder"])
def test_the_pages_use_the_listed_title(a):
    """Do the table of contents, syllabus, how-to-use page and instructor guide agree?"""
    n, title = a["number"], a["title"]
    assert f"book/generated/assignments/{a['folder']}/{a['notebook']}" in \
        (REPO / "_toc.yml").read_text("utf-8")
    assert f"**Assignment {n}**: {title}" in page("syllabus.md")
    assert f"| {n}. {title} |" in page("how-to-use.md")
    assert f"| {n}. {title} | `{a['folder']}` |" in page("instructor-guide.md")


def test_no_page_gives_an_assignment_another_title():
    """Is every 'Assignment N: title' or 'N. title' table cell in the book one of the list's?"""
    titles = {a["number"]: a["title"] for a in ASSIGNMENTS}
    for name in ("syllabus.md", "how-to-use.md", "instructor-guide.md", "intro.md"):
        text = page(name)
        for n, rest in re.findall(r"Assignment (\d)\**:\s*([^|\n]+)", text):
            assert rest.startswith(titles[int(n)]), (name, n, rest)
