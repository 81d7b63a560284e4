"""A kernel launcher that imports the report's libraries once and forks each kernel from it.

A new kernel spends most of its start importing ipykernel, pandas and altair (seconds of
CPU, on every report of a batch). The zygote is a process that imports them once, with no
thread running, and then forks one fresh IPython kernel per request: each kernel starts
with the modules loaded and nothing else (no user variable, no IPython shell yet, no
vl-convert engine: the rendering process draws the charts' SVG, :mod:`izreport.blocks.vega`).

It listens on a Unix socket in a private folder (``$TMPDIR/izk-<pid>-XXXX/launcher``), so
that every worker of a batch reaches the one launcher the batch started: each connection
sends ``fork`` and the kernel's arguments (a JSON list: ``-f <connection file>`` and
options) and reads the kernel's pid. A launcher that cannot fork this kind of kernel,
cannot import or finds a thread running answers ``no``, and the pools start ordinary
kernels. It ends when its stdin closes (its owner ends it) or when the process that
started it ends (``PR_SET_PDEATHSIG``); each kernel ends with it the same way, and polls
it too.

Its provisioner (:func:`provisioner_class`) lets jupyter_client drive such a kernel as its
own: the manager writes the connection file, the zygote forks, and polling, signals and
kills go to the kernel's pid (its own process group: a signal to it never reaches izreport).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

#: The libraries a report's cells import, imported ahead in every report kernel (here,
#: and by :data:`izreport.pipeline.kernels.WARM_UP` in kernels started without a launcher).
#: altair first: imported after the package's modules, its JSON-schema dependencies took
#: 6 s of CPU instead of 2,5 s (measured with JupyterLab's environment).
REPORT_IMPORTS = ("altair", "pandas", "izreport.blocks.report", "izreport.blocks.charts")
#: What the zygote imports before it forks: the kernel's start, the report's imports, and
#: what a kernel imports as it initialises and starts (its shell, the debugger's debugpy,
#: IPython's magics and object inspector, tornado's asyncio loop): without them each forked
#: kernel spends 0,17 s importing them, with them 0,03 s.
PRELOAD = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell",
           "IPython.core.completerlib", "IPython.core.debugger", "IPython.core.oinspect",
           "IPython.utils.wildcard", "IPython.extensions.storemagic",
           "tornado.platform.asyncio", "faulthandler", *REPORT_IMPORTS)
#: Imported too where installed: the kernel imports them if they are (ipykernel's
#: debugger loads debugpy; psutil reports the kernel's memory).
OPTIONAL = ("ipykernel.debugger", "psutil")
#: No BLAS thread pool: a process with threads must not fork (numpy's OpenBLAS starts one
#: thread per core at import unless told otherwise; the reports' arrays are small).
SINGLE_THREADED = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
#: debugpy, imported ahead for ipykernel's debugger, warns on stderr at import that Python's
#: frozen modules may hide breakpoints; ipykernel's own kernel spec sets this for the same
#: reason. Report kernels are never debugged.
QUIET_DEBUGGER = {"PYDEVD_DISABLE_FILE_VALIDATION": "1"}


class ZygoteError(RuntimeError):
    """The zygote could not start or fork; ordinary kernels are used instead."""


class Zygote:
    """The launcher process, seen from the processes that ask it for kernels.

    :meth:`start` starts one (the starting process owns it: :meth:`close` ends it);
    :meth:`attach` reaches one another process started, by its socket address.
    """

    def __init__(self, address: str, process: subprocess.Popen[str] | None = None,
                 key: tuple[Any, ...] = ()) -> None:
        self.address = address
        self.process = process
        #: the folder and environment its kernels have (see kernels.KernelPool)
        self.key = key
        self.failed = False

    @classmethod
    def start(cls, cwd: Path, env: dict[str, str], kernel: str = "python3") -> Zygote:
        """Start a launcher whose kernels (of kind ``kernel``) run in ``cwd`` with ``env``.

        Whether ``kernel`` is this Python's ipykernel is checked by the launcher, first
        thing: where it is not, it imports nothing and refuses every request (the pools
        then start ordinary kernels). The caller, often a batch's parent that starts no
        kernel itself, then never imports jupyter_client (0,3 s of CPU with the check).
        """
        from izreport.pipeline import outfolder

        folder = outfolder.private_folder()
        address = os.path.join(folder, "launcher")
        process = subprocess.Popen(
            [sys.executable, "-m", "izreport.pipeline.zygote", address, kernel],
            cwd=str(cwd), env=cls.environment(env), stdin=subprocess.PIPE, text=True)
        return cls(address, process, cls.key_for(cwd, env))

    @staticmethod
    def environment(env: dict[str, str]) -> dict[str, str]:
        """The launcher's environment (its kernels'): ``env`` with no BLAS threads and a
        quiet debugger."""
        return {**env, **SINGLE_THREADED, **QUIET_DEBUGGER}

    @staticmethod
    def key_for(cwd: Path, env: dict[str, str]) -> tuple[Any, ...]:
        """What a launcher's kernels share: their folder and their environment."""
        return (str(cwd), tuple(sorted(env.items())))

    @classmethod
    def attach(cls, address: str, key: tuple[Any, ...]) -> Zygote:
        return cls(address, None, key)

    @property
    def alive(self) -> bool:
        return not self.failed and (self.process is None or self.process.poll() is None)

    def fork(self, args: list[str]) -> int:
        """Fork a kernel with ipykernel's command-line ``args`` (``-f <connection file>``
        and options); its pid (waits until the launcher is ready)."""
        answer = ""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(120)
                for _attempt in range(600):   # the launcher binds its socket as it starts
                    try:
                        conn.connect(self.address)
                        break
                    except (FileNotFoundError, ConnectionRefusedError):
                        if not self.alive:
                            raise
                        time.sleep(0.05)
                conn.sendall(f"fork {json.dumps(args)}\n".encode())
                answer = conn.makefile("r", encoding="utf-8").readline().strip()
            return int(answer)
        except (OSError, ValueError) as exc:
            self.failed = True
            raise ZygoteError(f"the kernel launcher did not fork: {exc or answer}") from exc

    def close(self, now: bool = False) -> None:
        """End the launcher (only its owner does); kernels still running end with it.

        ``now``: kill it instead of asking (one never used may still be importing).
        """
        if self.process is None:
            return
        if now and self.process.poll() is None:
            self.process.kill()
        if self.process.poll() is None:
            try:
                assert self.process.stdin is not None
                self.process.stdin.close()
                self.process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        shutil.rmtree(os.path.dirname(self.address), ignore_errors=True)


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


