"""Render a report: check parameters, execute the notebook with papermill, export, publish.

Everything happens in one process (imports and exporters are paid for once), and the
exporters are imported on a background thread while the kernel runs. Files are written
into a temporary folder beside the output and moved into place only when every format
succeeded, so a failed run never replaces a good report; the executed notebook of a
failed run is kept under ``failed/`` for diagnosis. An executed notebook whose outputs
would load anything from the network fails the same way, before anything is exported.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import math
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_core.utils import run_sync

from izreport.blocks.notebook_display import RENDER_ENV
from izreport.core.config import RenderLimits, render_limits
from izreport.core.errors import NetworkOutputError, ParameterError, RenderError
from izreport.core.i18n import _
from izreport.pipeline import outfolder
from izreport.pipeline.params import get_report, validate
from izreport.storage.data import DATA_ENV, URL_ENV

FORMATS = ("html", "pdf", "docx")
#: What a render writes unless told otherwise (the Word file is asked for: --to docx).
DEFAULT_FORMATS = ("html", "pdf")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class RenderResult:
    """What one render wrote, and how long each step took (seconds)."""

    report: str
    params: dict[str, Any]
    files: dict[str, Path]
    timings: dict[str, float] = field(default_factory=dict)
    #: the document carries DỰ THẢO (a hand-written section is missing): not to be issued
    draft: bool = False


#: Run silently in the kernel while the parent imports its exporters: the libraries the
#: report cells import, and vl-convert's JavaScript engine (its first chart costs ~0.3 s).
_WARM_UP = ("import izreport.blocks.report\nimport izreport.blocks.charts\n"
            "izreport.blocks.charts.warm_up()\n")


class _WarmKernel(threading.Thread):
    """Start the notebook's kernel early and import the report's libraries in it.

    papermill then executes the notebook on this kernel (``km=``), so kernel start-up and
    imports overlap with the parent's own imports. The warm-up runs with
    ``silent=True``: it leaves no output and no execution count in the notebook.
    """

    def __init__(self, kernel_name: str, cwd: Path, env: dict[str, str]) -> None:
        super().__init__(daemon=True, name="izreport-kernel")
        from jupyter_client.manager import AsyncKernelManager

        # local sockets instead of TCP ports: nothing listens on the network. An
        # asynchronous manager, because nbclient notices a dead kernel only while its
        # event loop runs: a blocking client's wait for output would stall it forever.
        # the connection file too, so that one folder named by this process's id holds
        # everything a killed render leaves (outfolder.clean_stale_kernels removes it)
        self._sockets = tempfile.mkdtemp(prefix=f"{outfolder.KERNEL_PREFIX}{os.getpid()}-")
        self.km = AsyncKernelManager(kernel_name=kernel_name, transport="ipc",
                                     ip=os.path.join(self._sockets, "kernel"),
                                     connection_file=os.path.join(self._sockets,
                                                                  "kernel.json"))
        self.cwd = cwd
        self.env = env
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._warm_up())
        except BaseException as exc:  # papermill starts its own kernel instead
            self.error = exc

    async def _warm_up(self) -> None:
        await self.km.start_kernel(cwd=str(self.cwd), env=self.env)
        kc = self.km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            msg_id = kc.execute(_WARM_UP, silent=True, store_history=False)
            while True:
                reply = await kc.get_shell_msg(timeout=120)
                if reply["parent_header"].get("msg_id") == msg_id:
                    break
        finally:
            kc.stop_channels()

    def manager(self) -> Any:
        """The started kernel's manager, or None if the early start failed."""
        self.join()
        return self.km if self.error is None and self.km.has_kernel else None

    def shutdown(self) -> None:
        self.join()
        if self.km.has_kernel:
            run_sync(self.km.shutdown_kernel)(now=True)
        run_sync(self.km.cleanup_resources)()
        shutil.rmtree(self._sockets, ignore_errors=True)


