"""A papermill engine that runs the cells in this process's IPython shell.

A batch's reports run in processes forked from its report launcher
(:mod:`izreport.pipeline.zygote`), which has imported pandas, altair and the package
once. Each such process is an IPython shell for one report: the same shell, display
formatters, compiler and tracebacks as an IPython kernel's, without the kernel's
messaging (a ZeroMQ message per output and per status change, a client decoding them in
another process): 0,3 to 0,4 s of CPU per report. The process ends with its report, so
nothing a notebook defines reaches the next one.

What a cell shows becomes the nbformat outputs a kernel's messages give: what it prints
(held, as a kernel holds it, until something else is shown or the cell ends),
``display_data`` (updated in place by ``update_display``), ``execute_result`` with its
execution count, ``error`` with IPython's traceback; papermill records the timings and
the failing cell, as with its own engine. What libraries decide by where they run is
decided as in a kernel (pandas lays out a DataFrame's text for a notebook). A cell runs
no longer than ``timeout_func`` allows (nbclient's rule); over it, the engine raises
nbclient's ``CellTimeoutError``.
"""

from __future__ import annotations

import contextlib
import functools
import io
import signal
import sys
from collections.abc import Callable, Iterator
from typing import Any

#: The engine's name in papermill's registry.
NAME = "izreport-shell"


class _Sink:
    """The outputs of the cell that runs now.

    What a cell prints is held until something else is shown, or the cell ends, and then
    given as one output per stream, standard output first: as a kernel flushes its
    streams before each display and at the end of a cell.
    """

    def __init__(self) -> None:
        self.outputs: list[Any] = []
        self._printed: dict[str, list[str]] = {"stdout": [], "stderr": []}
        self._clear_before_next = False
        #: display id → the outputs shown with it, in any cell (``update_display``)
        self._displays: dict[str, list[Any]] = {}

    def write(self, name: str, text: str) -> None:
        self._printed[name].append(text)

    def flush(self) -> None:
        for name, parts in self._printed.items():
            if parts:
                self._add({"output_type": "stream", "name": name, "text": "".join(parts)})
                parts.clear()

    def add(self, output: dict[str, Any], display_id: str | None = None) -> None:
        self.flush()
        added = self._add(output)
        if display_id is not None and added is not None:
            self._displays.setdefault(display_id, []).append(added)

    def update(self, display_id: str, data: dict[str, Any], metadata: dict[str, Any]) -> None:
        """What was shown with ``display_id`` shows ``data`` now (nothing is added)."""
        from nbformat import from_dict

        self.flush()
        for output in self._displays.get(display_id, []):
            output["data"], output["metadata"] = from_dict(data), from_dict(metadata)

    def _add(self, output: dict[str, Any]) -> Any:
        from nbformat import from_dict

        if self._clear_before_next:
            self.outputs.clear()
            self._clear_before_next = False
        if output["output_type"] == "stream" and self.outputs:
            last = self.outputs[-1]
            if last["output_type"] == "stream" and last["name"] == output["name"]:
                last["text"] += output["text"]
                return None
        self.outputs.append(from_dict(output))   # checked with the whole notebook
        return self.outputs[-1]

    def clear(self, wait: bool) -> None:
        self.flush()
        if wait:
            self._clear_before_next = True
        else:
            self.outputs.clear()


class _Stream(io.TextIOBase):
    """``sys.stdout`` or ``sys.stderr`` while a cell runs."""

    def __init__(self, sink: _Sink, name: str) -> None:
        self._sink = sink
        self.name = name

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if text:
            self._sink.write(self.name, str(text))
        return len(text)

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"


class _CellTimeout(BaseException):
    """Raised by the timer inside a cell that ran over its time."""


def _shell(sink: _Sink) -> Any:
    """An IPython shell whose displays, results and tracebacks go to ``sink``."""
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    class Publisher(DisplayPublisher):  # type: ignore[misc]
        def publish(self, data: dict[str, Any], metadata: dict[str, Any] | None = None,
                    source: Any = None, *, transient: Any = None, update: bool = False,
                    **_kwargs: Any) -> None:
            display_id = (transient or {}).get("display_id")
            if update and display_id is not None:
                sink.update(display_id, data, metadata or {})
            else:
                sink.add({"output_type": "display_data", "data": data,
                          "metadata": metadata or {}}, display_id)

        def clear_output(self, wait: bool = False) -> None:
            sink.clear(wait)

    class Hook(DisplayHook):  # type: ignore[misc]
        def start_displayhook(self) -> None:
            self._data: dict[str, Any] = {}
            self._metadata: dict[str, Any] = {}

        def write_output_prompt(self) -> None:
            pass

        def write_format_data(self, format_dict: dict[str, Any],
                              md_dict: dict[str, Any] | None = None) -> None:
            self._data, self._metadata = format_dict, md_dict or {}

        def finish_displayhook(self) -> None:
            if self._data:
                sink.add({"output_type": "execute_result", "data": self._data,
                          "metadata": self._metadata,
                          "execution_count": self.prompt_count})

    from ipykernel.compiler import XCachingCompiler  # a kernel's: the same tracebacks

    class ZMQLikeShell(InteractiveShell):  # type: ignore[misc]
        """Named so on purpose: pandas takes a shell whose type names "zmq" for a notebook
        front end (ipykernel's ``ZMQInteractiveShell``) and lays a DataFrame's text out
        for it, not for an 80-column terminal; the outputs must be a kernel's."""

        display_pub_class = Publisher
        displayhook_class = Hook
        compiler_class = XCachingCompiler

        def _showtraceback(self, etype: type[BaseException], evalue: BaseException,
                           stb: list[str]) -> None:
            if etype is not _CellTimeout:
                sink.add({"output_type": "error", "ename": str(etype.__name__),
                          "evalue": str(evalue), "traceback": stb})

    from IPython.core.shellapp import InteractiveShellApp

    config = Config()
    config.HistoryManager.enabled = False    # nobody reads a one-report shell's history
    ZMQLikeShell.clear_instance()   # the one shell of this process (IPython.display finds it)
    shell = ZMQLikeShell.instance(config=config)
    InteractiveShellApp(config=config).init_path()   # as a kernel: the notebook's folder
    _as_in_a_kernel()
    return shell


