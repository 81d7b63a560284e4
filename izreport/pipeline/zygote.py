"""A kernel launcher that imports the report's libraries once and forks each kernel from it.

A new kernel spends most of its start importing ipykernel, pandas and altair (seconds of
CPU, on every report of a batch). The zygote is a process that imports them once, with no
thread running, and then forks one fresh IPython kernel per request: each kernel starts
with the modules loaded and nothing else (no user variable, no IPython shell yet, no
vl-convert engine: its threads are started by the warm-up after the fork).

Protocol on its stdin/stdout, one line each: it says ``ready`` (or ``error <why>`` and
ends: then the pool starts ordinary kernels); each ``fork <connection file>`` is answered
by the kernel's pid. It ends when its stdin closes or when the process that started it
ends (``PR_SET_PDEATHSIG``); each kernel ends with it the same way, and polls it too.

:class:`ZygoteProvisioner` lets jupyter_client drive such a kernel as its own: the
manager writes the connection file, the zygote forks, and polling, signals and kills go
to the kernel's pid (its own process group: a signal to it never reaches izreport).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

#: What the zygote imports before it forks (the kernel's start and the report's imports).
PRELOAD = ("ipykernel.kernelapp", "altair", "pandas", "izreport.report", "izreport.charts")
#: No BLAS thread pool: a process with threads must not fork (numpy's OpenBLAS starts one
#: thread per core at import unless told otherwise; the reports' arrays are small).
SINGLE_THREADED = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class ZygoteError(RuntimeError):
    """The zygote could not start or fork; ordinary kernels are used instead."""


class Zygote:
    """The launcher process, seen from the process that started it."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        env = {**env, **SINGLE_THREADED}
        self._lock = threading.Lock()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "izreport.pipeline.zygote"], cwd=str(cwd), env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self._ready: bool | None = None

    def _answer(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line:
            raise ZygoteError("the kernel launcher ended")
        return line

    def fork(self, connection_file: str) -> int:
        """Fork a kernel on ``connection_file``; its pid."""
        assert self.process.stdin is not None
        with self._lock:
            if self._ready is None:
                answer = self._answer()
                self._ready = answer == "ready"
                if not self._ready:
                    raise ZygoteError(answer)
            if not self._ready:
                raise ZygoteError("the kernel launcher could not start")
            try:
                self.process.stdin.write(f"fork {connection_file}\n")
                self.process.stdin.flush()
                return int(self._answer())
            except (OSError, ValueError) as exc:
                self._ready = False
                raise ZygoteError(str(exc)) from exc

    def close(self) -> None:
        """End the launcher (its kernels already shut down end with it, if any are left)."""
        if self.process.poll() is None:
            try:
                assert self.process.stdin is not None
                self.process.stdin.close()
                self.process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


class _Forked:
    """A Popen-like handle on a kernel that is the zygote's child, not ours."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self.stdin = self.stdout = self.stderr = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)          # the zygote reaps its children at once
                with open(f"/proc/{self.pid}/stat", encoding="ascii") as stat:
                    if stat.read().rpartition(")")[2].split()[0] == "Z":
                        self.returncode = -1
            except (ProcessLookupError, FileNotFoundError):
                self.returncode = -1
            except (PermissionError, OSError):
                pass
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        import time

        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() > end:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.05)
        return int(self.returncode or 0)

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class ZygoteProvisioner(LocalProvisioner):  # type: ignore[misc]
    """jupyter_client's local provisioner, with the kernel forked by a :class:`Zygote`."""

    zygote: Zygote | None = None

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        assert self.zygote is not None
        connection_file = cmd[cmd.index("-f") + 1]
        pid = self.zygote.fork(connection_file)
        self.process = _Forked(pid)
        self.pid = pid
        self.pgid = pid      # its own group (setsid after the fork)
        self.cwd = kwargs.get("cwd", Path.cwd())
        return self.connection_info


def use_zygote(km: Any, zygote: Zygote) -> None:
    """Have the kernel manager ``km`` start its kernel through ``zygote``."""
    import uuid

    km.kernel_id = km.kernel_id or str(uuid.uuid4())
    provisioner = ZygoteProvisioner(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec,
                                    parent=km)
    provisioner.zygote = zygote
    km.provisioner = provisioner


# --------------------------------------------------------------------------- the zygote


def _threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def _kernel(connection_file: str) -> None:
    """In the forked child: become a fresh kernel on ``connection_file``; never returns."""
    code = 1
    try:
        os.setsid()
        from izreport.lifeline import die_with_parent

        die_with_parent()                 # ends with the zygote
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)                  # the zygote's pipes are not the kernel's
        os.dup2(2, 1)
        os.close(null)
        parent = str(os.getppid())       # ipykernel polls the zygote, and ends with it
        os.environ["JPY_PARENT_PID"] = parent
        argv = ["-f", connection_file, f"--IPKernelApp.parent_handle={parent}"]
        sys.argv = [sys.argv[0], *argv]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=argv)
        code = 0
    finally:
        os._exit(code)


def main() -> None:
    """The zygote: import, say ready, fork a kernel per request until stdin closes."""
    from izreport.lifeline import die_with_parent

    die_with_parent()
    if sys.path and sys.path[0] in ("", os.getcwd()):
        sys.path.pop(0)                   # as ipykernel_launcher: not the notebooks folder
    try:
        import importlib

        for name in PRELOAD:
            importlib.import_module(name)
    except Exception as exc:
        print(f"error cannot import: {exc}", flush=True)
        return
    if _threads() != 1:
        print(f"error {_threads()} threads before fork", flush=True)
        return
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)   # children are reaped at once
    print("ready", flush=True)
    for line in sys.stdin:
        word, _sep, connection_file = line.strip().partition(" ")
        if word != "fork" or not connection_file:
            continue
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            _kernel(connection_file)
        print(pid, flush=True)


if __name__ == "__main__":
    main()
