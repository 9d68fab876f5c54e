"""The kernel launcher's command line: what the sandbox binds, limits and runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sicourse.grading import sandbox

KERNEL = [sys.executable, "-m", "ipykernel_launcher", "-f", "/scratch/w0/slot0/ipc/kernel.json"]
needs_bwrap = pytest.mark.usefixtures("bwrap")  # fails if bubblewrap is missing


def pairs(args: list[str], option: str) -> list[tuple[str, str]]:
    return [(args[i + 1], args[i + 2]) for i, a in enumerate(args) if a == option]


def argv(root: bool = True) -> list[str]:
    shim = sandbox.shim_argv(KERNEL, limits=sandbox.Limits(), uid=60000, env={})
    return sandbox.bwrap_argv("/usr/bin/bwrap", shim, rw=["/scratch/w0/slot0/ipc",
                                                          "/scratch/w0/slot0/run"],
                              ro=["/opt/venv", "/opt/python"], cwd="/scratch/w0/slot0/run",
                              root=root)


def test_bwrap_isolates_network_processes_and_session():
    """Does the sandbox get its own network, pid, ipc and uts namespaces, and die with us?"""
    args = argv()
    for option in ("--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
                   "--die-with-parent", "--new-session", "--clearenv"):
        assert option in args
    assert "--unshare-user" not in args and "--unshare-all" not in args  # would map uid 0
    assert "--share-net" not in args


def test_only_the_run_and_connection_folders_are_writable():
    """Are the run and connection folders the only read-write binds, system dirs read-only?"""
    args = argv()
    assert pairs(args, "--bind") == [("/scratch/w0/slot0/ipc", "/scratch/w0/slot0/ipc"),
                                     ("/scratch/w0/slot0/run", "/scratch/w0/slot0/run")]
    read_only = dict(pairs(args, "--ro-bind"))
    assert {"/opt/venv", "/opt/python"} <= set(read_only)
    assert "/usr" in read_only or os.path.islink("/usr")
    assert not any(p in read_only for p in ("/", "/etc", "/home", "/root", "/tmp", "/work"))
    assert all(p.startswith("/etc/") for p in read_only if p.startswith("/etc"))
    assert "--tmpfs" in args and args[args.index("--tmpfs") + 1] == "/tmp"
    assert args[args.index("--chdir") + 1] == "/scratch/w0/slot0/run"


def test_parent_folders_are_created_traversable():
    """Are the folders above each bind made (0755), so absolute paths work inside?"""
    args = argv()
    made = [args[i + 3] for i, a in enumerate(args) if a == "--perms" and args[i + 2] == "--dir"
            and args[i + 1] == "0755"]
    assert made == ["/opt", "/scratch", "/scratch/w0", "/scratch/w0/slot0"]
    first_bind = min(i for i, a in enumerate(args) if a in ("--bind", "--ro-bind")
                     and args[i + 1].startswith("/scratch"))
    assert args.index("/scratch/w0/slot0") < first_bind


def test_root_keeps_only_the_capabilities_to_drop_its_uid():
    """As root, are all capabilities dropped but the two the shim needs to change uid?"""
    args = argv(root=True)
    assert args[args.index("--cap-drop") + 1] == "ALL"
    assert sorted(a for i, a in enumerate(args) if args[i - 1] == "--cap-add") == [
        "CAP_SETGID", "CAP_SETUID"]
    assert "--cap-drop" not in argv(root=False)


def test_the_shim_sets_limits_uid_and_environment_then_runs_the_kernel():
    """Does the command inside set the rlimits and uid, then exec the kernel unchanged?"""
    limits = sandbox.Limits(memory_mb=512, nproc=32, fsize_mb=8, cpu_seconds=60)
    shim = sandbox.shim_argv(KERNEL, limits=limits, uid=60003, env={"HOME": "/tmp"})
    assert shim[:4] == [sys.executable, "-I", "-S", "-c"]
    config = json.loads(shim[5])
    assert config["uid"] == 60003 and config["env"] == {"HOME": "/tmp"}
    assert config["rlimits"] == {"RLIMIT_CORE": 0, "RLIMIT_AS": 512 << 20, "RLIMIT_NPROC": 32,
                                 "RLIMIT_FSIZE": 8 << 20, "RLIMIT_CPU": 60}
    assert shim[6:] == KERNEL


def test_kernel_env_inherits_nothing(monkeypatch):
    """Does the kernel's environment leave out the grader's (tokens, paths, config)?"""
    monkeypatch.setenv("SECRET_TOKEN", "x")
    env = sandbox.kernel_env()
    assert "SECRET_TOKEN" not in env and env["HOME"] == "/tmp"
    assert env["MALLOC_ARENA_MAX"] == "2"
    assert env["NBGRADER_EXECUTION"] == "autograde"  # guarded widget cells skip


def test_without_bwrap_only_limits_apply(tmp_path):
    """With no bubblewrap, is the kernel run by the shim alone (limits, no namespaces)?"""
    policy = sandbox.Policy(sandbox.Limits(), uid=None, bwrap=None)
    command = sandbox.build(policy, KERNEL, str(tmp_path))
    assert command[:4] == [sys.executable, "-I", "-S", "-c"]
    assert "bwrap" not in " ".join(command[:4])


def test_kernel_spec_argv_runs_the_launcher_as_a_script():
    """Is the kernel spec's argv the launcher (no package import) then the IPython kernel?"""
    policy = sandbox.Policy(sandbox.Limits(memory_mb=256), uid=60001, bwrap="/usr/bin/bwrap")
    args = sandbox.kernel_argv(policy, log="/x/kernel.log")
    assert args[:4] == [sys.executable, "-I", "-S", sandbox.__file__]
    split = args.index("--")
    assert args[split + 1:] == [sys.executable, "-m", "ipykernel_launcher", "-f",
                                "{connection_file}"]
    options = args[4:split]
    assert options[options.index("--uid") + 1] == "60001"
    assert options[options.index("--memory") + 1] == "256"
    assert options[options.index("--log") + 1] == "/x/kernel.log"


