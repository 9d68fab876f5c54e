"""nbgrader's Execute preprocessor, run in a sandboxed kernel, and safe against what it runs.

Differences from stock ``Execute`` (configured in place of it by the worker), besides
running test cells in the clean evaluator on plain data
(:mod:`sicourse.grading.isolated_tests`):

- the kernel comes from the worker's :class:`~sicourse.grading.kernels.KernelPool`
  (sandboxed, already started), the evaluator is the worker's; before the first
  cell the kernel copies the submission's files into its working folder;
- a per-notebook time limit, and a watchdog on the kernel's private tmpfs (its
  working folder, ``/tmp`` and connection folder): past the time, or when it
  fills one of them or makes more files than :attr:`Limits.files`, the sandbox
  is killed;
- when the kernel dies or stops answering, nbclient raises and stock nbgrader
  drops the whole submission. Here the cell that was running and every code
  cell after it get an error output instead (so their tests score zero), and
  the cells that ran keep their marks;
- output beyond a budget is dropped as it arrives (a 100 MB print does not
  reach the notebook), except what grading reads: errors, stderr and
  ``execute_result`` are kept, shortened.

The worker builds one instance per submission, with its :class:`Context`
(``SandboxedExecute(config=..., context=...)``), and reads what happened from
``context.run``.
"""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from time import monotonic

from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbformat.v4 import new_output
from traitlets import Float, Instance, Integer

from sicourse.grading.evaluator import Evaluator
from sicourse.grading.flags import Flag, scan_outputs
from sicourse.grading.isolated_tests import IsolatedTestsExecute, key_tests
from sicourse.grading.kernels import KernelPool

# Run by the kernel before the first cell (not in its history): the staged files, copied
# one by one (copytree would also try to change the mode of the working folder itself).
UNSTAGE = """\
def _sicourse_unstage(stage):
    import os, shutil
    for folder, _, files in os.walk(stage):
        rel = os.path.relpath(folder, stage)
        os.makedirs(rel, exist_ok=True)
        for name in files:
            shutil.copyfile(os.path.join(folder, name), os.path.join(rel, name))
_sicourse_unstage({stage!r})
del _sicourse_unstage
"""


@dataclass
class Run:
    flags: list[Flag] = field(default_factory=list)
    stopped: str | None = None  # why execution stopped early (a flag code)
    seconds: float = 0.0
    kernel_log: str = ""
    kernel_rss_mb: float = 0.0


@dataclass
class Context:
    """What the worker gives the preprocessor for one submission."""

    pool: KernelPool
    evaluator: Evaluator
    files: list[tuple[Path, str]] = field(default_factory=list)  # (source, relative path)
    run: Run = field(default_factory=Run)


def _where(cell, index: int) -> str:
    return cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index + 1}"


def _size(content: dict) -> int:
    if "text" in content:
        return len(content["text"])
    if "data" in content:
        return sum(len(str(value)) for value in content["data"].values())
    return len(str(content.get("evalue", ""))) + sum(map(len, content.get("traceback", [])))


