"""Render a report: check parameters, execute the notebook with papermill, export, publish.

Everything happens in one process (imports and exporters are paid for once), and the
exporters are imported on a background thread while the kernel runs. Files are written
into a temporary folder beside the output and moved into place only when every format
succeeded, so a failed run never replaces a good report; the executed notebook of a
failed run is kept under ``failed/`` for diagnosis.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from izreport.data import DATA_ENV
from izreport.errors import RenderError
from izreport.params import get_report, validate

FORMATS = ("html", "pdf")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class RenderResult:
    """What one render wrote, and how long each step took (seconds)."""

    report: str
    params: dict[str, Any]
    files: dict[str, Path]
    timings: dict[str, float] = field(default_factory=dict)


class _Prefetch(threading.Thread):
    """Import the exporters (nbconvert ~2 s, WeasyPrint) while the kernel computes."""

    def __init__(self) -> None:
        super().__init__(daemon=True, name="izreport-prefetch")
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            import weasyprint  # noqa: F401

            from izreport import export

            export.vega_bundle()
        except BaseException as exc:  # reported when the exporters are used
            self.error = exc


def render(report: str, params: Mapping[str, Any], out_dir: Path | str,
           formats: Iterable[str] = FORMATS, data_dir: Path | str | None = None,
           progress: Progress | None = None) -> RenderResult:
    """Render one report to ``out_dir``; returns the files written (.ipynb, .html, .pdf)."""
    say = progress or (lambda _msg: None)
    timings: dict[str, float] = {}
    wanted = _check_formats(formats)
    spec = get_report(report)
    data = Path(data_dir) if data_dir is not None else None
    values = validate(spec, dict(params), data)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = spec.stem(values)

    prefetch = _Prefetch()
    prefetch.start()
    with tempfile.TemporaryDirectory(dir=out, prefix=f".{stem}.") as tmp_name:
        tmp = Path(tmp_name)
        executed = tmp / f"{stem}.ipynb"
        say(f"executing {spec.notebook}")
        start = time.perf_counter()
        _execute(spec.path, executed, values, data, out / "failed" / f"{stem}.ipynb")
        timings["execute"] = time.perf_counter() - start

        prefetch.join()
        if prefetch.error is not None:
            raise RenderError(f"cannot load the exporters: {prefetch.error}") from prefetch.error
        import nbformat

        from izreport.export import ReportHTMLExporter, ReportPDFExporter

        nb = nbformat.read(executed, as_version=4)
        written = {"ipynb": executed}
        exporters = {"html": ReportHTMLExporter, "pdf": ReportPDFExporter}
        for fmt in wanted:
            say(f"writing {fmt.upper()}")
            start = time.perf_counter()
            body, _ = exporters[fmt]().from_notebook_node(nb)
            target = tmp / f"{stem}.{fmt}"
            if isinstance(body, str):
                target.write_text(body, encoding="utf-8")
            else:
                target.write_bytes(body)
            written[fmt] = target
            timings[fmt] = time.perf_counter() - start
        files = {fmt: _publish(path, out) for fmt, path in written.items()}
    return RenderResult(report=spec.name, params=values, files=files, timings=timings)


def _check_formats(formats: Iterable[str]) -> tuple[str, ...]:
    wanted = tuple(dict.fromkeys(f.strip().lower() for f in formats if f.strip()))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        from izreport.errors import ParameterError

        raise ParameterError(f"unknown output format(s) {', '.join(unknown) or '(none)'}; "
                             f"choose from {', '.join(FORMATS)}")
    return wanted


def _execute(notebook: Path, executed: Path, values: dict[str, Any], data: Path | None,
             failed_copy: Path) -> None:
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    env_backup = os.environ.get(DATA_ENV)
    if data is not None:
        os.environ[DATA_ENV] = str(data.resolve())  # the kernel inherits it
    try:
        pm.execute_notebook(str(notebook), str(executed), parameters=values,
                            progress_bar=False, log_output=False, report_mode=False,
                            cwd=str(notebook.parent))
    except PapermillExecutionError as exc:
        failed_copy.parent.mkdir(parents=True, exist_ok=True)
        if executed.exists():
            shutil.copyfile(executed, failed_copy)
        raise RenderError(
            f"{notebook.name} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue} "
            f"(executed notebook kept at {failed_copy})") from exc
    finally:
        if data is not None:
            if env_backup is None:
                os.environ.pop(DATA_ENV, None)
            else:
                os.environ[DATA_ENV] = env_backup


def _publish(path: Path, out: Path) -> Path:
    """Move a finished file into the output folder in one atomic step."""
    target = out / path.name
    os.replace(path, target)
    return target
