"""Start a Jupyter kernel in a sandbox: bubblewrap namespaces, resource limits, no root.

A kernel spec's argv points here (see :func:`kernel_argv`)::

    python -I -S .../sandbox.py --memory 1024 --uid 60000 -- \\
        python -m ipykernel_launcher -f {connection_file}

jupyter_client runs it with the working directory set to the submission's
run folder. The launcher then

1. sends its own and the kernel's stdout/stderr to ``--log`` (the kernel
   talks to the grader over ZMQ, not over these);
2. when a ``--uid`` is given (the grader runs as root), gives the
   connection file to that uid so the kernel can read it;
3. replaces itself by ``bwrap``: new pid, network, ipc and uts namespaces
   (``--unshare-net`` leaves only a loopback that reaches nothing), the
   system folders, the Python installation and the ``--stage`` folder (the
   submission's files) read-only, a private ``/tmp``, the working folder as a
   private tmpfs of ``--work-size`` MB (so nothing the kernel writes reaches
   the disk), and the connection folder :data:`IPC_DIR` a private tmpfs of
   ``--ipc-size`` MB holding a read-only copy of the connection file: the kernel
   binds its ZMQ ``ipc`` sockets there (TCP cannot cross the network namespace)
   and the grader reaches them through ``/proc/<pid>/root`` (see
   :mod:`sicourse.grading.kernels`). No host folder is writable;
4. inside, a tiny shim (:data:`SHIM`) sets the resource limits, drops to the
   unprivileged uid and execs the kernel with a minimal environment.

Without bubblewrap (``--no-bwrap``) the shim runs directly: resource limits
only, and the kernel can read whatever the grader can. The caller warns.

This module imports nothing beyond the standard library and is run as a
script with ``-I -S``, so it adds only a few milliseconds to a kernel start.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field

MB = 1024 * 1024
# Inside the sandbox: the kernel's connection file and ZMQ sockets, on a private tmpfs.
IPC_DIR = "/run/sicourse-kernel"
# Read-only system folders (symlinks, as on merged-/usr systems, are recreated as symlinks).
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# Only the files of /etc that the dynamic loader, Python and its libraries read.
ETC_FILES = (
    "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
    "/etc/nsswitch.conf", "/etc/host.conf", "/etc/hosts", "/etc/mime.types",
)

# Runs inside the sandbox as ``python -I -S -c SHIM CONFIG COMMAND...``: limits, uid, exec.
SHIM = """\
import json, os, resource, sys
cfg = json.loads(sys.argv[1])
for name, value in cfg["rlimits"].items():
    resource.setrlimit(getattr(resource, name), (value, value))
uid = cfg["uid"]
if uid is not None:
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
os.execve(sys.argv[2], sys.argv[2:], cfg["env"])
"""


@dataclass(frozen=True)
class Limits:
    """Per-kernel resource limits (``None``: not limited)."""

    memory_mb: int | None = 1024  # address space (RLIMIT_AS)
    nproc: int | None = 64  # processes and threads of the kernel's uid (RLIMIT_NPROC)
    fsize_mb: int | None = 64  # largest file it may write (RLIMIT_FSIZE)
    cpu_seconds: int | None = None  # CPU time per process (RLIMIT_CPU)
    tmp_mb: int = 64  # size of the private /tmp
    work_mb: int | None = 128  # size of the working folder (a private tmpfs); None: host folder
    ipc_mb: int = 1  # size of the connection folder (sockets and the connection file)
    files: int = 10_000  # files and folders it may create in all its tmpfs together

    def rlimits(self, nproc_base: int = 0) -> dict[str, int]:
        found = {"RLIMIT_CORE": 0}
        if self.memory_mb:
            found["RLIMIT_AS"] = self.memory_mb * MB
        if self.nproc:
            found["RLIMIT_NPROC"] = nproc_base + self.nproc
        if self.fsize_mb:
            found["RLIMIT_FSIZE"] = self.fsize_mb * MB
        if self.cpu_seconds:
            found["RLIMIT_CPU"] = self.cpu_seconds
        return found

    def args(self) -> list[str]:
        return [
            "--memory", str(self.memory_mb or 0), "--nproc", str(self.nproc or 0),
            "--fsize", str(self.fsize_mb or 0), "--cpu", str(self.cpu_seconds or 0),
            "--tmp-size", str(self.tmp_mb), "--work-size", str(self.work_mb or 0),
            "--ipc-size", str(self.ipc_mb),
        ]


@dataclass(frozen=True)
class Policy:
    """How kernels are confined: limits, the uid to run as, and bubblewrap (or not)."""

    limits: Limits = field(default_factory=Limits)
    uid: int | None = None  # only when the grader runs as root
    bwrap: str | None = None  # path of the bwrap program; None: resource limits only
    stage: str | None = None  # a folder the kernel may read: the files to copy into its own

    def args(self) -> list[str]:
        args = self.limits.args()
        if self.uid is not None:
            args += ["--uid", str(self.uid)]
        if self.stage:
            args += ["--stage", self.stage]
        args += ["--bwrap", self.bwrap] if self.bwrap else ["--no-bwrap"]
        return args


def find_bwrap() -> str | None:
    return shutil.which("bwrap")


def python_dirs() -> list[str]:
    """The folders of this Python (the virtual environment and the installation it uses)."""
    found = set()
    # Run with -S (no site), sys.prefix is the installation, not the virtual environment:
    # the environment is the folder above the interpreter's bin/.
    for path in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                 os.path.dirname(os.path.dirname(sys.executable)),
                 os.path.dirname(os.path.dirname(os.path.realpath(sys.executable)))):
        for variant in (path, os.path.realpath(path)):
            found.add(os.path.normpath(variant))
    return outermost(found)


def outermost(paths) -> list[str]:
    """``paths`` without those inside another one of them, or inside a system folder."""
    kept: list[str] = []
    for path in sorted(set(paths), key=lambda p: (p.count(os.sep), p)):
        if path == os.sep or any(_inside(path, k) for k in [*kept, *SYSTEM_DIRS]):
            continue
        kept.append(path)
    return sorted(kept)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def kernel_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The whole environment of a sandboxed kernel: nothing inherited from the grader."""
    bin_dir = os.path.dirname(sys.executable)
    env = {
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLCONFIGDIR": "/tmp/matplotlib",
        "IPYTHONDIR": "/tmp/ipython",
        "JUPYTER_RUNTIME_DIR": "/tmp/jupyter",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        # Few malloc arenas: otherwise each of the kernel's threads reserves 64 MB of
        # address space, and an address-space limit would stop the kernel starting.
        "MALLOC_ARENA_MAX": "2",
        # As nbgrader autograde sets it (these kernels only grade): cells guarded by a
        # test of it (widgets, input()) do not run. Kernels start before nbgrader sets it.
        "NBGRADER_EXECUTION": "autograde",
    }
    env.update(extra or {})
    return env


