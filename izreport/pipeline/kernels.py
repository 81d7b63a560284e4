"""Kernels for reports: started and warmed ahead, each used for one report and discarded.

Starting a kernel and importing pandas, altair and vl-convert in it costs seconds of CPU.
A single render overlaps that with the parent's own imports (:func:`start_kernel`); a
batch runs its reports in processes its report launcher forks
(:mod:`izreport.pipeline.zygote`), and where the launcher cannot (a notebook of another
kernel) keeps a :class:`KernelPool` that warms the next report's kernel while the
current one runs. A kernel never serves two reports: once a report has run on it, it is
shut down and its folder removed, so nothing a notebook defines reaches the next report.

Each kernel's sockets and connection file live in ``$TMPDIR/izk-<pid>-XXXX/``, named by
the process that started it, so that :func:`izreport.pipeline.outfolder.clean_stale_kernels`
removes what a killed render left.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from jupyter_core.utils import run_sync

from izreport.blocks.notebook_display import RENDER_ENV
from izreport.blocks.vega import DEFER_ENV
from izreport.pipeline import outfolder
from izreport.pipeline.params import read_report
from izreport.pipeline.zygote import REPORT_IMPORTS
from izreport.storage.data import DATA_ENV, STORE_MODULE, URL_ENV, is_url, reads_store

#: Run silently in a new kernel before it gets a report: the libraries the report cells
#: import. No vl-convert: the rendering process draws the charts' SVG
#: (:mod:`izreport.blocks.vega`), so its JavaScript engine starts once per process, not
#: once per kernel.
WARM_UP = "".join(f"import {name}\n" for name in REPORT_IMPORTS)


def warm_up_code(env: dict[str, str]) -> str:
    """What a kernel with environment ``env`` runs before its report: with the store's
    module where it reads a store (SQLAlchemy: its first data read imported it, 0,17 s of
    its cells), not for a folder of exchange CSV files, which does not need it."""
    return WARM_UP + (f"import {STORE_MODULE}\n" if reads_store(env) else "")


#: A report kernel keeps no input history: IPython would write each cell into its SQLite
#: history file (3 ms a cell, measured over 60 cells), and nobody reads a discarded
#: kernel's history.
KERNEL_ARGS = ("--HistoryManager.enabled=False",)
#: The kernels' client (imported by jupyter_client when a kernel is driven): readiness
#: without 0,2 s of waiting for silence, see :mod:`izreport.pipeline.kernel_client`.
CLIENT = "izreport.pipeline.kernel_client.ReadyClient"


class WarmKernel(threading.Thread):
    """One kernel, started and warmed on a background thread.

    papermill then executes the notebook on it (``km=``). The warm-up runs with
    ``silent=True``: it leaves no output and no execution count in the notebook.
    """

    def __init__(self, kernel_name: str, cwd: Path, env: dict[str, str]) -> None:
        super().__init__(daemon=True, name="izreport-kernel")
        from jupyter_client.manager import AsyncKernelManager

        # local sockets instead of TCP ports: nothing listens on the network. An
        # asynchronous manager, because nbclient notices a dead kernel only while its
        # event loop runs: a blocking client's wait for output would stall it forever.
        self._sockets = outfolder.private_folder()
        self.km = AsyncKernelManager(kernel_name=kernel_name, transport="ipc",
                                     ip=os.path.join(self._sockets, "kernel"),
                                     connection_file=os.path.join(self._sockets,
                                                                  "kernel.json"),
                                     client_class=CLIENT)
        self.key = _key(kernel_name, cwd, env)
        self.cwd = cwd
        self.env = env
        self.error: BaseException | None = None
        #: seconds from the start to a ready kernel, and of the warm-up imports
        self.timings: dict[str, float] = {}

    def run(self) -> None:
        try:
            asyncio.run(self._warm_up())
        except BaseException as exc:  # papermill starts its own kernel instead
            self.error = exc

    async def _warm_up(self) -> None:
        start = time.perf_counter()
        await self.km.start_kernel(cwd=str(self.cwd), env=self.env,
                                   extra_arguments=list(KERNEL_ARGS))
        kc = self.km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            ready = time.perf_counter()
            self.timings["kernel_start"] = ready - start
            msg_id = kc.execute(warm_up_code(self.env), silent=True, store_history=False)
            while True:
                reply = await kc.get_shell_msg(timeout=120)
                if reply["parent_header"].get("msg_id") == msg_id:
                    break
            self.timings["warm_up"] = time.perf_counter() - ready
        finally:
            kc.stop_channels()

    def manager(self) -> Any:
        """The started kernel's manager, or None if the early start failed."""
        self.join()
        return self.km if self.error is None and self.km.has_kernel else None

    def shutdown(self) -> None:
        """Stop the kernel and remove its folder (waits for the warm-up to end)."""
        if self.is_alive() or self.ident is not None:
            self.join()
        if self.km.has_kernel:
            run_sync(self.km.shutdown_kernel)(now=True)
        run_sync(self.km.cleanup_resources)()
        shutil.rmtree(self._sockets, ignore_errors=True)


