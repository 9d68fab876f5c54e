"""nbgrader's Execute, with every test cell run away from the student's code.

Stock nbgrader runs a test cell in the student's kernel, where the notebook
can rewrite what the test does (an AST transformer that drops ``assert``, a
hook that reads the hidden test before it runs, a patched ``math``) or read it
back later (``In``, a printed history). Here the student's cells run in their
kernel as usual, but for a test cell:

1. its source comes from the gradebook (the answer key), never from the
   submitted notebook, and never reaches the student's kernel;
2. the names it reads (:func:`reads`) are fetched from the student's kernel as
   plain data (:mod:`sicourse.grading.plain_data`): a value that is anything
   else fails the test, with a message saying so (:attr:`not_plain` says where);
3. the test runs in the clean evaluator (:mod:`sicourse.grading.evaluator`)
   with those values bound, and its outputs become the cell's outputs, so
   nbgrader scores it, and Formgrader and feedback show it, as before.

``nbgrader_config.py`` puts this class in place of nbgrader's ``Execute``, so
stock ``nbgrader autograde`` takes the same path; the grading worker's
:class:`~sicourse.grading.execute.SandboxedExecute` extends it.
"""

from __future__ import annotations

import ast
import builtins
import json
from pathlib import Path

from jupyter_core.utils import run_sync
from nbclient.exceptions import DeadKernelError
from nbformat import from_dict
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import Execute
from nbgrader.utils import is_grade, is_solution

from sicourse.grading import plain_data, sandbox
from sicourse.grading.evaluator import Evaluator, error

MODULE = "_sicourse_answers"
MARK = "SICOURSE-ANSWERS:"
# Run silently before the first cell: a fetcher whose code the notebook's names cannot
# shadow (it has a namespace of its own), in sys.modules.
SETUP = f"""\
def _sicourse_setup():
    import sys, types
    space = {{"__name__": {MODULE!r}}}
    exec({Path(plain_data.__file__).read_text(encoding="utf-8")!r}, space)
    ns = get_ipython().user_ns
    sys.modules[{MODULE!r}] = types.SimpleNamespace(
        fetch=lambda names: print({MARK!r} + space["fetch"](ns, names)))
_sicourse_setup()
del _sicourse_setup
"""
FETCH = f"__import__('sys').modules[{MODULE!r}].fetch({{names}})"
NOT_PLAIN = ("The grader reads answers only as plain values (None, True/False, numbers, text, "
             "and lists, tuples, sets or dicts of these). {problems}. The test counts as failed.")


def is_test(cell) -> bool:
    return cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)


def reads(source: str) -> list[str]:
    """The names a test reads from the notebook: those it uses but never binds itself,
    builtins aside. SyntaxError if it is not plain Python."""
    loaded, bound = set(), set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return sorted(n for n in loaded - bound if not hasattr(builtins, n))


def key_tests(resources: dict) -> dict[str, str]:
    """The answer key's test cells of the notebook being graded: grade id -> source."""
    info = (resources or {}).get("nbgrader", {})
    if not info.get("db_url"):
        return {}
    with Gradebook(info["db_url"]) as gb:
        try:
            notebook = gb.find_notebook(info["notebook"], info["assignment"])
        except MissingEntry:
            return {}
        answers = {c.name for c in notebook.solution_cells}
        graded = {c.name for c in notebook.grade_cells}
        return {c.name: c.source for c in notebook.source_cells
                if c.cell_type == "code" and c.name in graded and c.name not in answers}


class IsolatedTestsExecute(Execute):
    """Execute, with test cells run in a clean evaluator on plain data; see the module."""

    #: grade id -> why its test could not read an answer (the test failed)
    not_plain: dict[str, str]

    def preprocess(self, nb, resources=None, km=None):
        self._tests = key_tests(resources)
        evaluator = self.evaluator()
        try:
            return super().preprocess(nb, resources, km)
        finally:
            self.release(evaluator)

    # The evaluator: one per notebook here; the grading worker keeps one for its batch.
    def evaluator(self) -> Evaluator:
        self._evaluator = Evaluator(policy=sandbox.Policy(bwrap=sandbox.find_bwrap()),
                                    timeout=self.timeout or 30)
        return self._evaluator

    def release(self, evaluator: Evaluator) -> None:
        evaluator.close()

    async def async_execute_cell(self, cell, cell_index, execution_count=None,
                                 store_history=True):
        if self.kc is None or not is_test(cell):
            return await super().async_execute_cell(cell, cell_index, execution_count,
                                                    store_history)
        if not self._fetcher_ready:
            self._fetcher_ready = True
            await self._silent(SETUP)
        grade_id = cell.metadata["nbgrader"].get("grade_id", "")
        cell.outputs = [from_dict(out) for out in await self._outputs(grade_id)]
        cell.execution_count = None
        return cell

    # nbclient binds its own coroutine here, so the override needs its own binding.
    execute_cell = run_sync(async_execute_cell)

    async def _outputs(self, grade_id: str) -> list[dict]:
        source = self._tests.get(grade_id)
        if source is None:
            return [error("GraderError", f"{grade_id} is not a test of this assignment.")]
        try:
            names = reads(source)
        except SyntaxError as exc:
            return [error("GraderError", f"The test {grade_id} is not plain Python: {exc}")]
        text = await self._silent(FETCH.format(names=json.dumps(names))) if names else "{}"
        if text is None and not await self.km.is_alive():
            raise DeadKernelError("the kernel died")
        values, problems = plain_data.read((text or "").rpartition(MARK)[2], names)
        if problems:
            said = "; ".join(f"{name}: {why}" for name, why in sorted(problems.items()))
            self.not_plain[grade_id] = said
            return [error("NotPlainData", NOT_PLAIN.format(problems=said))]
        return self._evaluator.run(grade_id, source, values)

    async def _silent(self, code: str) -> str | None:
        """Run ``code`` in the kernel, outside the notebook and its history: what it printed,
        or None if it failed."""
        printed: list[str] = []
        size = 0

        def hook(msg):
            nonlocal size
            if msg["msg_type"] == "stream" and size <= plain_data.MAX_BYTES + 1000:
                text = msg["content"].get("text", "")
                size += len(text)
                printed.append(text)

        try:
            reply = await self.kc.execute_interactive(
                code, silent=True, store_history=False, allow_stdin=False,
                timeout=self.timeout or 30, output_hook=hook)
        except Exception:  # noqa: BLE001 - a kernel that cannot answer fails the test cell
            return None
        return "".join(printed) if reply["content"]["status"] == "ok" else None

    def reset_execution_trackers(self):
        super().reset_execution_trackers()
        self._fetcher_ready = False
        self.not_plain = {}
