"""A report launcher that imports the report's libraries once and forks each report's run.

Running a report needs IPython, pandas, altair and the package: over a second of CPU to
import, on every report of a batch. The launcher is a process that imports them once,
with no thread running, and then forks one process per report: it parameterises and
runs the notebook with papermill in its own IPython shell
(:mod:`izreport.pipeline.shell_engine`), writes the executed notebook and ends. Each
report starts with the modules loaded and nothing else (no user variable, no vl-convert
engine: the rendering process draws the charts' SVG, :mod:`izreport.blocks.vega`), and
nothing it defines reaches another report.

It listens on a Unix socket in a private folder (``$TMPDIR/izk-<pid>-XXXX/launcher``), so
that every worker of a batch reaches the one launcher the batch started: a connection
sends ``run`` and the report (a JSON object: :class:`Run`), then reads the forked
process's pid and, when it ends, its outcome (one JSON line). A launcher that cannot run
this kind of kernel's notebooks (the notebook declares another kernel than this Python's
ipykernel), cannot import or finds a thread running answers ``no``, and the workers
start ordinary kernels. It ends when its stdin closes (its owner ends it) or when the
process that started it ends (``PR_SET_PDEATHSIG``); each run ends with it the same way.
"""

from __future__ import annotations

import contextlib
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
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

#: The libraries a report's cells import, imported ahead in every report's process (here,
#: and by :data:`izreport.pipeline.kernels.WARM_UP` in kernels started without a launcher).
#: altair first: imported after the package's modules, its JSON-schema dependencies took
#: 6 s of CPU instead of 2,5 s (measured with JupyterLab's environment).
REPORT_IMPORTS = ("altair", "pandas", "izreport.blocks.report", "izreport.blocks.charts")
#: What the launcher imports before it forks: the report's imports, papermill and the
#: IPython shell the notebook runs in (with a kernel's compiler and language description),
#: what the shell imports as it starts (its magics, logger, debugger, completer and object
#: inspector) and what shows a DataFrame: without them each report spends 0,1 s importing.
PRELOAD = ("papermill", "nbformat", "ipykernel.compiler", "ipykernel.ipkernel",
           "IPython.core.interactiveshell", "IPython.core.shellapp",
           "IPython.core.application", "IPython.core.crashhandler", "IPython.core.logger",
           "IPython.core.magics", "IPython.core.debugger", "IPython.core.completerlib",
           "IPython.core.oinspect", "IPython.utils.wildcard",
           "izreport.pipeline.shell_engine", "izreport.pipeline.execute",
           *REPORT_IMPORTS, "pandas.io.formats.html", "pandas.io.formats.string")
#: What running a report imports the first time, where installed (internal modules of the
#: pinned versions, which may move): the texts' Markdown, the adapter altair reads a
#: DataFrame through, pandas' reshaping. 0,08 s of CPU per report otherwise.
FIRST_RUN = ("mistune", "mistune.plugins.footnotes", "mistune.plugins.formatting",
             "mistune.plugins.table", "mistune.renderers.html",
             "narwhals._pandas_like.dataframe", "narwhals._pandas_like.namespace",
             "narwhals._interchange.dataframe", "narwhals.stable.v1._namespace",
             "pandas.core.methods.to_dict", "pandas.core.reshape.reshape")
#: No BLAS thread pool: a process with threads must not fork (numpy's OpenBLAS starts one
#: thread per core at import unless told otherwise; the reports' arrays are small).
SINGLE_THREADED = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
#: How much longer than a report's time a run may take before it is killed: the run
#: stops itself at its cells' timeouts; this only ends one stuck in code that no signal
#: interrupts.
GRACE = 10.0


class ZygoteError(RuntimeError):
    """The launcher could not start or run a report; ordinary kernels are used instead."""