def _key(kernel_name: str, cwd: Path, env: dict[str, str]) -> tuple[Any, ...]:
    return (kernel_name, str(cwd), tuple(sorted(env.items())))


def kernel_name(notebook: Path) -> str:
    """The kernel the notebook declares (``python3`` when it declares none), from its
    declaration as the registry read it (once per process), not by parsing it again."""
    spec = read_report(notebook)
    return spec.kernel if spec is not None else "python3"


def kernel_env(data: Path | str | None, base: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment (or ``base``) for a report kernel, with the request's data
    folder or database URL.

    ``IZREPORT_RENDER=1`` tells the charts that the page template inlines the Vega bundle,
    also when ``izreport render`` runs from a notebook (whose kernel has a Jupyter session).
    """
    env = dict(os.environ if base is None else base)
    env[RENDER_ENV] = "1"
    env[DEFER_ENV] = "1"   # the charts' SVG is drawn by the rendering process
    if data is not None and is_url(str(data)):
        env[URL_ENV] = str(data)
    elif data is not None:  # a folder given wins over a database URL in the environment
        env[DATA_ENV] = str(Path(data).resolve())
        env.pop(URL_ENV, None)
    return env


def start_kernel(notebook: Path, data: Path | str | None) -> WarmKernel:
    """Start a kernel for the notebook now; it warms up while the caller goes on."""
    kernel = WarmKernel(kernel_name(notebook), notebook.parent, kernel_env(data))
    kernel.start()
    return kernel


class KernelPool:
    """Kernels warmed ahead for the reports to come; each is handed out once.

    :meth:`take` returns a kernel warmed earlier (:meth:`prepare`) for the same notebook
    folder, kernel and environment, or starts one now. The caller shuts the kernel down
    after its one report. :meth:`close` stops the kernels nobody took.
    """

    def __init__(self) -> None:
        self._ready: list[WarmKernel] = []
        self._lock = threading.Lock()
        self.started = 0
        self.taken_warm = 0

    def _start(self, notebook: Path, data: Path | str | None) -> WarmKernel:
        kernel = start_kernel(notebook, data)
        self.started += 1
        return kernel

    def take(self, notebook: Path, data: Path | str | None) -> WarmKernel:
        """A kernel for one report of ``notebook``."""
        key = _key(kernel_name(notebook), notebook.parent, kernel_env(data))
        with self._lock:
            found = next((k for k in self._ready if k.key == key), None)
            if found is not None:
                self._ready.remove(found)
                self.taken_warm += 1
            stale = [k for k in self._ready if k.key != key]
            self._ready = [k for k in self._ready if k.key == key]
        for kernel in stale:   # warmed for another folder or environment: of no use now
            kernel.shutdown()
        return found if found is not None else self._start(notebook, data)

    def prepare(self, notebook: Path, data: Path | str | None) -> None:
        """Start warming a kernel for the next report of ``notebook``."""
        kernel = self._start(notebook, data)
        with self._lock:
            self._ready.append(kernel)

    def close(self) -> None:
        """Shut down every kernel not taken."""
        with self._lock:
            left, self._ready = self._ready, []
        for kernel in left:
            kernel.shutdown()
