"""Sandboxed IPython kernels for one grading worker, started ahead of need.

Each worker owns a few *slots*: a run folder (where the kernel's working
folder, a private tmpfs, is mounted), a stage folder (the submission's files,
read-only to the kernel, which copies them into its working folder before
the first cell) and a connection folder (the connection file the grader
writes). In bubblewrap the kernel writes to no host folder: it binds its ZMQ
``ipc`` sockets in a private tmpfs (:data:`sandbox.IPC_DIR`), which the grader
reaches through ``/proc/<pid>/root``, and :meth:`Kernel.usage` reads how full
each of its tmpfs is. A slot's kernel runs as its own uid when the grader is
root, so a fork bomb in one kernel cannot starve another of processes.

A kernel's start-up (about a second, mostly the kernel importing IPython)
dominates grading a small notebook, so the :class:`KernelPool` starts the
next kernels, in the next slots, while the current notebook runs. The stage
folder of a started kernel is empty until a submission's files are copied in.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from collections import deque
from dataclasses import dataclass, replace
from pathlib import Path
from queue import Empty

import zmq.asyncio
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

from sicourse.grading import sandbox

KERNEL_NAME = "sicourse-sandbox"


def children(pid: int) -> list[int]:
    """The processes that ``pid`` (any of its threads) started and that still exist."""
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(child) for child in f.read().split()]
    except OSError:
        pass
    return found


class SandboxKernelSpecs(KernelSpecManager):
    """A kernel spec manager that knows one kernel: the sandboxed IPython kernel of a slot."""

    def __init__(self, argv: list[str], **kwargs):
        super().__init__(**kwargs)
        self._spec = KernelSpec(
            argv=argv, display_name="Python 3 (sandboxed)", language="python",
            # A signal would reach only bubblewrap, outside the sandbox's pid namespace:
            # the kernel is interrupted by a message on its control channel instead.
            interrupt_mode="message", metadata={},
        )

    def find_kernel_specs(self) -> dict[str, str]:
        return {KERNEL_NAME: ""}

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return self._spec


@dataclass
class Slot:
    folder: Path
    uid: int | None

    @property
    def run(self) -> Path:
        return self.folder / "run"

    @property
    def ipc(self) -> Path:
        return self.folder / "ipc"

    @property
    def stage(self) -> Path:
        """The submission's files, which the kernel copies into its working folder."""
        return self.folder / "stage"

    @property
    def log(self) -> Path:
        return self.folder / "kernel.log"

    def reset(self) -> None:
        """Empty run, connection and stage folders (the first two owned by the slot's uid)."""
        for path in (self.run, self.ipc, self.stage):
            if path.exists():
                # Processes of a killed sandbox may still be exiting: move the folder away first.
                trash = path.with_name(f".{path.name}-old")
                shutil.rmtree(trash, ignore_errors=True)
                path.rename(trash)
                shutil.rmtree(trash, ignore_errors=True)
            path.mkdir(parents=True)
            if self.uid is not None and path != self.stage:
                sandbox.give(str(path), self.uid)
        self.stage.chmod(0o755)
        self.log.unlink(missing_ok=True)

    def log_tail(self, chars: int = 1500) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