def test_outermost_drops_nested_and_system_paths():
    assert sandbox.outermost(["/a/b", "/a", "/usr/lib/python3", "/c"]) == ["/a", "/c"]


@needs_bwrap
def test_sandboxed_code_sees_only_its_folder(tmp_path):
    """Run for real: can code in the sandbox read a file beside its folder, or the network?"""
    secret = tmp_path / "gradebook.db"
    secret.write_text("hidden tests")
    run = tmp_path / "run"
    run.mkdir()
    uid = 60000 if os.geteuid() == 0 else None
    if uid is not None:
        sandbox.give(str(run), uid)
    probe = f"""
import os, socket
found = []
for path in [{str(secret)!r}, "../gradebook.db"]:
    try:
        open(path).read(); found.append(path)
    except OSError:
        pass
try:
    socket.create_connection(("1.1.1.1", 53), timeout=2); found.append("network")
except OSError:
    pass
try:
    open("../written.txt", "w").write("x"); found.append("wrote outside")
except OSError:
    pass
open("mine.txt", "w").write("ok")
print(os.getuid(), found)
"""
    policy = sandbox.Policy(sandbox.Limits(memory_mb=512), uid=uid, bwrap=sandbox.find_bwrap())
    result = subprocess.run([*sandbox.launcher_argv(policy), "--", sys.executable, "-c", probe],
                            cwd=run, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split(" ", 1)[1].strip() == "[]"
    if uid is not None:
        assert result.stdout.split()[0] == str(uid)
    assert not (tmp_path / "written.txt").exists()
    assert not (run / "mine.txt").exists()  # its folder is a tmpfs: nothing reaches the disk


@needs_bwrap
def test_the_working_folder_is_small_and_the_stage_read_only(tmp_path):
    """Is the working folder capped in size, and the staged files readable but not writable?"""
    run, stage = tmp_path / "run", tmp_path / "stage"
    run.mkdir()
    stage.mkdir()
    (stage / "data.csv").write_text("a,b\n")
    probe = f"""
import shutil
print(shutil.copy({str(stage / "data.csv")!r}, "data.csv"), open("data.csv").read().strip())
try:
    open({str(stage / "data.csv")!r}, "w")
except OSError as exc:
    print("stage", exc.strerror)
try:
    with open("big", "wb") as f:
        for _ in range(20):
            f.write(b"x" * (1 << 20))
except OSError as exc:
    print("full", exc.strerror)
"""
    limits = sandbox.Limits(work_mb=8, fsize_mb=64)
    uid = 60000 if os.geteuid() == 0 else None
    policy = sandbox.Policy(limits, uid=uid, bwrap=sandbox.find_bwrap(), stage=str(stage))
    result = subprocess.run([*sandbox.launcher_argv(policy), "--", sys.executable, "-c", probe],
                            cwd=run, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "data.csv a,b", "stage Read-only file system", "full No space left on device"]


def test_the_working_folder_can_be_a_tmpfs():
    shim = sandbox.shim_argv(KERNEL, limits=sandbox.Limits(), uid=None, env={})
    args = sandbox.bwrap_argv("/usr/bin/bwrap", shim, rw=["/scratch/ipc"], ro=["/scratch/stage"],
                              cwd="/scratch/run", root=False, work_mb=16)
    at = args.index("--tmpfs", args.index("/tmp") + 1)
    assert args[at + 1] == "/scratch/run" and args[at - 1] == str(16 << 20)
    assert pairs(args, "--bind") == [("/scratch/ipc", "/scratch/ipc")]
    assert ("/scratch/stage", "/scratch/stage") in pairs(args, "--ro-bind")


@needs_bwrap
def test_self_test_passes_here():
    """Does the sandbox work on this machine (the check `sicourse grade` makes first)?"""
    uid = 60000 if os.geteuid() == 0 else None
    assert sandbox.self_test(sandbox.Policy(uid=uid, bwrap=sandbox.find_bwrap())) is None


def test_self_test_reports_a_broken_bwrap(tmp_path):
    """Is a bwrap that fails reported (so grading falls back to limits, with a warning)?"""
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to creating new namespace' >&2\n"
                    "exit 1\n")
    fake.chmod(0o755)
    error = sandbox.self_test(sandbox.Policy(bwrap=str(fake)))
    assert error and "namespace" in error


def test_launcher_paths_exist():
    assert Path(sandbox.__file__).is_file()
