"""Reasons a submission is flagged for the instructor's attention.

A flag never changes a score: the score is what nbgrader's tests gave. It
says why the instructor may want to look: the submission was repaired
before grading (a cell restored, a file renamed), something went wrong while
it ran (a timeout, the kernel died, output cut short), or its code does
something a plain answer never needs (the network, files outside its folder,
an object that claims to equal anything).

Flags come from three places: the intake (reading and repairing the file,
:mod:`sicourse.grading.intake`), the run (:mod:`sicourse.grading.execute`)
and :func:`scan_code` below, which reads the student's code without running it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass

# code: what the summary and the report call the reason, in a few words.
REASONS = {
    # reading the file
    "empty-file": "empty notebook file",
    "invalid-json": "notebook file is not valid JSON",
    "invalid-notebook": "not a valid Jupyter notebook",
    "not-utf8": "non-UTF-8 bytes in the notebook",
    "too-large": "notebook file too large",
    "wrong-name": "wrong notebook file name",
    "missing-notebook": "notebook missing",
    "extra-files": "extra files submitted",
    "symlink": "links or special files submitted",
    # comparing it with the released assignment
    "edited-cell": "read-only or test cell edited",
    "deleted-cell": "cell deleted",
    "changed-metadata": "cell metadata changed (grade id, points, type)",
    "duplicate-cell": "graded cell duplicated",
    # running it
    "timeout": "a cell ran past the time limit",
    "notebook-timeout": "the notebook ran past its time limit",
    "kernel-died": "the kernel died",
    "memory": "ran out of memory",
    "process-limit": "hit the process limit",
    "disk-limit": "wrote more than its sandbox holds (size or number of files)",
    "output-truncated": "output truncated",
    "sys-exit": "stops the kernel (sys.exit, os._exit, kill)",
    "not-plain-data": "an answer is not plain data (its test failed)",
    "always-equal": "an object that claims to equal anything",
    # Only in records of earlier versions, which ran tests in the student's kernel.
    "hidden-test-shown": "printed hidden test code (removed)",
    "builtins-replaced": "replaced Python built-ins that tests use (tests ran with the real ones)",
    # what its code does
    "network": "tries to use the network",
    "outside-files": "reaches for files outside its folder",
    "processes": "starts processes",
    "kernel-tampering": "inspects or alters the kernel, the tests or builtins",
    "low-level": "uses low-level interfaces (ctypes, signals)",
}


@dataclass(frozen=True)
class Flag:
    code: str
    detail: str = ""

    def __post_init__(self):
        if self.code not in REASONS:
            raise ValueError(f"unknown flag code {self.code!r}")

    @property
    def reason(self) -> str:
        return REASONS[self.code] + (f": {self.detail}" if self.detail else "")

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "detail": self.detail}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Flag:
        return cls(data["code"], data.get("detail", ""))


MAX_DETAILS = 3
MAX_DETAIL = 100


def merge(flags: Iterable[Flag]) -> list[Flag]:
    """One flag per code, its first few details joined, in first-seen order."""
    details: dict[str, list[str]] = {}
    for flag in flags:
        found = details.setdefault(flag.code, [])
        for detail in flag.detail.split("; ") if flag.detail else []:
            if detail not in found:
                found.append(detail)
    merged = []
    for code, found in details.items():
        shown = [d if len(d) <= MAX_DETAIL else d[:MAX_DETAIL - 3] + "..."
                 for d in found[:MAX_DETAILS]]
        if len(found) > MAX_DETAILS:
            shown.append(f"{len(found) - MAX_DETAILS} more")
        merged.append(Flag(code, "; ".join(shown)))
    return merged


# --- reading the student's code ----------------------------------------------------------

NETWORK_MODULES = {"socket", "urllib", "urllib3", "http", "requests", "httpx", "aiohttp",
                   "ftplib", "smtplib", "telnetlib", "ssl", "websocket", "paramiko"}
PROCESS_MODULES = {"subprocess", "multiprocessing", "pty", "concurrent"}
LOW_LEVEL_MODULES = {"ctypes", "cffi", "signal", "faulthandler", "mmap", "resource"}
TAMPER_MODULES = {"builtins", "linecache", "inspect", "gc", "importlib", "traceback"}
PROCESS_CALLS = {"fork", "forkpty", "system", "popen", "spawnl", "spawnv", "spawnve", "spawnlp",
                 "execv", "execve", "execl", "execlp", "execvp", "posix_spawn"}
EXIT_CALLS = {"exit", "_exit", "abort", "kill", "killpg", "quit"}
TAMPER_NAMES = {"__builtins__", "In", "Out", "_ih", "_oh", "_i"}
TAMPER_CALLS = {"exec", "eval", "compile", "__import__", "globals", "sys._getframe"}
SHELL = re.compile(r"^\s*(!|%%?(bash|sh|script|system|sx|perl|ruby)\b)", re.M)
OUTSIDE = re.compile(r"(^|[\\/])\.\.([\\/]|$)|^/(?!tmp\b)|gradebook|exercises|[\\/]autograded"
                     r"|[\\/]submitted|nbgrader_config|^~")


def _python(source: str) -> str | None:
    """The cell as plain Python (IPython magics and ``!shell`` lines translated), or None."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        source = TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - fall back to the raw text
        pass
    return source


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def scan_code(source: str) -> list[Flag]:
    """Flags for what one cell of student code would do, read without running it."""
    found: list[Flag] = []
    if SHELL.search(source):
        found.append(Flag("processes", "runs shell commands"))
    # Magics become get_ipython() calls once translated: only the student's own count.
    if "get_ipython" in source:
        found.append(Flag("kernel-tampering", "calls get_ipython()"))
    try:
        tree = ast.parse(_python(source) or source)
    except SyntaxError:
        return merge(found)

    def module_flag(name: str) -> None:
        top = name.split(".")[0]
        if top in NETWORK_MODULES:
            found.append(Flag("network", f"imports {name}"))
        elif top in PROCESS_MODULES:
            found.append(Flag("processes", f"imports {name}"))
        elif top in LOW_LEVEL_MODULES:
            found.append(Flag("low-level", f"imports {name}"))
        elif top in TAMPER_MODULES:
            found.append(Flag("kernel-tampering", f"imports {name}"))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                module_flag(alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module:
            module_flag(node.module)
        elif isinstance(node, ast.Call):
            name = _dotted(node.func)
            last = name.rsplit(".", 1)[-1]
            if name in {"sys.exit", "os._exit", "os.abort", "os.kill", "os.killpg", "exit", "quit"}:
                found.append(Flag("sys-exit", f"calls {name}()"))
            elif name.startswith("os.") and last in PROCESS_CALLS:
                found.append(Flag("processes", f"calls {name}()"))
            elif last in EXIT_CALLS and name.startswith(("sys.", "os.")):
                found.append(Flag("sys-exit", f"calls {name}()"))
            elif name in TAMPER_CALLS:
                found.append(Flag("kernel-tampering", f"calls {name}()"))
            elif name == "setattr" and node.args and _dotted(node.args[0]) in {
                    "builtins", "__builtins__"}:
                found.append(Flag("kernel-tampering", "replaces a builtin"))
        elif isinstance(node, ast.Name) and node.id in TAMPER_NAMES:
            found.append(Flag("kernel-tampering", f"uses {node.id}"))
        elif isinstance(node, ast.FunctionDef) and node.name in {"__eq__", "__ne__"}:
            found.append(Flag("always-equal", f"defines {node.name}"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            value = node.value.strip()
            if value and "\n" not in value and len(value) < 300 and OUTSIDE.search(value):
                found.append(Flag("outside-files", repr(value)))
    return merge(found)


# --- reading what a run printed ----------------------------------------------------------

def scan_outputs(outputs: Iterable[dict]) -> list[Flag]:
    """Flags for the errors a cell's run ended with (the output of a sandboxed kernel)."""
    found: list[Flag] = []
    for out in outputs:
        if out.get("output_type") == "stream" and out.get("name") == "stderr" \
                and "MemoryError" in out.get("text", ""):
            found.append(Flag("memory", "the kernel could not hold its output"))
        if out.get("output_type") != "error":
            continue
        name, value = out.get("ename", ""), str(out.get("evalue", ""))
        if name == "MemoryError":
            found.append(Flag("memory"))
        elif name == "SystemExit":
            found.append(Flag("sys-exit", "raised SystemExit"))
        elif name == "BlockingIOError" or "Resource temporarily unavailable" in value:
            found.append(Flag("process-limit"))
        elif "No space left on device" in value or "File too large" in value:
            found.append(Flag("disk-limit"))
        elif "Network is unreachable" in value or name in {"gaierror", "ConnectionRefusedError"}:
            found.append(Flag("network", value[:80]))
        elif name == "PermissionError":
            found.append(Flag("outside-files", value[:120]))
    return found