def _kernel_name(notebook: Path) -> str:
    meta = json.loads(notebook.read_text(encoding="utf-8")).get("metadata", {})
    return str(meta.get("kernelspec", {}).get("name") or "python3")


class _Prefetch(threading.Thread):
    """Import the exporters (nbconvert ~2 s, WeasyPrint) while the kernel computes."""

    def __init__(self) -> None:
        super().__init__(daemon=True, name="izreport-prefetch")
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            import weasyprint  # noqa: F401

            from izreport.formats import export

            export.vega_bundle()
        except BaseException as exc:  # reported when the exporters are used
            self.error = exc


def render(report: str, params: Mapping[str, Any], out_dir: Path | str,
           formats: Iterable[str] = DEFAULT_FORMATS, data_dir: Path | str | None = None,
           progress: Progress | None = None) -> RenderResult:
    """Render one report to ``out_dir``; returns the files written (.ipynb, .html, .pdf)."""
    say = progress or (lambda _msg: None)
    timings: dict[str, float] = {}
    wanted = _check_formats(formats)
    spec = get_report(report)
    data = Path(data_dir) if data_dir is not None else None
    values = validate(spec, dict(params), data)
    limits = render_limits()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = spec.stem(values)

    with outfolder.stem_lock(out, stem):
        outfolder.check_final(out, stem, values)
        outfolder.clean_stale(out, stem)
        outfolder.clean_stale_kernels()
        kernel = _start_kernel(spec.path, data)
        prefetch = _Prefetch()
        prefetch.start()
        with tempfile.TemporaryDirectory(dir=out, prefix=f".{stem}.") as tmp_name:
            tmp = Path(tmp_name)
            executed = tmp / f"{stem}.ipynb"
            say(_("executing {notebook}").format(notebook=spec.notebook))
            start = time.perf_counter()
            try:
                _execute(spec.path, executed, values, kernel.manager(),
                         out / "failed" / f"{stem}.ipynb", limits)
            finally:
                kernel.shutdown()
            timings["execute"] = time.perf_counter() - start

            prefetch.join()
            if prefetch.error is not None:
                raise RenderError(_("cannot load the exporters: {error}").format(
                    error=prefetch.error)) from prefetch.error
            import nbformat

            from izreport.formats.export import (
                HIDDEN_TAG,
                ReportDocxExporter,
                ReportHTMLExporter,
                ReportPDFExporter,
                is_draft,
            )
            from izreport.formats.offline import check_notebook

            nb = nbformat.read(executed, as_version=4)
            try:
                check_notebook(nb, spec.notebook, skip_tags={HIDDEN_TAG})
            except NetworkOutputError as exc:
                failed = _keep_failed(executed, out / "failed" / f"{stem}.ipynb")
                raise NetworkOutputError(_("{exc} (executed notebook kept at {failed})").format(
                    exc=exc, failed=failed)) from exc
            written = {"ipynb": executed}
            exporters = {"html": ReportHTMLExporter, "pdf": ReportPDFExporter,
                         "docx": ReportDocxExporter}
            for fmt in wanted:
                say(_("writing {format}").format(format=fmt.upper()))
                start = time.perf_counter()
                body, _resources = exporters[fmt]().from_notebook_node(
                    nb, resources={"metadata": {"name": stem}, "izreport_pdf": "pdf" in wanted})
                target = tmp / f"{stem}.{fmt}"
                if isinstance(body, str):
                    target.write_text(body, encoding="utf-8")
                else:
                    target.write_bytes(body)
                written[fmt] = target
                timings[fmt] = time.perf_counter() - start
            files = {fmt: _publish(path, out) for fmt, path in written.items()}
    return RenderResult(report=spec.name, params=values, files=files, timings=timings,
                        draft=is_draft(nb))


def zone_runs(report: str, params: Mapping[str, Any], data_dir: Path | str | None = None
              ) -> list[dict[str, Any]]:
    """Parameters for the province report and one report per zone operating in the period."""
    from izreport.core.periods import Period
    from izreport.storage.data import load

    spec = get_report(report)
    data = Path(data_dir) if data_dir is not None else None
    values = validate(spec, {k: v for k, v in params.items() if k != "zone"}, data)
    zones = load(data).operating_zones(Period.parse(values["period"]))
    province = {k: v for k, v in params.items() if k != "zone"}
    return [province, *(dict(province, zone=z.name) for z in zones)]