class Kernel:
    """A started kernel in a slot, with a connected client: what nbclient drives."""

    def __init__(self, slot: Slot, policy: sandbox.Policy, context: zmq.asyncio.Context):
        self.slot = slot
        self.policy = policy
        self.peak_rss_mb = 0.0
        self._lock = threading.Lock()
        self._reaped = False
        self.root: str | None = None  # the sandbox's / seen from here (/proc/<pid>/root)
        slot.reset()
        argv = sandbox.kernel_argv(replace(policy, uid=slot.uid, stage=str(slot.stage)),
                                   log=str(slot.log))
        self.km = AsyncKernelManager(
            kernel_name=KERNEL_NAME,
            kernel_spec_manager=SandboxKernelSpecs(argv),
            context=context,
            transport="ipc",
            # In bubblewrap the kernel binds its sockets in its own tmpfs.
            ip=f"{sandbox.IPC_DIR}/k" if policy.bwrap else str(slot.ipc / "k"),
            connection_file=str(slot.ipc / "kernel.json"),
        )
        run_sync(self.km.start_kernel)(
            cwd=str(slot.run), extra_arguments=["--HistoryManager.hist_file=:memory:"]
        )
        if policy.bwrap:
            self.root = self._sandbox_root()
            self.km.ip = f"{self.root}{sandbox.IPC_DIR}/k"
            # The manager connected its control socket (interrupts) to the inside path.
            self.km._close_control_socket()
            self.km._connect_control_socket()
        # Connect now, while the kernel boots: the IOPub subscription (which takes a
        # moment to reach the kernel) is in place long before the first cell runs.
        self.kc = self.km.client()
        run_sync(self._connect)()

    def _sandbox_root(self, timeout: float = 30) -> str:
        """``/proc/<pid>/root`` of bubblewrap's child once its private mounts are in place."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for child in children(self.pid) if self.pid else []:
                root = f"/proc/{child}/root"
                if os.path.isdir(root + sandbox.IPC_DIR):
                    return root
            if self.km.provisioner is None or self.km.provisioner.process.poll() is not None:
                break
            time.sleep(0.002)
        raise RuntimeError(f"the sandbox did not start:\n{self.slot.log_tail()}")

    def usage(self) -> tuple[int, list[str]]:
        """(files and folders the kernel made, the tmpfs it filled), across its tmpfs."""
        files, full = 0, []
        if self.root is None:
            return files, full
        for folder in ("/tmp", str(self.slot.run), sandbox.IPC_DIR):
            try:
                stat = os.statvfs(self.root + folder)
            except OSError:
                continue
            files += stat.f_files - stat.f_ffree
            if stat.f_bavail == 0:
                full.append(folder)
        return files, full

    async def _connect(self) -> None:
        # Inside the loop that run_sync will use for everything else on these sockets.
        self.kc.start_channels()

    def wait_ready(self, timeout: float = 60) -> None:
        """Wait until the kernel answers on shell and IOPub; raise RuntimeError if it never does.

        jupyter_client's ``wait_for_ready`` then waits for IOPub to stay quiet for
        0.2 s, a fifth of a second per submission; waiting for the status message
        of our own request proves the same (the subscription works) at once.
        """
        run_sync(self._wait_ready)(timeout)

    async def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg_id = self.kc.kernel_info()
            if await self._reply(self.kc.shell_channel, msg_id, "kernel_info_reply") and \
                    await self._reply(self.kc.iopub_channel, msg_id, "status"):
                return
            if not await self.km.is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
        raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")

    @staticmethod
    async def _reply(channel, msg_id: str, msg_type: str, within: float = 1.0) -> bool:
        """Read ``channel`` until the ``msg_type`` message answering ``msg_id`` (status: idle)."""
        until = time.monotonic() + within
        while (left := until - time.monotonic()) > 0:
            try:
                msg = await channel.get_msg(timeout=left)
            except Empty:
                return False
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == msg_type \
                    and msg["content"].get("execution_state", "idle") == "idle":
                return True
        return False

    @property
    def pid(self) -> int | None:
        provisioner = self.km.provisioner
        process = getattr(provisioner, "process", None)
        return process.pid if process is not None else None

    def kill(self) -> None:
        """Kill the sandbox (bubblewrap takes every process inside with it). Thread-safe.

        Never after :meth:`stop` has reaped it: its pid may belong to another process by then.
        """
        with self._lock:
            pid = self.pid
            if pid is None or self._reaped:
                return
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass

    def processes(self) -> list[int]:
        """The sandbox's processes: bubblewrap and everything under it."""
        found, todo = [], [self.pid] if self.pid else []
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo += children(pid)
        return found

    def measure(self) -> None:
        """Remember the peak memory of the largest process in the sandbox (the kernel)."""
        for pid in self.processes():
            try:
                with open(f"/proc/{pid}/status") as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            self.peak_rss_mb = max(self.peak_rss_mb, int(line.split()[1]) / 1024)
            except (OSError, ValueError):
                continue

    def stop(self) -> None:
        """Kill the sandbox and clean up (no polite shutdown: its work is done)."""
        self.measure()
        try:
            self.kc.stop_channels()
        except Exception:  # noqa: BLE001
            pass
        self.kill()
        process = getattr(self.km.provisioner, "process", None)
        with self._lock:
            self._reaped = True
            if process is not None:
                try:
                    process.wait(timeout=10)
                except Exception:  # noqa: BLE001 - killed already; nothing more to do
                    pass
        try:
            run_sync(self.km.cleanup_resources)()
        except Exception:  # noqa: BLE001
            pass


class KernelPool:
    """Sandboxed kernels for one worker, the next ones always starting in advance.

    With N slots, N - 1 kernels are started ahead: a kernel needs about a
    second to be ready, longer than a small notebook takes to grade.
    """

    def __init__(self, folder: Path, policy: sandbox.Policy, uids: list[int | None]):
        self.policy = policy
        self.slots = [Slot(folder / f"slot{i}", uid) for i, uid in enumerate(uids)]
        self._next = 0
        self._ready: deque[Kernel] = deque()
        self.context = zmq.asyncio.Context()

    def _start(self) -> Kernel:
        slot = self.slots[self._next]
        self._next = (self._next + 1) % len(self.slots)
        return Kernel(slot, self.policy, self.context)

    def take(self) -> Kernel:
        """A started kernel (not necessarily ready: nbclient waits for it)."""
        return self._ready.popleft() if self._ready else self._start()

    def prestart(self) -> None:
        """Start kernels until N - 1 are waiting (call after :meth:`take`)."""
        while len(self._ready) < len(self.slots) - 1:
            self._ready.append(self._start())

    def close(self) -> None:
        while self._ready:
            self._ready.popleft().stop()
        self.context.destroy(linger=0)