@dataclass(frozen=True)
class Run:
    """One report for the launcher to run, as :meth:`Zygote.run` sends it: papermill's
    arguments."""

    notebook: str
    executed: str
    parameters: dict[str, Any]
    kernel: str
    #: most seconds for one cell, and for the whole report (RenderLimits)
    cell_timeout: int
    report_timeout: int


@dataclass(frozen=True)
class Outcome:
    """How a run ended: ``ok``, ``failed`` (a cell raised), ``timeout`` (``cell`` or
    ``report``) or ``died`` (the process ended without saying)."""

    status: str
    exec_count: int | None = None
    ename: str = ""
    evalue: str = ""
    timeout: str = ""


class Zygote:
    """The launcher process, seen from the processes that ask it to run reports.

    :meth:`start` starts one (the starting process owns it: :meth:`close` ends it);
    :meth:`attach` reaches one another process started, by its socket address.
    """

    def __init__(self, address: str, process: subprocess.Popen[str] | None = None,
                 key: tuple[Any, ...] = ()) -> None:
        self.address = address
        self.process = process
        #: the folder and environment its reports run in (see batch._start_launcher)
        self.key = key
        self.failed = False

    @classmethod
    def start(cls, cwd: Path, env: dict[str, str], kernel: str = "python3") -> Zygote:
        """Start a launcher whose reports (notebooks of kernel ``kernel``) run in ``cwd``
        with ``env``.

        Whether ``kernel`` is this Python's ipykernel is checked by the launcher, first
        thing: where it is not, it imports nothing and refuses every request (the workers
        then start ordinary kernels). The caller, often a batch's parent that runs no
        report itself, then never imports jupyter_client (0,3 s of CPU with the check).
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
        """The launcher's environment (its reports'): ``env`` with no BLAS threads."""
        return {**env, **SINGLE_THREADED}

    @staticmethod
    def key_for(cwd: Path, env: dict[str, str]) -> tuple[Any, ...]:
        """What a launcher's reports share: their folder and their environment."""
        return (str(cwd), tuple(sorted(env.items())))

    @classmethod
    def attach(cls, address: str, key: tuple[Any, ...]) -> Zygote:
        return cls(address, None, key)

    @property
    def alive(self) -> bool:
        return not self.failed and (self.process is None or self.process.poll() is None)

    def run(self, notebook: Path, executed: Path, parameters: dict[str, Any], kernel: str,
            limits: Any) -> Outcome:
        """Run one report (papermill's arguments; ``limits``: its RenderLimits) in a
        process forked for it; its outcome once it ended.

        Waits until the launcher is ready. A run that outlives its report's time by
        :data:`GRACE` is killed (``timeout``). :class:`ZygoteError` when the launcher
        refuses or cannot be reached: nothing ran.
        """
        job = Run(str(notebook), str(executed), parameters, kernel, limits.cell_timeout,
                  limits.report_timeout)
        limit = job.report_timeout + GRACE
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            answer = ""
            try:
                self._connect(conn)
                conn.settimeout(120)      # a launcher still importing answers later
                conn.sendall(f"run {json.dumps(asdict(job))}\n".encode())
                lines = conn.makefile("r", encoding="utf-8")
                answer = lines.readline().strip()
                pid = int(answer)
            except (OSError, ValueError) as exc:
                self.failed = True
                raise ZygoteError(
                    f"the report launcher did not run the report: {exc or answer}") from exc
            conn.settimeout(limit)
            try:
                said = lines.readline()
            except TimeoutError:
                _kill(pid)
                return Outcome("timeout", timeout="report")
            except OSError:
                said = ""
            try:
                return Outcome(**json.loads(said))
            except (ValueError, TypeError):   # nothing, or cut short: it ended unheard
                _kill(pid)
                return Outcome("died")

    def _connect(self, conn: socket.socket) -> None:
        for _attempt in range(600):   # the launcher binds its socket as it starts
            try:
                conn.connect(self.address)
                return
            except (FileNotFoundError, ConnectionRefusedError):
                if not self.alive:
                    raise
                time.sleep(0.05)
        raise ConnectionRefusedError(self.address)

    def close(self, now: bool = False) -> None:
        """End the launcher (only its owner does); reports still running end with it.

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


def _kill(pid: int) -> None:
    """End a run's process and whatever it started (its own process group)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def forkable(name: str) -> bool:
    """Whether kernel ``name`` is an ipykernel of this very Python (the launcher's): its
    notebooks then run the same in the launcher's IPython shell."""
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


