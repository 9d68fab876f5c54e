"""The test evaluator: a clean Python process that runs test cells on plain data.

It never runs a student's code and never receives anything but the answer
key's test source and plain-data values (:mod:`sicourse.grading.plain_data`),
so one evaluator can safely run every test of a batch. It still runs in a
sandbox (bubblewrap when the grader has it, resource limits always), since
the values come from students.

The protocol is one JSON line each way: ``{"name", "source", "values"}`` in,
``{"outputs": [...]}`` out, the outputs in nbformat's shape (streams for what
the test printed, an ``error`` output if it raised), which is what nbgrader
scores. A test that runs past the time limit is stopped by killing the
evaluator; the next test starts a fresh one.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sicourse.grading import plain_data, sandbox

MAX_REPLY = 4_000_000  # bytes of one reply (what a test printed, its traceback)
LIMITS = sandbox.Limits(memory_mb=1024, nproc=16, fsize_mb=1, tmp_mb=8, work_mb=8)

# The evaluator's own loop, after plain_data's source (so it needs no package of ours).
LOOP = r'''
import builtins, io, linecache, os, sys, traceback
from contextlib import redirect_stderr, redirect_stdout

_protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # stray writes never reach the protocol


def _run(request):
    filename = "<test cell {}>".format(request["name"])
    source = request["source"]
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    namespace.update({name: decode(value) for name, value in request["values"].items()})
    out, err, outputs = io.StringIO(), io.StringIO(), []
    failure = None
    with redirect_stdout(out), redirect_stderr(err):
        try:
            exec(compile(source, filename, "exec"), namespace)
        except BaseException as exc:  # a test's failure, whatever it raised
            failure = exc
    for name, stream in (("stdout", out), ("stderr", err)):
        if stream.getvalue():
            outputs.append({"output_type": "stream", "name": name, "text": stream.getvalue()})
    if failure is not None:
        lines = traceback.format_exception(type(failure), failure, failure.__traceback__.tb_next)
        outputs.append({"output_type": "error", "ename": type(failure).__name__,
                        "evalue": str(failure), "traceback": "".join(lines).splitlines()})
    return outputs


_protocol.write('{"ready": true}\n')
_protocol.flush()
for _line in sys.stdin:
    try:
        _reply = {"outputs": _run(json.loads(_line))}
    except Exception as _exc:  # a malformed request: say so, keep serving
        _reply = {"outputs": [{"output_type": "error", "ename": "GraderError",
                               "evalue": repr(_exc)[:500], "traceback": [repr(_exc)[:500]]}]}
    _protocol.write(json.dumps(_reply) + "\n")
    _protocol.flush()
'''
SCRIPT = Path(plain_data.__file__).read_text(encoding="utf-8") + LOOP


def error(ename: str, message: str) -> dict:
    """An nbformat error output: the test cell failed, for the reason ``message`` gives."""
    return {"output_type": "error", "ename": ename, "evalue": message, "traceback": [message]}


class Evaluator:
    """One evaluator process, started on first use and again after a test that hung.

    ``policy`` confines it (its uid and bubblewrap); the limits are :data:`LIMITS`.
    """

    def __init__(self, folder: Path | None = None, policy: sandbox.Policy | None = None,
                 timeout: float = 30):
        self._own_folder = folder is None
        self.folder = Path(tempfile.mkdtemp(prefix="sicourse-evaluator-")) if folder is None \
            else folder
        self.policy = sandbox.Policy(LIMITS, policy.uid if policy else None,
                                     policy.bwrap if policy else None)
        self.timeout = timeout
        self.process: subprocess.Popen | None = None
        self._buffer = b""

    def _start(self) -> None:
        run = self.folder / "run"
        run.mkdir(parents=True, exist_ok=True)
        if self.policy.uid is not None and os.geteuid() == 0 and self.policy.bwrap:
            sandbox.give(str(run), self.policy.uid)
        policy = self.policy if self.policy.bwrap or os.geteuid() != 0 else \
            sandbox.Policy(LIMITS, None, None)  # without bubblewrap: no uid of its own
        argv = [*sandbox.launcher_argv(policy), "--", sys.executable, "-I", "-c", SCRIPT]
        with open(self.folder / "evaluator.log", "ab") as log:
            self.process = subprocess.Popen(
                argv, cwd=run, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                bufsize=0, start_new_session=True)
        self._buffer = b""
        reply = self._read(deadline=time.monotonic() + 30)
        if reply != {"ready": True}:
            log = (self.folder / "evaluator.log").read_text(errors="replace")[-1500:]
            self.close()
            raise RuntimeError(f"the test evaluator did not start:\n{log}")

    def _read(self, deadline: float) -> dict | None:
        """The next reply line, or None if the process ended, hung or said too much."""
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or len(self._buffer) > MAX_REPLY:
                return None
            ready, _, _ = select.select([self.process.stdout], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.process.stdout.fileno(), 65536)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            return json.loads(line)
        except ValueError:
            return None

    def run(self, name: str, source: str, values: dict) -> list[dict]:
        """The outputs of the test ``source`` (cell ``name``) with ``values`` bound."""
        if self.process is None or self.process.poll() is not None:
            self._start()
        request = json.dumps({"name": name, "source": source, "values": values}) + "\n"
        try:
            self.process.stdin.write(request.encode("utf-8"))
        except OSError:
            self.stop()
            return [error("GraderError", "The test evaluator stopped; the test did not run.")]
        reply = self._read(deadline=time.monotonic() + self.timeout)
        if reply is None or type(reply.get("outputs")) is not list:
            self.stop()
            return [error("TestTimeout", f"The test did not finish within {self.timeout:g} s.")]
        return reply["outputs"]

    def stop(self) -> None:
        """End the process (a fresh one starts on the next test)."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except OSError:
            pass
        self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            pipe.close()
        self.process = None

    def close(self) -> None:
        self.stop()
        if self._own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)
