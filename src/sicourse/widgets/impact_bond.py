"""ImpactBondSimulator: what a social impact bond pays its investors, and when.

YAML schema (``widget: impact_bond``)::

    widget: impact_bond
    title: Simulate a social impact bond          # optional
    prompt: Load a preset, then change the figures.   # optional
    presets:                                      # at least 1; the first is shown first
      - id: peterborough
        label: Peterborough prison, UK (2010)
        capital: 5000000          # money raised from investors, spent on the service (> 0)
        target: 7.5               # % improvement needed before any payment (>= 0)
        achieved: 9               # % improvement achieved (may be negative)
        payment_per_point: 683000 # outcome payment per percentage point achieved (>= 0)
        cap: 8000000              # optional: the most the outcome payer pays in total (> 0)
        years: 7                  # from investment to final payment (> 0)
        currency: GBP             # optional, a three-letter ISO code; default GBP
        note: Optional text shown with the preset.

The formula lives here, in ``outcome``, and again in ``static/impact_bond.js``
(which runs it in the browser); ``tests/files/widgets/impact_bond_cases.yml``
holds hand-computed cases that both must reproduce. The ``result`` trait is
``result_of`` the inputs, whichever side changed them: the outcome, or the
page's words for what to fix.
"""

from __future__ import annotations

import math
import re

import traitlets

from sicourse.widgets.base import CourseWidget, bundle
from sicourse.widgets.content import Fields

# The inputs, in the page's order, with the page's labels (INPUTS in impact_bond.js).
LABELS = {
    "capital": "Capital raised from investors",
    "target": "Target improvement",
    "achieved": "Improvement achieved",
    "payment_per_point": "Payment per percentage point",
    "cap": "Cap on total payments",
    "years": "Years to final payment",
}
INPUTS = tuple(LABELS)
# What each input must be, in the page's words (problems() in impact_bond.js).
RULES = {
    "capital": ("must be more than 0", lambda v: v > 0),
    "target": ("must not be negative", lambda v: v >= 0),
    "payment_per_point": ("must not be negative", lambda v: v >= 0),
    "years": ("must be more than 0", lambda v: v > 0),
    "cap": ("must be more than 0 (leave it empty for no cap)", lambda v: v is None or v > 0),
}


def problems(
    capital: float, target: float, achieved: float, payment_per_point: float, years: float,
    cap: float | None = None,
) -> dict[str, str]:
    """{input name: what is wrong with it} for inputs ``outcome`` cannot use; empty if none."""
    values = {
        "capital": capital, "target": target, "achieved": achieved,
        "payment_per_point": payment_per_point, "years": years, "cap": cap,
    }
    found = {}
    for name, value in values.items():
        if name == "cap" and value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            found[name] = "must be a number"
        elif not math.isfinite(value):
            found[name] = "must be a finite number"
    for name, (message, ok) in RULES.items():
        if name not in found and not ok(values[name]):
            found[name] = message
    return found


def outcome(
    capital: float, target: float, achieved: float, payment_per_point: float, years: float,
    cap: float | None = None,
) -> dict:
    """What the outcome payer pays and what the investors make of it.

    Returns ``met``, ``payer_pays``, ``investors_receive``, ``investor_gain``,
    ``multiple`` (money back per unit invested) and ``annual_return`` (a
    fraction, to 10 decimal places; -1.0 when nothing is paid). Raises
    ``ValueError`` for inputs that ``problems`` rejects.
    """
    wrong = problems(capital, target, achieved, payment_per_point, years, cap)
    if wrong:
        raise ValueError("; ".join(f"{name} {message}" for name, message in wrong.items()))
    met = achieved >= target
    limit = cap if cap is not None else math.inf
    payer_pays = min(payment_per_point * achieved, limit) if met else 0
    multiple = payer_pays / capital
    if payer_pays > 0:
        try:
            growth = multiple ** (1 / years)
        except OverflowError:  # JavaScript's ** gives Infinity
            growth = math.inf
        # Rounded because the last bit of ** differs between Python and browsers; 10
        # decimal places make both give the same number (toFixed(10) in impact_bond.js).
        annual_return = round(growth - 1, 10)
    else:
        annual_return = -1.0
    return {
        "met": met,
        "payer_pays": float(payer_pays),
        "investors_receive": float(payer_pays),
        "investor_gain": float(payer_pays - capital),
        "multiple": float(multiple),
        "annual_return": float(annual_return),
    }