@functools.cache
def provisioner_class() -> type[Any]:
    """jupyter_client's local provisioner, with the kernel forked by a :class:`Zygote`
    (made on first use: only the processes that drive kernels import jupyter_client)."""
    from jupyter_client.provisioning import LocalProvisioner

    class ZygoteProvisioner(LocalProvisioner):  # type: ignore[misc]
        zygote: Zygote | None = None

        async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
            assert self.zygote is not None
            pid = self.zygote.fork(cmd[cmd.index("-f"):])   # the kernel's own arguments
            self.process = _Forked(pid)
            self.pid = pid
            self.pgid = pid      # its own group (setsid after the fork)
            self.cwd = kwargs.get("cwd", Path.cwd())
            return self.connection_info

    return ZygoteProvisioner


def use_zygote(km: Any, zygote: Zygote) -> None:
    """Have the kernel manager ``km`` start its kernel through ``zygote``."""
    import uuid

    km.kernel_id = km.kernel_id or str(uuid.uuid4())
    provisioner = provisioner_class()(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec,
                                      parent=km)
    provisioner.zygote = zygote
    km.provisioner = provisioner


def forkable(name: str) -> bool:
    """Whether kernel ``name`` is an ipykernel of this very Python (the launcher's)."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        argv = KernelSpecManager().get_kernel_spec(name).argv
    except NoSuchKernel:
        return False
    if not argv:
        return False
    pythons = {"python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info)}
    ours = argv[0] in pythons or os.path.realpath(argv[0]) == os.path.realpath(sys.executable)
    return ours and argv[1:3] == ["-m", "ipykernel_launcher"]


# --------------------------------------------------------------------------- the zygote


def _threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def _kernel(args: list[str], *inherited: Any) -> None:
    """In the forked child: become a fresh kernel with ``args``; never returns.

    ``inherited``: the launcher's sockets, closed here.
    """
    code = 1
    try:
        for sock in inherited:
            sock.close()
        os.setsid()
        from izreport.pipeline.forking import forked
        from izreport.pipeline.lifeline import die_with_parent

        forked()                          # the launcher imported without the collector

        die_with_parent()                 # ends with the zygote
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)                  # the zygote's pipes are not the kernel's
        os.dup2(2, 1)
        os.close(null)
        parent = str(os.getppid())       # ipykernel polls the zygote, and ends with it
        os.environ["JPY_PARENT_PID"] = parent
        argv = [*args, f"--IPKernelApp.parent_handle={parent}"]
        sys.argv = [sys.argv[0], *argv]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=argv)
        code = 0
    finally:
        os._exit(code)


def main(address: str, kernel: str = "python3") -> None:
    """The zygote: import, listen on ``address``, fork a kernel per request until stdin
    closes (its owner ended it, or ended). Where ``kernel`` is not this Python's
    ipykernel, import nothing and answer every request ``no``."""
    from izreport.pipeline.lifeline import die_with_parent

    die_with_parent()
    if sys.path and sys.path[0] in ("", os.getcwd()):
        sys.path.pop(0)                   # as ipykernel_launcher: not the notebooks folder
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(address + ".tmp")         # requests wait in the backlog while it imports
    server.listen(64)
    os.rename(address + ".tmp", address)
    from izreport.pipeline import forking

    forking.importing()
    try:
        ours = forkable(kernel)
    except Exception as exc:              # a kernel spec it cannot read: not ours to fork
        print(f"izreport kernel launcher: {kernel}: {exc}", file=sys.stderr)
        ours = False
    if not ours:
        _serve(server, None)
        return
    try:
        import importlib

        for name in PRELOAD:
            importlib.import_module(name)
        for name in OPTIONAL:
            with contextlib.suppress(ImportError):
                importlib.import_module(name)
        from izreport.storage.data import STORE_MODULE, reads_store

        if reads_store(os.environ):        # the kernels' environment: their data
            importlib.import_module(STORE_MODULE)
    except Exception as exc:
        print(f"izreport kernel launcher: cannot import: {exc}", file=sys.stderr)
        _serve(server, None)
        return
    if _threads() != 1:                   # refuse: clients fall back to ordinary kernels
        print(f"izreport kernel launcher: {_threads()} threads", file=sys.stderr)
        _serve(server, None)
        return
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)   # children are reaped at once
    _serve(server, _kernel)


def _serve(server: socket.socket, fork: Any) -> None:
    """Answer requests until stdin closes: fork a kernel with ``fork(args, *sockets)`` in
    the child and answer its pid, or answer ``no`` when ``fork`` is None."""
    events = selectors.DefaultSelector()
    events.register(sys.stdin, selectors.EVENT_READ)
    events.register(server, selectors.EVENT_READ)
    while True:
        for key, _mask in events.select():
            if key.fileobj is sys.stdin:
                if not os.read(sys.stdin.fileno(), 4096):
                    return                # the owner closed it: end
                continue
            conn, _addr = server.accept()
            with conn:
                conn.settimeout(10)
                try:
                    word, _sep, rest = conn.makefile(
                        "r", encoding="utf-8").readline().strip().partition(" ")
                    args = json.loads(rest) if word == "fork" else None
                except (OSError, ValueError):
                    continue
                if not isinstance(args, list) or "-f" not in args:
                    continue
                if fork is None:
                    with contextlib.suppress(OSError):
                        conn.sendall(b"no\n")
                    continue
                pid = os.fork()
                if pid == 0:
                    fork([str(a) for a in args], server, conn)
                with contextlib.suppress(OSError):
                    conn.sendall(f"{pid}\n".encode())

if __name__ == "__main__":
    try:
        main(*sys.argv[1:3])
    finally:
        import gc

        gc.freeze()   # no last collection over pandas and altair: the owner waits for us
    # ended by its owner: nothing to save, no interpreter teardown of pandas and altair
    # (the batch waits for this exit before it returns)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