def bwrap_argv(bwrap: str, command: list[str], *, rw: list[str], ro: list[str], cwd: str,
               root: bool, tmp_mb: int = 64, work_mb: int | None = None,
               connection: str | None = None, ipc_mb: int = 1) -> list[str]:
    """The bubblewrap command line that runs ``command`` confined to ``rw`` (read-write).

    With ``work_mb``, the working folder ``cwd`` is a private tmpfs of that size
    (nothing the kernel writes reaches the disk); otherwise it must be in ``rw``.
    With ``connection`` (a kernel's connection file), :data:`IPC_DIR` is a private
    tmpfs of ``ipc_mb`` with that file in it, read-only.
    """
    args = [
        bwrap, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
        "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--hostname", "sandbox",
        "--clearenv",
    ]
    if root:
        # The shim needs these two to drop to its uid; every other capability goes.
        args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    for folder in SYSTEM_DIRS:
        if os.path.islink(folder):
            args += ["--symlink", os.readlink(folder), folder]
        elif os.path.isdir(folder):
            args += ["--ro-bind", folder, folder]
    for path in ETC_FILES:
        if os.path.exists(path):
            args += ["--ro-bind", path, path]
    args += ["--proc", "/proc", "--dev", "/dev",
             "--perms", "1777", "--size", str(tmp_mb * MB), "--tmpfs", "/tmp"]
    if connection:
        args += ["--perms", "1777", "--size", str(ipc_mb * MB), "--tmpfs", IPC_DIR,
                 "--ro-bind", connection, f"{IPC_DIR}/kernel.json"]
    made = {"/", "/tmp", "/etc", "/proc", "/dev", *SYSTEM_DIRS}
    mounts = [(p, ["--ro-bind", p, p]) for p in ro] + [(p, ["--bind", p, p]) for p in rw]
    if work_mb:
        mounts.append((cwd, ["--perms", "1777", "--size", str(work_mb * MB), "--tmpfs", cwd]))
    for path, mount in sorted(mounts, key=lambda m: m[0]):
        parents = []
        parent = os.path.dirname(path)
        while parent not in made and parent != os.path.dirname(parent):
            parents.append(parent)
            parent = os.path.dirname(parent)
        for folder in reversed(parents):
            args += ["--perms", "0755", "--dir", folder]
            made.add(folder)
        args += mount
        made.add(path)
    args += ["--chdir", cwd, "--", *command]
    return args


def shim_argv(command: list[str], *, limits: Limits, uid: int | None, env: dict[str, str],
              nproc_base: int = 0) -> list[str]:
    config = {"rlimits": limits.rlimits(nproc_base), "uid": uid, "env": env}
    return [sys.executable, "-I", "-S", "-c", SHIM, json.dumps(config), *command]


