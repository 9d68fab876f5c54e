"""Sequence: loading its YAML, the shuffle, the errors an author sees, and syncing."""

from __future__ import annotations

from pathlib import Path

import pytest

from sicourse.widgets import WIDGETS, ContentError, Sequence, load
from sicourse.widgets.sequence import score_of, shuffled

FIXTURE = Path(__file__).parent / "files" / "widgets" / "sequence.yml"

VALID = """\
widget: sequence
steps:
  - {id: first, text: First step}
  - {id: second, text: Second step, feedback: It comes second.}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "stages.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_registered():
    """Does load() pick Sequence for `widget: sequence`?"""
    assert WIDGETS["sequence"] is Sequence
    assert isinstance(load(FIXTURE), Sequence)


def test_valid_yaml_gives_traits():
    """Does a valid file give the steps in the right order, and a shuffled start?"""
    widget = load(FIXTURE)
    assert widget.title == "The six stages of social innovation"
    ids = ["prompts", "proposals", "prototypes", "sustaining", "scaling", "systemic"]
    assert [s["id"] for s in widget.steps] == ids
    assert widget.steps[2] == {
        "id": "prototypes", "text": "Prototyping and pilots",
        "feedback": "You test an idea before you try to keep it going.",
    }
    assert widget.steps[0]["feedback"] == ""
    assert sorted(widget.start) == sorted(ids)
    assert widget.start != ids
    assert widget.order == widget.start
    assert (widget.score, widget.checked) == (0, False)


def test_shuffle_is_deterministic_and_never_solved():
    """Is the starting order the same on every load, and never already the right order?"""
    assert load(FIXTURE).start == load(FIXTURE).start
    for n in range(2, 40):
        ids = [f"s{i}" for i in range(n)]
        order = shuffled(ids)
        assert order != ids and sorted(order) == sorted(ids)
        assert shuffled(ids) == order
    assert shuffled(["a", "b"]) == ["b", "a"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda t: t.replace("  - {id: second, text: Second step, feedback: It comes second.}\n",
                             ""),
         "field 'steps': needs at least 2 entries, has 1"),
        (lambda t: t.replace("id: second", "id: first"),
         "steps[2] (id 'first'): field 'id': duplicate id 'first'"),
        (lambda t: t.replace("{id: first, text: First step}", "{id: first}"),
         "steps[1] (id 'first'): field 'text': missing"),
        (lambda t: t.replace("text: First step", "text: 12"),
         "steps[1] (id 'first'): field 'text': expected text, got int 12"),
        (lambda t: t.replace("text: First step", "text: First step, category: x"),
         "steps[1] (id 'first'): field 'category': unknown field"),
        (lambda t: t.replace("steps:", "stepz:"), "field 'stepz': unknown field"),
        (lambda t: t.replace("steps:\n", "steps: a list\n").split("  - ")[0],
         "field 'steps': expected a list, got str 'a list'"),
        (lambda t: t + "  - just text\n", "field 'steps': entry 3 is not a mapping"),
        (lambda t: t.replace("widget: sequence\n", "widget: sequence\ntitle: [x]\n"),
         "field 'title': expected text, got list ['x']"),
    ],
)
def test_errors_name_file_entry_and_field(tmp_path, change, expected):
    """Does each authoring mistake give one ContentError naming the file, entry and field?"""
    path = write(tmp_path, change(VALID))
    with pytest.raises(ContentError) as info:
        load(path)
    assert str(info.value).startswith(f"{path}: {expected}")


# --- the score, in Python (tests/browser/test_scores_agree_browser.py: the same as the page's)

STEPS = [{"id": i, "text": i, "feedback": ""} for i in ("a", "b", "c", "d")]


@pytest.mark.parametrize(("order", "score"), [
    (["a", "b", "c", "d"], 4),
    (["b", "a", "c", "d"], 2),      # two swapped: the other two are in place
    (["a", "c", "b", "d"], 2),
    (["d", "c", "b", "a"], 0),
    (["b", "c", "d", "a"], 0),      # every step one place off
    ([], 0),
    (["a"], 1),                     # the page never holds an order this short: only "a" placed
    (["x", "y", "z", "w"], 0),      # ids no step has
    (["a", "a", "a", "a"], 1),
])
def test_score_counts_steps_in_their_place(order, score):
    """Does each position holding the step that belongs there count one, and nothing else?"""
    assert score_of(STEPS, order) == score


def test_order_set_in_python_gives_the_score_at_once():
    """Does the score follow the order from the start (whose steps may be in place already),
    whether Python or the page moves them, with checked left to the page?"""
    widget = Sequence(steps=STEPS, start=["c", "b", "a", "d"], order=["c", "b", "a", "d"])
    assert (widget.score, widget.checked) == (2, False)
    widget.order = ["a", "b", "c", "d"]
    assert widget.score == 4
    widget.set_state({"order": ["b", "a", "c", "d"]})  # the page, after a move
    assert (widget.score, widget.checked) == (2, False)
    loaded = load(FIXTURE)
    assert loaded.score == score_of(loaded.steps, loaded.start)
