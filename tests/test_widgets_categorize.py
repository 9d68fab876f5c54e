"""Categorize: loading its YAML, the errors an author sees, and syncing with the front end."""

from __future__ import annotations

from pathlib import Path

import pytest

from sicourse.widgets import WIDGETS, Categorize, ContentError, load
from sicourse.widgets.categorize import score_of

FIXTURE = Path(__file__).parent / "files" / "widgets" / "categorize.yml"

VALID = """\
widget: categorize
categories:
  - {id: si, label: Social innovation}
  - {id: not, label: Not a social innovation}
items:
  - {id: library, text: Public libraries, category: si}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sorting.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_registered():
    """Does load() pick Categorize for `widget: categorize`?"""
    assert WIDGETS["categorize"] is Categorize
    assert isinstance(load(FIXTURE), Categorize)


def test_valid_yaml_gives_traits():
    """Does a valid file give the categories, items and text the front end needs?"""
    widget = load(FIXTURE)
    assert widget.title == "Social innovation or not?"
    assert widget.prompt == "Put each item where it belongs."
    assert widget.categories == [
        {"id": "si", "label": "Social innovation"},
        {"id": "not", "label": "Not a social innovation"},
    ]
    assert [i["id"] for i in widget.items] == ["library", "phone", "arabic"]
    assert widget.items[1] == {
        "id": "phone", "text": "A faster mobile phone", "category": "not", "feedback": "",
    }
    assert widget.items[2]["text"] == "مقهى اللغة في الحي"
    assert (widget.placement, widget.score, widget.checked) == ({}, 0, False)


def test_numeric_ids_match(tmp_path):
    """Can categories have numbers as ids, and items refer to them?"""
    text = VALID.replace("{id: si,", "{id: 1,").replace("category: si", "category: 1")
    widget = Categorize.from_yaml(write(tmp_path, text))
    assert widget.categories[0]["id"] == "1"
    assert widget.items[0]["category"] == "1"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda t: t.replace("category: si", "category: nope"),
         "items[1] (id 'library'): field 'category': 'nope' is not one of the categories: si, not"),
        (lambda t: t.replace(", category: si", ""),
         "items[1] (id 'library'): field 'category': missing"),
        (lambda t: t.replace("category: si", "category: [si]"),
         "items[1] (id 'library'): field 'category': expected an id, got list ['si']"),
        (lambda t: t.replace("  - {id: not, label: Not a social innovation}\n", ""),
         "field 'categories': needs at least 2 entries, has 1"),
        (lambda t: t.replace("id: not", "id: si"),
         "categories[2] (id 'si'): field 'id': duplicate id 'si'"),
        (lambda t: t + "  - {id: library, text: Again, category: not}\n",
         "items[2] (id 'library'): field 'id': duplicate id 'library'"),
        (lambda t: t.replace("text: Public", "txt: Public"),
         "items[1] (id 'library'): field 'txt': unknown field"),
        (lambda t: t.replace("label: Social innovation", "label: 3"),
         "categories[1] (id 'si'): field 'label': expected text, got int 3"),
        (lambda t: t.replace("label: Social innovation", "label: ''"),
         "categories[1] (id 'si'): field 'label': is empty"),
        (lambda t: t + "colour: red\n", "field 'colour': unknown field"),
        (lambda t: t.replace("items:\n  - {id: library, text: Public libraries, category: si}\n",
                             "items: []\n"),
         "field 'items': needs at least 1 entry, has 0"),
        (lambda t: t.replace("- {id: library", "- {identity: library"),
         "items[1]: field 'id': missing, or not text or a number"),
        (lambda t: t.replace(", category: si}", ", category: si, feedback: [x]}"),
         "items[1] (id 'library'): field 'feedback': expected text, got list ['x']"),
    ],
)
def test_errors_name_file_entry_and_field(tmp_path, change, expected):
    """Does each authoring mistake give one ContentError naming the file, entry and field?"""
    path = write(tmp_path, change(VALID))
    with pytest.raises(ContentError) as info:
        load(path)
    assert str(info.value).startswith(f"{path}: {expected}")


# --- the score, in Python (tests/browser/test_scores_agree_browser.py: the same as the page's)

ITEMS = [{"id": "library", "text": "L", "category": "si", "feedback": ""},
         {"id": "bank", "text": "B", "category": "not", "feedback": ""},
         {"id": "coop", "text": "C", "category": "si", "feedback": ""}]


@pytest.mark.parametrize(("placement", "score"), [
    ({}, 0),                                                # nothing placed
    ({"library": "si"}, 1),
    ({"library": "not"}, 0),
    ({"library": "si", "bank": "si", "coop": "si"}, 2),     # partly right
    ({"library": "si", "bank": "not", "coop": "si"}, 3),
    ({"library": "zz", "bank": ""}, 0),                     # no such category; none chosen
    ({"ghost": "si"}, 0),                                   # no such item
])
def test_score_counts_items_in_their_category(placement, score):
    """Does each item placed in its own category count one, and nothing else count?"""
    assert score_of(ITEMS, placement) == score


def test_placement_set_in_python_gives_the_score_at_once():
    """Setting the placement from Python (or the page, at each choice): does the score follow,
    with checked left to the page?"""
    widget = Categorize(items=ITEMS)
    assert widget.score == 0
    widget.placement = {"library": "si", "bank": "not"}
    assert (widget.score, widget.checked) == (2, False)
    widget.set_state({"placement": {"library": "not", "bank": "not", "coop": "si"}})
    assert widget.score == 2
    widget.items = ITEMS[1:]
    assert widget.score == 2