def result_of(
    capital: float, target: float, achieved: float, payment_per_point: float, years: float,
    cap: float | None = None,
) -> dict:
    """What the page shows for these inputs: ``outcome``, or ``{"error": what to fix}`` in
    the page's words, in English (one sentence per input that is wrong, in the page's
    order)."""
    wrong = problems(capital, target, achieved, payment_per_point, years, cap)
    if wrong:
        return {"error": " ".join(f"{LABELS[n]} {wrong[n]}." for n in INPUTS if n in wrong)}
    return outcome(capital, target, achieved, payment_per_point, years, cap)


def _preset(entry: Fields) -> dict:
    entry.only("id", "label", *INPUTS, "currency", "note")
    values = {name: entry.number(name) for name in INPUTS if name != "cap"}
    values["cap"] = entry.number("cap") if entry.data.get("cap") is not None else None
    wrong = problems(**values)
    if wrong:
        name, message = next(iter(wrong.items()))
        raise entry.error(name, f"{message}, got {values[name]!r}")
    currency = entry.text("currency", default="GBP")
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise entry.error("currency", f"expected a three-letter code such as GBP, got {currency!r}")
    return {
        "id": entry.ident(), "label": entry.text("label"), **values, "currency": currency,
        "note": entry.text("note", default=""),
    }


class ImpactBondSimulator(CourseWidget):
    """Number inputs for a social impact bond, its outcome in words and a bar chart."""

    kind = "impact_bond"
    _esm = bundle("impact_bond.js")
    presets = traitlets.List(traitlets.Dict()).tag(sync=True)
    # The inputs, two-way: the front end writes what the learner types.
    preset = traitlets.Unicode("").tag(sync=True)  # id of the preset loaded; "" once edited
    capital = traitlets.Float(1.0).tag(sync=True)
    target = traitlets.Float(0.0).tag(sync=True)
    achieved = traitlets.Float(0.0).tag(sync=True)
    payment_per_point = traitlets.Float(0.0).tag(sync=True)
    cap = traitlets.Float(None, allow_none=True).tag(sync=True)
    years = traitlets.Float(1.0).tag(sync=True)
    currency = traitlets.Unicode("GBP").tag(sync=True)
    # result_of() the inputs, computed here when they change and by the page as the learner
    # types: outcome() of the inputs, or {"error": ...}.
    result = traitlets.Dict().tag(sync=True)
    _from_page = False  # True while set_state applies a result the page computed

    def _inputs(self) -> dict:
        return {name: getattr(self, name) for name in INPUTS}

    @traitlets.default("result")
    def _first_result(self) -> dict:
        return result_of(**self._inputs())

    @traitlets.observe(*INPUTS)
    def _recompute(self, change: dict) -> None:
        if not self._from_page:
            self.result = result_of(**self._inputs())

    def set_state(self, sync_data: dict) -> None:
        """An update from the page. The page sends the result it shows with the inputs it
        changed; that result stands, since a box left empty or half typed reaches it but
        not the inputs (the page writes only numbers to them)."""
        self._from_page = "result" in sync_data
        try:
            super().set_state(sync_data)
        finally:
            self._from_page = False

    @classmethod
    def parse(cls, fields: Fields) -> dict:
        fields.only("widget", "title", "prompt", "presets")
        presets = [_preset(entry) for entry in fields.entries("presets")]
        first = presets[0]
        inputs = {name: first[name] for name in INPUTS}
        return {
            "title": fields.text("title", default=""),
            "prompt": fields.text("prompt", default=""),
            "presets": presets,
            "preset": first["id"],
            **inputs,
            "currency": first["currency"],
        }