def _check_formats(formats: Iterable[str]) -> tuple[str, ...]:
    wanted = tuple(dict.fromkeys(f.strip().lower() for f in formats if f.strip()))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        raise ParameterError(_("unknown output format(s) {value}; choose from {items}").format(
            value=', '.join(unknown) or '(none)', items=', '.join(FORMATS)))
    return wanted


def _start_kernel(notebook: Path, data: Path | None) -> _WarmKernel:
    """Start the kernel now, with the data folder in its environment.

    ``IZREPORT_RENDER=1`` tells the charts that the page template inlines the Vega bundle,
    also when ``izreport render`` runs from a notebook (whose kernel has a Jupyter session).
    """
    env = dict(os.environ)
    env[RENDER_ENV] = "1"
    if data is not None:  # a folder given wins over a database URL in the environment
        env[DATA_ENV] = str(data.resolve())
        env.pop(URL_ENV, None)
    kernel = _WarmKernel(_kernel_name(notebook), notebook.parent, env)
    kernel.start()
    return kernel


def _execute(notebook: Path, executed: Path, values: dict[str, Any], km: Any,
             failed_copy: Path, limits: RenderLimits) -> None:
    """Execute with papermill; a failed cell, a dead kernel or a timeout is a RenderError.

    Each cell may run ``cell_timeout`` seconds, and no longer than what is left of
    ``report_timeout`` (nbclient asks ``timeout_func`` before every cell).
    """
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    logging.getLogger("papermill").addHandler(logging.NullHandler())  # no stray log lines
    deadline = time.monotonic() + limits.report_timeout

    def timeout(_cell: Any) -> int:
        return max(1, min(limits.cell_timeout, math.ceil(deadline - time.monotonic())))

    def failed(reason: str, exc: BaseException) -> RenderError:
        _keep_failed(executed, failed_copy)
        return RenderError(_("{notebook}: {reason} (executed notebook kept at {copy})").format(
            notebook=notebook.name, reason=reason, copy=failed_copy))

    try:
        pm.execute_notebook(str(notebook), str(executed), parameters=values,
                            progress_bar=False, log_output=False, report_mode=False,
                            cwd=str(notebook.parent), km=km,
                            request_save_on_cell_execute=False, timeout_func=timeout,
                            engine_name=_engine(), keep_at=str(executed))
    except PapermillExecutionError as exc:
        _keep_failed(executed, failed_copy)
        raise RenderError(
            _("{name} failed in cell {exec_count}: {ename}: {evalue} (executed notebook kept at "
              "{failed_copy})").format(
                  name=notebook.name, exec_count=exc.exec_count, ename=exc.ename, evalue=exc.evalue,
                  failed_copy=failed_copy)) from exc
    except DeadKernelError as exc:
        raise failed(_("the kernel died while running (out of memory or killed)"),
                     exc) from exc
    except CellTimeoutError as exc:
        if time.monotonic() >= deadline - 1:
            reason = _("over the time for the whole report ({seconds} seconds)").format(
                seconds=limits.report_timeout)
        else:
            reason = _("a cell ran over {seconds} seconds").format(seconds=limits.cell_timeout)
        raise failed(reason, exc) from exc


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


def _keep_failed(executed: Path, failed_copy: Path) -> Path:
    """Keep the executed notebook of a failed run under ``failed/``, for diagnosis."""
    failed_copy.parent.mkdir(parents=True, exist_ok=True)
    if executed.exists():
        shutil.copyfile(executed, failed_copy)
    return failed_copy


def _publish(path: Path, out: Path) -> Path:
    """Move a finished file into the output folder in one atomic step."""
    target = out / path.name
    os.replace(path, target)
    return target
