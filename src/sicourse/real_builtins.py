"""nbgrader's Execute preprocessor, with each test cell run against Python's real builtins.

A test cell runs in the student's namespace, so a student who writes
``list = ["A", "B"]`` (by accident) breaks a test that calls ``list``, and one
who writes ``sorted = lambda xs: ["A", "C"]`` or ``type = lambda x: str`` (on
purpose) passes a test with a wrong answer. Here, just before a test cell
runs, the builtins it names are taken from a copy made before the first cell,
whatever the notebook has done to its namespace, ``__builtins__`` or the
``builtins`` module; just after, the notebook's own names are put back, so its
later cells see what they saw before.

A student's code can still reach the kernel's internals; a notebook in which
this guard cannot run gets the test cell's error, and so no marks for it.

``nbgrader_config.py`` puts this class in place of nbgrader's ``Execute``;
the grading worker's sandboxed executor extends it.
"""

from __future__ import annotations

import builtins
import io
import json
import tokenize

from jupyter_core.utils import run_sync
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from nbgrader.utils import is_grade, is_solution

MODULE = "_sicourse_real_builtins"
MARK = "SICOURSE-BUILTINS:"

# The guard, run in a namespace of its own whose builtins are a private copy of the
# real ones: nothing the notebook replaces later changes what enter() and leave() call.
GUARD = f"""\
import builtins
real = dict(vars(builtins))
ns = get_ipython().user_ns
kept = {{}}


def enter(names):
    # Only what this test cell names: the notebook's functions keep seeing its own names.
    names = [n for n in names if n in real]
    table = vars(builtins)
    kept["builtins"] = dict(table)
    kept["dunder"] = ns.get("__builtins__", builtins)
    kept["names"] = {{n: ns.pop(n) for n in names if n in ns}}
    changed = sorted(kept["names"])
    changed += [n for n in names if table.get(n, real[n]) is not real[n]]
    if kept["dunder"] is not builtins:
        changed.append("__builtins__")
    ns["__builtins__"] = builtins
    table.update(real)
    print({MARK!r} + ",".join(sorted(set(changed))))


def leave():
    if not kept:
        return
    table, saved = vars(builtins), kept.pop("builtins")
    for extra in [n for n in table if n not in saved]:
        del table[extra]
    table.update(saved)
    ns["__builtins__"] = kept.pop("dunder")
    ns.update(kept.pop("names"))
"""
# Run silently before the first cell, while the kernel's builtins are still its own.
SETUP = f"""\
def _sicourse_setup():
    import builtins, sys, types
    space = {{"__builtins__": dict(vars(builtins)), "__name__": {MODULE!r}}}
    exec({GUARD!r}, space)
    sys.modules[{MODULE!r}] = types.SimpleNamespace(enter=space["enter"], leave=space["leave"])
_sicourse_setup()
del _sicourse_setup
"""
# A notebook that has replaced __import__ or sys.modules makes these fail: see GUARD_FAILED.
ENTER = f"__import__('sys').modules[{MODULE!r}].enter({{names}})"
LEAVE = f"__import__('sys').modules[{MODULE!r}].leave()"
GUARD_FAILED = ("The grader could not run this test with Python's own built-in functions "
                "(the notebook changed them): the test counts as failed.")


def builtin_names(source: str) -> list[str]:
    """The names of Python builtins that ``source`` mentions (its names, not its strings)."""
    found = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            name = token.string
            if token.type == tokenize.NAME and not name.startswith("_") and hasattr(builtins, name):
                found.add(name)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return sorted(found)


def is_test(cell) -> bool:
    return cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)


class RealBuiltinsExecute(Execute):
    """Execute, with test cells protected from a notebook's changes to the builtins.

    :attr:`builtins_replaced` lists the builtins that the notebook had replaced
    when a test cell used them (``__builtins__`` if it replaced that namespace).
    """

    builtins_replaced: set[str]

    async def async_execute_cell(self, cell, cell_index, execution_count=None,
                                 store_history=True):
        if not getattr(self, "_builtins_kept", False) and self.kc is not None:
            self._builtins_kept = True
            await self._silent(SETUP)
        if not is_test(cell) or self.kc is None:
            return await super().async_execute_cell(cell, cell_index, execution_count,
                                                    store_history)
        names = builtin_names(cell.source)
        report = await self._silent(ENTER.format(names=json.dumps(names)))
        if report is None or MARK not in report:
            await self._silent(LEAVE)
            self.builtins_replaced.add("the grader's guard")
            cell.outputs = [new_output("error", ename="GraderError", evalue=GUARD_FAILED,
                                       traceback=[GUARD_FAILED])]
            return cell
        self.builtins_replaced.update(filter(None, report.split(MARK, 1)[1].strip().split(",")))
        try:
            return await super().async_execute_cell(cell, cell_index, execution_count,
                                                    store_history)
        finally:
            await self._silent(LEAVE)

    # nbclient binds its own coroutine here, so the override needs its own binding.
    execute_cell = run_sync(async_execute_cell)

    async def _silent(self, code: str) -> str | None:
        """Run ``code`` in the kernel, outside the notebook and its history: what it printed,
        or None if it failed."""
        printed: list[str] = []

        def hook(msg):
            if msg["msg_type"] == "stream":
                printed.append(msg["content"].get("text", ""))

        try:
            reply = await self.kc.execute_interactive(
                code, silent=True, store_history=False, allow_stdin=False,
                timeout=self.timeout or 30, output_hook=hook)
        except Exception:  # noqa: BLE001 - a kernel that cannot answer fails the test cell
            return None
        return "".join(printed) if reply["content"]["status"] == "ok" else None

    def reset_execution_trackers(self):
        super().reset_execution_trackers()
        self._builtins_kept = False
        self.builtins_replaced = set()
