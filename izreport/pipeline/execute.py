"""Execute a report notebook with papermill, on a kernel or in a batch's report launcher;
failures become RenderError.

A failed cell, a dead kernel or a timeout fails the render with one line, and the
notebook as far as it ran is kept (:func:`izreport.pipeline.write.keep_failed`). Both
ways give the same messages.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from pathlib import Path
from typing import Any

from izreport.core.config import RenderLimits
from izreport.core.errors import RenderError
from izreport.core.i18n import _
from izreport.pipeline.write import keep_failed


def execute_in(launcher: Any, notebook: Path, executed: Path, values: dict[str, Any],
               kernel: str, failed_copy: Path, limits: RenderLimits) -> Any:
    """Execute in a process the batch's report launcher forks for it
    (:mod:`izreport.pipeline.zygote`), into ``executed``; the executed notebook, or a
    RenderError as :func:`execute` gives. :class:`~izreport.pipeline.zygote.ZygoteError`
    when the launcher refuses (nothing ran: the caller uses a kernel instead)."""
    import nbformat

    outcome = launcher.run(notebook, executed, values, kernel, limits)
    if outcome.status == "ok":
        return nbformat.read(executed, as_version=4)
    keep_failed(executed, failed_copy)
    if outcome.status == "failed":
        raise RenderError(_failed_cell(notebook, outcome.exec_count, outcome.ename,
                                       outcome.evalue, failed_copy))
    if outcome.status == "timeout":
        reason = _over_time(limits, outcome.timeout == "report")
    else:
        reason = _("the kernel died while running (out of memory or killed)")
    raise RenderError(_failed(notebook, reason, failed_copy))


def _failed_cell(notebook: Path, exec_count: Any, ename: str, evalue: str,
                 failed_copy: Path) -> str:
    return _("{name} failed in cell {exec_count}: {ename}: {evalue} (executed notebook kept at "
             "{failed_copy})").format(name=notebook.name, exec_count=exec_count, ename=ename,
                                      evalue=evalue, failed_copy=failed_copy)


def _failed(notebook: Path, reason: str, failed_copy: Path) -> str:
    return _("{notebook}: {reason} (executed notebook kept at {copy})").format(
        notebook=notebook.name, reason=reason, copy=failed_copy)


def _over_time(limits: RenderLimits, whole_report: bool) -> str:
    if whole_report:
        return _("over the time for the whole report ({seconds} seconds)").format(
            seconds=limits.report_timeout)
    return _("a cell ran over {seconds} seconds").format(seconds=limits.cell_timeout)


class OverTime(Exception):
    """A cell ran over its time; ``whole_report``: because the report's was over."""

    def __init__(self, whole_report: bool) -> None:
        super().__init__("over the report's time" if whole_report else "a cell over its time")
        self.whole_report = whole_report


def papermill_execute(notebook: Path, executed: Path, values: dict[str, Any],
                      limits: RenderLimits, engine: str, **engine_args: Any) -> Any:
    """papermill as every render runs it, with engine ``engine`` (``engine_args``: the
    kernel manager, the kernel's name): into ``executed``, quietly, in the notebook's
    folder; the executed notebook.

    Each cell may run ``cell_timeout`` seconds, and no longer than what is left of
    ``report_timeout`` (the engine asks ``timeout_func`` before every cell); over it,
    :class:`OverTime`. A failed cell is papermill's ``PapermillExecutionError``, a dead
    kernel nbclient's ``DeadKernelError``; what ran is kept in ``executed`` each time.
    """
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError

    logging.getLogger("papermill").addHandler(logging.NullHandler())  # no stray log lines
    deadline = time.monotonic() + limits.report_timeout

    def timeout(_cell: Any) -> int:
        return max(1, min(limits.cell_timeout, math.ceil(deadline - time.monotonic())))

    try:
        return pm.execute_notebook(str(notebook), str(executed), parameters=values,
                                   progress_bar=False, log_output=False, report_mode=False,
                                   cwd=str(notebook.parent), request_save_on_cell_execute=False,
                                   timeout_func=timeout, engine_name=engine,
                                   keep_at=str(executed), **engine_args)
    except CellTimeoutError as exc:
        raise OverTime(time.monotonic() >= deadline - 1) from exc


def execute(notebook: Path, executed: Path, values: dict[str, Any], km: Any,
            failed_copy: Path, limits: RenderLimits) -> Any:
    """Execute on the kernel ``km`` drives (:func:`papermill_execute`) and return the
    executed notebook; a failed cell, a dead kernel or a timeout is a RenderError naming
    the copy kept at ``failed_copy``."""
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    def failed(reason: str, exc: BaseException) -> RenderError:
        keep_failed(executed, failed_copy)
        return RenderError(_failed(notebook, reason, failed_copy))

    try:
        return papermill_execute(notebook, executed, values, limits, _engine(), km=km)
    except PapermillExecutionError as exc:
        keep_failed(executed, failed_copy)
        raise RenderError(_failed_cell(notebook, exc.exec_count, exc.ename, exc.evalue,
                                       failed_copy)) from exc
    except DeadKernelError as exc:
        raise failed(_("the kernel died while running (out of memory or killed)"),
                     exc) from exc
    except OverTime as exc:
        raise failed(_over_time(limits, exc.whole_report), exc) from exc


@functools.cache
def _engine() -> str:
    """Register papermill's nbclient engine, saving the notebook when execution is cut short.

    papermill writes the executed notebook only after the last cell or a cell error; a dead
    kernel or a timeout would leave nothing to diagnose. Setting the output path before
    papermill's final save keeps what had run, with its timing.
    """
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.engines import NBClientEngine, papermill_engines

    class KeepingEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man: Any, kernel_name: str,
                                     keep_at: str | None = None, **kwargs: Any) -> Any:
            try:
                return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)
            except (DeadKernelError, CellTimeoutError):
                nb_man.output_path = keep_at
                raise

    papermill_engines.register("izreport", KeepingEngine)
    return "izreport"