class SandboxedExecute(IsolatedTestsExecute):
    """Execute each cell in a sandboxed kernel; see the module docstring."""

    notebook_timeout = Integer(
        300, help="Seconds a whole notebook may run before its kernel is killed."
    ).tag(config=True)
    max_output_bytes = Integer(
        2_000_000, help="Output kept per notebook; later output is dropped (errors kept)."
    ).tag(config=True)
    watch_interval = Float(0.1, help="Seconds between two looks at the kernel's tmpfs.").tag(
        config=True)

    context = Instance(Context, allow_none=True,
                       help="The worker's kernel pool, evaluator and staged files; the outcome.")

    # --- output budget -------------------------------------------------------------------
    def output(self, outs, msg, display_id, cell_index):
        self._output_bytes += _size(msg["content"])
        if self._output_bytes > self.max_output_bytes:
            msg = self._shrunk(msg, cell_index)
            if msg is None:
                return None
        return super().output(outs, msg, display_id, cell_index)

    def _shrunk(self, msg: dict, cell_index: int) -> dict | None:
        content = dict(msg["content"])
        kind = msg["msg_type"]
        note = f"\n[output truncated: over {self.max_output_bytes} bytes]\n"
        first = cell_index not in self._truncated
        self._truncated.add(cell_index)
        if kind == "stream" and content.get("name") == "stderr":
            content["text"] = content["text"][:200] + note
        elif kind == "error":
            content["traceback"] = [line[:2000] for line in content.get("traceback", [])[-20:]]
            content["evalue"] = str(content.get("evalue", ""))[:2000]
        elif kind == "execute_result":
            plain = str(content.get("data", {}).get("text/plain", ""))[:200]
            content["data"], content["metadata"] = {"text/plain": plain}, {}
        elif first:
            return {**msg, "msg_type": "stream", "content": {"name": "stdout", "text": note}}
        else:
            return None
        return {**msg, "content": content}

    # --- running -------------------------------------------------------------------------
    def _stage(self, stage: Path) -> None:
        """Copy the submission's files where the kernel can read them."""
        for source, rel in self.context.files:
            target = stage / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            target.chmod(0o644)
            for parent in target.relative_to(stage).parents:
                (stage / parent).chmod(0o755)

    def _unstage(self, kernel, run: Run) -> None:
        """Have the kernel copy the staged files into its working folder (before any cell)."""
        if not self.context.files:
            return
        code = UNSTAGE.format(stage=str(kernel.slot.stage))
        reply = run_sync(self.kc.execute_interactive)(
            code, silent=True, store_history=False, allow_stdin=False, timeout=60,
            output_hook=lambda msg: None)
        if reply["content"]["status"] != "ok":
            run.flags.append(Flag("extra-files", "could not all be copied into the kernel's "
                                  f"folder ({reply['content'].get('evalue', '')[:80]})"))

    def _start(self, nb: NotebookNode):
        """A kernel from the pool, connected and ready (one retry with a fresh one)."""
        pool = self.context.pool
        for attempt in (1, 2):
            kernel = pool.take()
            pool.prestart()
            NotebookClient.__init__(self, nb, kernel.km)
            try:
                self._stage(kernel.slot.stage)
                # As nbclient's start_new_kernel_client, with the pool's connected client.
                self.kc = kernel.kc
                kernel.wait_ready(self.startup_timeout)
                self.kc.allow_stdin = False
                self._unstage(kernel, self.context.run)
                return kernel
            except Exception:
                log = kernel.slot.log_tail()
                kernel.stop()
                if attempt == 2:
                    raise RuntimeError(f"the sandboxed kernel did not start:\n{log}") from None
        raise AssertionError("unreachable")

    def preprocess(self, nb, resources=None, km=None):
        if self.context is None:
            raise RuntimeError("SandboxedExecute runs inside a grading worker (no kernel pool)")
        run = self.context.run
        self._output_bytes = 0
        self._truncated: set[int] = set()
        self._tests = key_tests(resources)
        self._evaluator = self.context.evaluator
        started = monotonic()
        kernel = self._start(nb)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        expired = threading.Event()
        finished = threading.Event()
        over: list[Flag] = []

        def watch():
            """Kill the sandbox past the notebook's time, or when it fills its tmpfs."""
            limit = kernel.policy.limits.files
            while not finished.wait(self.watch_interval):
                files, full = kernel.usage()
                if files > limit or full:
                    over.append(Flag("disk-limit", f"filled {', '.join(full)}" if full else
                                     f"made over {limit} files"))
                elif monotonic() - started < self.notebook_timeout:
                    continue
                else:
                    expired.set()
                kernel.kill()
                return

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        current = 0
        try:
            info = self.wait_for_reply(self.kc.kernel_info())
            if info:
                self.nb.metadata["language_info"] = info["content"].get("language_info", {})
            for index, cell in enumerate(self.nb.cells):
                current = index
                self.preprocess_cell(cell, resources, index)
            current = len(self.nb.cells)
        except (DeadKernelError, CellTimeoutError, RuntimeError, OSError) as exc:
            if over:
                run.stopped = "disk-limit"
                detail = over[0].detail
            elif expired.is_set():
                run.stopped = "notebook-timeout"
                detail = f"{self.notebook_timeout} s"
            elif isinstance(exc, CellTimeoutError):
                run.stopped = "timeout"
                detail = f"{_where(self.nb.cells[current], current)} did not stop when interrupted"
            else:
                run.stopped = "kernel-died"
                detail = f"in {_where(self.nb.cells[current], current)}" if current < len(
                    self.nb.cells) else "after the last cell"
            run.flags.append(Flag(run.stopped, detail))
        finally:
            finished.set()
            watcher.join()
            kernel.stop()
            run.kernel_log = kernel.slot.log_tail()
            run.kernel_rss_mb = kernel.peak_rss_mb
            self.km = self.kc = None
        if run.stopped:
            self._not_run(current, run.stopped)
        self.set_widgets_metadata()
        self._classify(run)
        run.seconds = monotonic() - started
        return self.nb, self.resources

    def _not_run(self, current: int, reason: str) -> None:
        """Error outputs from the cell that was running onwards: their tests score zero."""
        from sicourse.grading.flags import REASONS

        message = REASONS[reason]
        for index in range(current, len(self.nb.cells)):
            cell = self.nb.cells[index]
            if cell.cell_type != "code":
                continue
            text = f"{message}: this cell did not finish." if index == current else (
                f"Not run: {message} in an earlier cell.")
            if index != current:
                cell.outputs = []
            cell.outputs.append(new_output(
                "error", ename="NotRun", evalue=text, traceback=[text]))

    def _classify(self, run: Run) -> None:
        for index, cell in enumerate(self.nb.cells):
            if cell.cell_type != "code":
                continue
            where = _where(cell, index)
            for out in cell.outputs:
                if out.output_type == "error" and out.get("ename") == "CellTimeoutError":
                    run.flags.append(Flag("timeout", f"{where} (over {self.timeout} s)"))
            run.flags += [Flag(f.code, f"{where}: {f.detail}" if f.detail else where)
                          for f in scan_outputs(cell.outputs)]
        if self._truncated:
            run.flags.append(Flag("output-truncated", f"over {self.max_output_bytes} bytes"))
        for grade_id, why in self.not_plain.items():
            run.flags.append(Flag("not-plain-data", f"{grade_id}: {why}"))