def user_processes(uid: int) -> int:
    """How many processes and threads ``uid`` runs now (RLIMIT_NPROC counts them all)."""
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry.name}/task"))
            except OSError:
                continue
    return count


def give(folder: str, uid: int) -> None:
    """Make ``folder`` the kernel's: owned by ``uid``, enterable (not readable) by others.

    bubblewrap enters the working folder after dropping its capabilities, as a
    root without the right to read other users' private folders.
    """
    os.chown(folder, uid, uid)
    os.chmod(folder, 0o711)


def connection_file(command: list[str]) -> str | None:
    if "-f" in command[:-1]:
        return os.path.abspath(command[command.index("-f") + 1])
    return None


def build(policy: Policy, command: list[str], cwd: str) -> list[str]:
    """The full command that runs the kernel ``command`` under ``policy``, from ``cwd``."""
    root = os.geteuid() == 0
    uid = policy.uid if root else None
    # Without a uid of its own, the kernel's process count includes the grader's.
    nproc_base = 0 if uid is not None else user_processes(os.getuid())
    inner = shim_argv(command, limits=policy.limits, uid=uid, env=kernel_env(),
                      nproc_base=nproc_base)
    if not policy.bwrap:
        return inner
    work_mb = policy.limits.work_mb
    # The kernel reads its connection file from the private connection folder.
    connection = connection_file(command)
    if connection:
        at = len(inner) - len(command) + command.index("-f") + 1
        inner[at] = f"{IPC_DIR}/kernel.json"
    rw = [] if work_mb else [cwd]
    ro = [p for p in python_dirs() + ([policy.stage] if policy.stage else [])
          if not any(_inside(p, w) or _inside(w, p) for w in [*rw, cwd])]
    return bwrap_argv(policy.bwrap, inner, rw=rw, ro=ro, cwd=cwd, root=root,
                      tmp_mb=policy.limits.tmp_mb, work_mb=work_mb,
                      connection=connection, ipc_mb=policy.limits.ipc_mb)


def launcher_argv(policy: Policy, log: str | None = None) -> list[str]:
    """The command that runs this launcher (as a script: no package imports, no site)."""
    args = [sys.executable, "-I", "-S", os.path.abspath(__file__), *policy.args()]
    if log:
        args += ["--log", log]
    return args


def kernel_argv(policy: Policy, log: str | None = None) -> list[str]:
    """A kernel spec's argv: the launcher, then the IPython kernel."""
    return [*launcher_argv(policy, log), "--",
            sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]


def self_test(policy: Policy, timeout: float = 30) -> str | None:
    """Run a trivial program the way kernels are run; the error, or None if it worked."""
    with tempfile.TemporaryDirectory(prefix="sicourse-sandbox-test-") as tmp:
        if policy.uid is not None and os.geteuid() == 0:
            give(tmp, policy.uid)
        probe = "import os, socket; print(os.getcwd()); socket.socket().close()"
        try:
            result = subprocess.run(
                [*launcher_argv(policy), "--", sys.executable, "-c", probe],
                cwd=tmp, capture_output=True, text=True, timeout=timeout,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return str(exc)
        if result.returncode != 0 or result.stdout.strip() != os.path.realpath(tmp):
            return (result.stderr or result.stdout).strip()[-500:] or f"exit {result.returncode}"
    return None


def _parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    if "--" not in argv:
        raise SystemExit("usage: sandbox.py [options] -- COMMAND...")
    split = argv.index("--")
    parser = argparse.ArgumentParser(prog="sandbox.py")
    parser.add_argument("--memory", type=int, default=0)
    parser.add_argument("--nproc", type=int, default=0)
    parser.add_argument("--fsize", type=int, default=0)
    parser.add_argument("--cpu", type=int, default=0)
    parser.add_argument("--tmp-size", type=int, default=64)
    parser.add_argument("--work-size", type=int, default=0)
    parser.add_argument("--ipc-size", type=int, default=1)
    parser.add_argument("--stage")
    parser.add_argument("--uid", type=int)
    parser.add_argument("--bwrap")
    parser.add_argument("--no-bwrap", action="store_true")
    parser.add_argument("--log")
    return parser.parse_args(argv[:split]), argv[split + 1:]


def main(argv: list[str] | None = None) -> None:
    options, command = _parse(sys.argv[1:] if argv is None else argv)
    limits = Limits(options.memory or None, options.nproc or None, options.fsize or None,
                    options.cpu or None, options.tmp_size, options.work_size or None,
                    options.ipc_size)
    policy = Policy(limits, options.uid, None if options.no_bwrap else options.bwrap,
                    options.stage)
    if options.log:
        log = os.open(options.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
    connection = connection_file(command)
    if policy.uid is not None and os.geteuid() == 0 and connection:
        os.chown(connection, policy.uid, policy.uid)
    full = build(policy, command, os.getcwd())
    os.execv(full[0], full)


if __name__ == "__main__":
    main()
