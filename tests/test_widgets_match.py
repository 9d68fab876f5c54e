"""Match: loading its YAML, the shuffled column, the errors an author sees, and syncing."""

from __future__ import annotations

from pathlib import Path

import pytest

from sicourse.widgets import WIDGETS, ContentError, Match, load
from sicourse.widgets.match import score_of

FIXTURE = Path(__file__).parent / "files" / "widgets" / "match.yml"

VALID = """\
widget: match
pairs:
  - {id: a, left: Alpha, right: First letter}
  - {id: b, left: Beta, right: Second letter}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pairs.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_registered():
    """Does load() pick Match for `widget: match`?"""
    assert WIDGETS["match"] is Match
    assert isinstance(load(FIXTURE), Match)


def test_valid_yaml_gives_traits():
    """Does a valid file give the pairs, the column headings and a shuffled right column?"""
    widget = load(FIXTURE)
    assert (widget.left_label, widget.right_label) == ("Principle", "What it means")
    ids = ["orientation", "people", "prototype", "hebrew"]
    assert [p["id"] for p in widget.pairs] == ids
    assert widget.pairs[3] == {"id": "hebrew", "left": "שיתוף", "right": "עבודה משותפת עם הקהילה"}
    assert sorted(widget.right_order) == sorted(ids)
    assert widget.right_order != ids
    assert widget.right_order == load(FIXTURE).right_order
    assert (widget.matches, widget.score, widget.checked) == ({}, 0, False)


def test_headings_are_optional(tmp_path):
    """Can an author leave out the column headings?"""
    widget = load(write(tmp_path, VALID))
    assert (widget.left_label, widget.right_label) == ("", "")
    assert widget.right_order == ["b", "a"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda t: t.replace("right: Second letter", "right: First letter"),
         "pairs[2] (id 'b'): field 'right': the same text as pair 'a': 'First letter'"),
        (lambda t: t.replace("right: Second letter", "right: '  first   LETTER'"),
         "pairs[2] (id 'b'): field 'right': the same text as pair 'a'"),
        (lambda t: t.replace("left: Beta", "left: Alpha"),
         "pairs[2] (id 'b'): field 'left': the same text as pair 'a': 'Alpha'"),
        (lambda t: t.split("  - {id: b")[0], "field 'pairs': needs at least 2 entries, has 1"),
        (lambda t: t.replace("{id: b,", "{id: a,"),
         "pairs[2] (id 'a'): field 'id': duplicate id 'a'"),
        (lambda t: t.replace(", right: First letter", ""),
         "pairs[1] (id 'a'): field 'right': missing"),
        (lambda t: t.replace("left: Alpha", "left: true"),
         "pairs[1] (id 'a'): field 'left': expected text, got bool True"),
        (lambda t: t.replace("right: First letter", "right: First letter, feedback: x"),
         "pairs[1] (id 'a'): field 'feedback': unknown field"),
        (lambda t: t + "left_label: 5\n", "field 'left_label': expected text, got int 5"),
        (lambda t: t.replace("pairs:", "pair:"), "field 'pair': unknown field"),
    ],
)
def test_errors_name_file_entry_and_field(tmp_path, change, expected):
    """Does each authoring mistake give one ContentError naming the file, entry and field?"""
    path = write(tmp_path, change(VALID))
    with pytest.raises(ContentError) as info:
        load(path)
    assert str(info.value).startswith(f"{path}: {expected}")


# --- the score, in Python (tests/browser/test_scores_agree_browser.py: the same as the page's)

PAIRS = [{"id": i, "left": i.upper(), "right": f"{i} text"} for i in ("a", "b", "c")]


@pytest.mark.parametrize(("matches", "score"), [
    ({}, 0),                                    # nothing chosen
    ({"a": "a"}, 1),
    ({"a": "b", "b": "a"}, 0),                  # two texts swapped
    ({"a": "a", "b": "c", "c": "b"}, 1),        # partly right
    ({"a": "a", "b": "b", "c": "c"}, 3),
    ({"a": "zz", "b": ""}, 0),                  # no such pair; none chosen
    ({"zz": "zz"}, 0),                          # no such left-hand item
])
def test_score_counts_pairs_matched_right(matches, score):
    """Does each left-hand item given its own right-hand text count one, and nothing else?"""
    assert score_of(PAIRS, matches) == score


def test_matches_set_in_python_give_the_score_at_once():
    """Setting the matches from Python (or the page, at each choice): does the score follow,
    with checked left to the page?"""
    widget = Match(pairs=PAIRS)
    assert widget.score == 0
    widget.matches = {"a": "a", "b": "b"}
    assert (widget.score, widget.checked) == (2, False)
    widget.set_state({"matches": {"a": "a", "b": "b", "c": "c"}, "score": 3, "checked": True})
    assert (widget.score, widget.checked) == (3, True)