#: pandas' default for ``display.max_columns`` in a Jupyter kernel.
KERNEL_MAX_COLUMNS = 20


def _as_in_a_kernel() -> None:
    """Settings a library fixes when it is imported, by whether it is in a kernel, set as
    in one: pandas chooses its default column count at import (20 in a kernel, 0, "fit
    the terminal", elsewhere), and the launcher imported it outside any kernel."""
    try:
        import pandas
    except ImportError:   # a notebook without pandas: nothing to set
        return
    pandas.set_option("display.max_columns", KERNEL_MAX_COLUMNS)


@contextlib.contextmanager
def _streams(sink: _Sink) -> Iterator[None]:
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Stream(sink, "stdout"), _Stream(sink, "stderr")
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


@contextlib.contextmanager
def _timer(seconds: float | None, fired: list[bool]) -> Iterator[None]:
    """Interrupt the code running ``seconds`` from now (None: never); ``fired`` gets
    True if it did."""
    if not seconds:
        yield
        return

    def ring(_signum: int, _frame: Any) -> None:
        fired.append(True)
        raise _CellTimeout

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_cell(shell: Any, sink: _Sink, cell: Any, timeout: float | None) -> bool:
    """Run one code cell; its outputs and execution count go into ``cell``. Whether it
    raised (a failed cell); :class:`nbclient.exceptions.CellTimeoutError` when it ran
    over ``timeout`` seconds."""
    from nbclient.exceptions import CellTimeoutError

    sink.outputs = cell.outputs = []
    cell.execution_count = shell.execution_count
    fired: list[bool] = []
    try:
        with _streams(sink), _timer(timeout, fired):
            result = shell.run_cell(cell.source, store_history=True)
    except _CellTimeout:    # between two statements IPython does not guard
        fired.append(True)
        result = None
    sink.flush()
    if fired:
        raise CellTimeoutError(f"A cell timed out after {timeout} seconds")
    return result is None or not result.success


@functools.cache
def engine() -> str:
    """Register the engine with papermill (once); its name."""
    from ipykernel.ipkernel import IPythonKernel
    from papermill.engines import Engine, papermill_engines

    class ShellEngine(Engine):  # type: ignore[misc]
        @classmethod
        def execute_managed_notebook(cls, nb_man: Any, kernel_name: str,
                                     timeout_func: Callable[[Any], float] | None = None,
                                     keep_at: str | None = None, **_kwargs: Any) -> Any:
            """Run the cells in order until one fails. ``keep_at``: where the notebook is
            written before the first cell runs (what a process that dies leaves) and, when
            a cell runs over its time, as far as it ran."""
            from nbclient.exceptions import CellExecutionError, CellTimeoutError
            from papermill.iorw import write_ipynb

            if keep_at:
                write_ipynb(nb_man.nb, keep_at)
            sink = _Sink()
            shell = _shell(sink)
            nb = nb_man.nb
            # as a kernel describes its language (nbconvert picks the lexer from it)
            nb.metadata["language_info"] = dict(IPythonKernel.language_info)
            try:
                for index, cell in enumerate(nb.cells):
                    try:
                        nb_man.cell_start(cell, index)
                        if cell.cell_type != "code" or not cell.source.strip() or \
                                "skip-execution" in cell.metadata.get("tags", []):
                            continue
                        failed = run_cell(shell, sink, cell,
                                          timeout_func(cell) if timeout_func else None)
                        if failed and "raises-exception" not in cell.metadata.get("tags", []):
                            error = next(o for o in cell.outputs if o.output_type == "error")
                            nb_man.cell_exception(cell, cell_index=index,
                                                  exception=CellExecutionError(
                                                      "\n".join(error.traceback),
                                                      error.ename, error.evalue))
                            break
                    finally:
                        nb_man.cell_complete(cell, cell_index=index)
            except CellTimeoutError:
                nb_man.output_path = keep_at    # papermill's last save keeps what ran
                raise
            return nb

    papermill_engines.register(NAME, ShellEngine)
    return NAME
