"""The loader every widget shares: file-level mistakes, picking the class, and the registry."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from sicourse.widgets import WIDGETS, Categorize, ContentError, CourseWidget, Quiz, load
from sicourse.widgets.base import STATIC

ROOT = Path(__file__).parent.parent
# Every widget content file in the tests and the gallery (the case table is not one).
FIXTURES = sorted(
    p for p in (Path(__file__).parent / "files" / "widgets").glob("*.yml")
    if p.name != "impact_bond_cases.yml"
)
GALLERY = sorted((ROOT / "book" / "widgets").glob("*.yml"))


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "content.yml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("widget: categorize\nitems: [unclosed\n", "invalid YAML: "),
        ("widget: categorize\n\titems: []\n", "invalid YAML: "),
        ("- widget: categorize\n", "expected a mapping of fields at the top level"),
        ("", "expected a mapping of fields at the top level"),
        (b"widget: quiz\ntitle: \xff\xfe\n", "not UTF-8 text"),
        ("title: No kind\n", "field 'widget': missing"),
        ("widget: [quiz]\n", "field 'widget': expected text, got list ['quiz']"),
        ("widget: quiz\nquestions:\n  - id: q\n    kind: single\n    prompt: P\n"
         "    options:\n      - {id: yes, text: A, correct: true, feedback: F}\n"
         "      - {id: b, text: B, feedback: F}\n",
         "questions[1] (id 'q').options[1]: field 'id': read as true/false: put ids like yes"),
        ("widget: slideshow\n", "field 'widget': 'slideshow' is not one of quiz, categorize, "
                                "sequence, match, impact_bond, theory_of_change"),
    ],
)
def test_file_level_mistakes(tmp_path, text, expected):
    """Does a broken file give one ContentError that names it, never a library traceback?"""
    path = write(tmp_path, text)
    with pytest.raises(ContentError) as info:
        load(path)
    assert str(info.value).startswith(f"{path}: {expected}")


def test_missing_file(tmp_path):
    """Does a path that does not exist say so, with the path?"""
    with pytest.raises(ContentError, match="nothing.yml: file not found"):
        load(tmp_path / "nothing.yml")


def test_class_refuses_another_kind(tmp_path):
    """Does loading a quiz file with the Categorize class name both kinds?"""
    path = write(tmp_path, "widget: quiz\nquestions: []\n")
    with pytest.raises(ContentError) as info:
        Categorize.from_yaml(path)
    assert str(info.value) == (
        f"{path}: field 'widget': this file is for 'quiz', not 'categorize'"
    )


def test_registry():
    """Is every widget registered under its own kind, exported, and shipped with its module?"""
    import sicourse.widgets as widgets

    assert list(WIDGETS) == [
        "quiz", "categorize", "sequence", "match", "impact_bond", "theory_of_change",
    ]
    for kind, cls in WIDGETS.items():
        assert issubclass(cls, CourseWidget) and cls.kind == kind
        assert cls.__name__ in widgets.__all__
        assert (STATIC / f"{kind}.js").is_file()
        assert "function frame(" in cls._esm and "export default" in cls._esm
    assert WIDGETS["quiz"] is Quiz


@pytest.mark.parametrize("path", FIXTURES + GALLERY, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_content_file_loads(path):
    """Does every widget fixture and gallery file load, as the widget its name says?"""
    assert load(path).kind == path.stem


def test_gallery_shows_every_widget():
    """Does the gallery have a content file for each kind of widget?"""
    kinds = {load(path).kind for path in GALLERY}
    assert kinds == set(WIDGETS)


@pytest.mark.usefixtures("node")
@pytest.mark.parametrize("kind", list(WIDGETS))
def test_every_bundle_parses_as_a_module(tmp_path, kind):
    """Is each widget's shipped ES module (common.js + its own file) valid JavaScript?"""
    module = tmp_path / f"{kind}.mjs"
    module.write_text(WIDGETS[kind]._esm, encoding="utf-8")
    result = subprocess.run(["node", "--check", str(module)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
