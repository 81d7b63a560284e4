"""Render a report: check → execute → export → write (the stages in :mod:`izreport.pipeline`).

- check: the parameters, the formats and the output folder, before any kernel starts;
- execute: papermill runs the notebook on a kernel started for this report (or taken warm
  from a :class:`~izreport.pipeline.kernels.KernelPool`), or, in a batch, in a process its
  report launcher forks (:mod:`izreport.pipeline.zygote`), while the exporters are
  imported on a background thread;
- export: the executed notebook to each format's bytes (pure, no file written);
- write: into a temporary folder beside the output, moved into place only when every
  format succeeded, so a failed run never replaces a good report; the executed notebook
  of a failed run is kept under ``failed/`` for diagnosis. An executed notebook whose
  outputs would load anything from the network fails the same way, before any export.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from izreport.blocks import vega
from izreport.core.config import render_limits
from izreport.core.errors import NetworkOutputError, RenderError
from izreport.core.i18n import _
from izreport.pipeline import export as stages_export
from izreport.pipeline import outfolder, write
from izreport.pipeline.execute import execute, execute_in
from izreport.pipeline.kernels import KernelPool, kernel_env, kernel_name, start_kernel
from izreport.pipeline.request import RunRequest, resolve
from izreport.pipeline.zygote import Zygote, ZygoteError

FORMATS = tuple(stages_export.FORMATS)
#: What a render writes unless told otherwise (the Word file is asked for: --to docx).
DEFAULT_FORMATS = stages_export.DEFAULT_FORMATS
Progress = Callable[[str], None]
_check_formats = stages_export.check_formats


@dataclass(frozen=True)
class RenderResult:
    """What one render wrote, and how long each step took (seconds)."""

    report: str
    params: dict[str, Any]
    files: dict[str, Path]
    timings: dict[str, float] = field(default_factory=dict)
    #: the document carries DỰ THẢO (a hand-written section is missing): not to be issued
    draft: bool = False


def _kernel(kernels: KernelPool | None, notebook: Path, data: Any) -> Any:
    """A kernel for one report: warmed ahead by the pool, else started now."""
    return kernels.take(notebook, data) if kernels is not None else start_kernel(notebook, data)


def render(report: str, params: Mapping[str, Any], out_dir: Path | str,
           formats: Iterable[str] = DEFAULT_FORMATS, data_dir: Path | str | None = None,
           progress: Progress | None = None) -> RenderResult:
    """Resolve one report's parameters (once) and render it: :func:`render_request`."""
    wanted = _check_formats(formats)
    return render_request(resolve(report, params, data_dir), out_dir, wanted, progress)


def render_request(request: RunRequest, out_dir: Path | str,
                   formats: Iterable[str] = DEFAULT_FORMATS,
                   progress: Progress | None = None, kernels: KernelPool | None = None,
                   warm_next: bool = False, launcher: Any = None) -> RenderResult:
    """Render one resolved request to ``out_dir``; returns the files written (.ipynb, .html,
    .pdf). The request is not checked again: :func:`izreport.pipeline.request.resolve` did.

    ``kernels``: take a kernel warmed ahead from this pool (``warm_next``: and have it
    warm the next report's while this one exports) instead of starting one.
    ``launcher``: run the notebook in a process this batch launcher forks
    (:class:`~izreport.pipeline.zygote.Zygote`) where its folder and environment are the
    report's; where they are not, or it refuses, on a kernel as above.
    """
    say = progress or (lambda _msg: None)
    timings: dict[str, float] = {}
    wanted = _check_formats(formats)
    spec = request.spec
    values = request.values
    data = request.data
    limits = render_limits()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = request.stem
    failed_copy = out / "failed" / f"{stem}.ipynb"

    with outfolder.stem_lock(out, stem):
        outfolder.check_final(out, stem, values)
        outfolder.clean_stale(out, stem)
        outfolder.clean_stale_kernels()
        use_launcher = (launcher is not None and launcher.alive and
                        launcher.key == Zygote.key_for(spec.path.parent, kernel_env(data)))
        kernel = None if use_launcher else _kernel(kernels, spec.path, data)
        prefetch = stages_export.Prefetch()
        prefetch.start()
        ending: threading.Thread | None = None
        try:
            with write.staging(out, stem) as tmp:
                executed = tmp / f"{stem}.ipynb"
                say(_("executing {notebook}").format(notebook=spec.notebook))
                start = time.perf_counter()
                nb = None
                if use_launcher:
                    try:
                        nb = execute_in(launcher, spec.path, executed, request.kernel_params,
                                        kernel_name(spec.path), failed_copy, limits)
                    except ZygoteError:   # refused, nothing ran: on a kernel instead
                        kernel = _kernel(kernels, spec.path, data)
                if nb is None:
                    assert kernel is not None
                    try:
                        km = kernel.manager()
                        timings["kernel_wait"] = time.perf_counter() - start
                        nb = execute(spec.path, executed, request.kernel_params, km,
                                     failed_copy, limits)
                    finally:
                        # one report per kernel: nothing leaks to the next; it ends while
                        # the page is exported, and the render returns once it has
                        ending = threading.Thread(target=kernel.shutdown, daemon=True,
                                                  name="izreport-kernel-end")
                        ending.start()
                    if kernels is not None and warm_next:
                        # the next report's kernel starts as this one's exports begin: not
                        # beside this report's own kernel start, which it would slow down
                        kernels.prepare(spec.path, data)
                    timings.update(kernel.timings)
                timings["execute"] = time.perf_counter() - start

                prefetch.join()
                if prefetch.error is not None:
                    raise RenderError(_("cannot load the exporters: {error}").format(
                        error=prefetch.error)) from prefetch.error
                import nbformat

                timings["cells"] = float(nb.metadata.get("papermill", {}).get("duration") or 0)
                start = time.perf_counter()
                try:   # the charts' SVG, left by the kernel to this process (blocks.vega)
                    if vega.draw_pending(nb):
                        nbformat.write(nb, executed)   # the kept notebook shows them too
                except Exception as exc:
                    kept = write.keep_failed(executed, failed_copy)
                    raise RenderError(_("cannot draw the charts: {error} (executed notebook kept "
                                        "at {failed})").format(error=exc, failed=kept)) from exc
                timings["charts"] = time.perf_counter() - start
                try:
                    outputs = stages_export.export_formats(
                        nb, wanted, stem, timings=timings,
                        on_start=lambda fmt: say(_("writing {format}").format(format=fmt.upper())))
                except NetworkOutputError as exc:
                    kept = write.keep_failed(executed, failed_copy)
                    raise NetworkOutputError(_("{exc} (executed notebook kept at {failed})").format(
                        exc=exc, failed=kept)) from exc
                staged = {"ipynb": executed, **write.stage(tmp, stem, outputs)}
                files = write.publish(staged, out)
        finally:
            if ending is not None:
                ending.join()
    return RenderResult(report=spec.name, params=values, files=files, timings=timings,
                        draft=stages_export.is_draft(nb))
