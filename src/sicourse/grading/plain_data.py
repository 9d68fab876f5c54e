"""Answers as plain data: what may cross from a student's kernel to the test evaluator.

A test never runs where the student's code runs. The values it reads are
encoded in the student's kernel, sent as JSON, checked here and decoded in a
clean interpreter (:mod:`sicourse.grading.evaluator`). Plain data is ``None``,
``bool``, ``int``, ``float``, ``str`` and ``list``, ``tuple``, ``set``,
``frozenset`` and ``dict`` of these, of exactly these types: a subclass (a
``str`` that claims to equal anything) or any other object is not data and
is never sent.

The encoding: a scalar is itself; a container is ``{"list": [...]}``,
``{"tuple": [...]}``, ``{"set": [...]}``, ``{"frozenset": [...]}`` or
``{"dict": [[key, value], ...]}``.

This module imports only the standard library: its source also runs, as it
is, inside the student's kernel (:data:`FETCHER`) and inside the evaluator.
"""

import json

MAX_BYTES = 1_000_000  # the JSON of everything one test reads
MAX_ITEMS = 100_000  # values and containers in it
MAX_DEPTH = 20
SEQUENCES = {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}
SCALARS = (type(None), bool, int, float, str)


class NotPlain(ValueError):
    """A value that is not plain data (its message names the type or the limit)."""


def encode(value, budget=None, depth=0):
    """``value`` as JSON-ready plain data; :class:`NotPlain` if it is anything else."""
    budget = [MAX_ITEMS] if budget is None else budget
    budget[0] -= 1
    if budget[0] < 0:
        raise NotPlain(f"more than {MAX_ITEMS} values")
    if depth > MAX_DEPTH:
        raise NotPlain(f"nested more than {MAX_DEPTH} deep")
    kind = type(value)
    if kind in SCALARS:
        if kind is int and value.bit_length() > 4000:
            raise NotPlain("an integer too large")
        return value
    for tag, container in SEQUENCES.items():
        if kind is container:
            return {tag: [encode(item, budget, depth + 1) for item in value]}
    if kind is dict:
        return {"dict": [[encode(k, budget, depth + 1), encode(v, budget, depth + 1)]
                         for k, v in value.items()]}
    raise NotPlain(f"an object of type {kind.__qualname__}")


def decode(data, depth=0):
    """The value that ``data`` (from :func:`encode`, or anyone) stands for; ValueError if
    it is not a well-formed encoding."""
    if depth > MAX_DEPTH + 1:
        raise ValueError("nested too deep")
    if type(data) in SCALARS:
        return data
    if type(data) is not dict or len(data) != 1:
        raise ValueError(f"not an encoded value: {type(data).__name__}")
    ((tag, items),) = data.items()
    if type(items) is not list:
        raise ValueError(f"{tag}: not a list")
    try:
        if tag in SEQUENCES:
            return SEQUENCES[tag](decode(item, depth + 1) for item in items)
        if tag == "dict":
            if any(type(pair) is not list or len(pair) != 2 for pair in items):
                raise ValueError("dict: not a list of pairs")
            return {decode(k, depth + 1): decode(v, depth + 1) for k, v in items}
    except TypeError as exc:  # an unhashable set member or key
        raise ValueError(str(exc)) from None
    raise ValueError(f"unknown tag {tag!r}")


def fetch(namespace, names):
    """What a test reading ``names`` gets from ``namespace``, as JSON: for each name
    ``{"value": ...}``, ``{"missing": true}`` or ``{"not_plain": "why"}``."""
    found, budget = {}, [MAX_ITEMS]
    for name in names:
        if name not in namespace:
            found[name] = {"missing": True}
            continue
        try:
            found[name] = {"value": encode(namespace[name], budget)}
        except NotPlain as exc:
            found[name] = {"not_plain": str(exc)}
        except RecursionError:
            found[name] = {"not_plain": f"nested more than {MAX_DEPTH} deep"}
    text = json.dumps(found)
    if len(text) > MAX_BYTES:
        return json.dumps({name: {"not_plain": f"over {MAX_BYTES} bytes together"}
                           for name in names})
    return text


def read(text, names):
    """Check what the student's kernel sent for ``names``: (values to bind, problems).

    ``values`` maps each name that holds plain data to its encoding (names the
    notebook never defined are left out, so the test meets a NameError);
    ``problems`` maps each other name to why it cannot be used.
    """
    if len(text) > MAX_BYTES + 1000:
        return {}, {name: f"over {MAX_BYTES} bytes" for name in names}
    try:
        found = json.loads(text)
    except (ValueError, RecursionError):
        found = None
    if type(found) is not dict:
        return {}, {name: "the notebook's kernel did not send it" for name in names}
    values, problems = {}, {}
    for name in names:
        entry = found.get(name)
        if type(entry) is dict and entry.get("missing") is True:
            continue
        if type(entry) is dict and "value" in entry:
            try:
                decode(entry["value"])
            except (ValueError, RecursionError):
                problems[name] = "the notebook's kernel sent something that is not data"
            else:
                values[name] = entry["value"]
                continue
        elif type(entry) is dict and type(entry.get("not_plain")) is str:
            problems[name] = entry["not_plain"][:200]
        else:
            problems.setdefault(name, "the notebook's kernel did not send it")
    return values, problems