# --------------------------------------------------------------------------- the launcher


def _threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def _run(job: Run, server: socket.socket, conn: socket.socket) -> None:
    """In the forked child: run the report, tell ``conn`` its pid and outcome; never
    returns."""
    code = 1
    try:
        server.close()
        os.setsid()
        from izreport.pipeline.forking import forked
        from izreport.pipeline.lifeline import die_with_parent

        forked()                          # the launcher imported without the collector
        die_with_parent()                 # ends with the launcher
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)                  # the launcher's pipes are not the report's
        os.dup2(2, 1)
        os.close(null)
        conn.settimeout(None)
        conn.sendall(f"{os.getpid()}\n".encode())
        outcome = _execute(job)
        conn.sendall((json.dumps(asdict(outcome)) + "\n").encode())
        code = 0
    finally:
        os._exit(code)


def _execute(job: Run) -> Outcome:
    """Execute the notebook with papermill, as every render does, in this process's
    IPython shell."""
    from papermill.exceptions import PapermillExecutionError

    from izreport.core.config import RenderLimits
    from izreport.pipeline import shell_engine
    from izreport.pipeline.execute import OverTime, papermill_execute

    try:
        papermill_execute(Path(job.notebook), Path(job.executed), job.parameters,
                          RenderLimits(job.cell_timeout, job.report_timeout),
                          shell_engine.engine(), kernel_name=job.kernel)
    except PapermillExecutionError as exc:
        return Outcome("failed", exc.exec_count, exc.ename, exc.evalue)
    except OverTime as exc:
        return Outcome("timeout", timeout="report" if exc.whole_report else "cell")
    return Outcome("ok")


def main(address: str, kernel: str = "python3") -> None:
    """The launcher: import, listen on ``address``, fork a run per request until stdin
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
    except Exception as exc:              # a kernel spec it cannot read: not ours to run
        print(f"izreport report launcher: {kernel}: {exc}", file=sys.stderr)
        ours = False
    if not ours:
        _serve(server, None)
        return
    try:
        import importlib

        for name in PRELOAD:
            importlib.import_module(name)
        for name in FIRST_RUN:
            with contextlib.suppress(ImportError):
                importlib.import_module(name)
        from izreport.pipeline.shell_engine import engine
        from izreport.storage.data import STORE_MODULE, reads_store

        engine()                           # registered with papermill once, here
        if reads_store(os.environ):        # the reports' environment: their data
            importlib.import_module(STORE_MODULE)
    except Exception as exc:
        print(f"izreport report launcher: cannot import: {exc}", file=sys.stderr)
        _serve(server, None)
        return
    if _threads() != 1:                   # refuse: workers fall back to ordinary kernels
        print(f"izreport report launcher: {_threads()} threads", file=sys.stderr)
        _serve(server, None)
        return
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)   # children are reaped at once
    _serve(server, _run)


def _serve(server: socket.socket, run: Any) -> None:
    """Answer requests until stdin closes: fork and call ``run(job, server, conn)`` in the
    child, or answer ``no`` when ``run`` is None."""
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
                    job = Run(**json.loads(rest)) if word == "run" else None
                except (OSError, ValueError, TypeError):
                    continue
                if job is None:
                    continue
                if run is None:
                    with contextlib.suppress(OSError):
                        conn.sendall(b"no\n")
                    continue
                if os.fork() == 0:
                    run(job, server, conn)


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
