"""Render several reports at once: one process per render, bounded by the cores.

Each job is one call of :func:`izreport.pipeline.render.render` in a worker process of a
``ProcessPoolExecutor``. Workers are never forked from this process (a render starts a
kernel and threads): they come from a ``forkserver`` that imported the render stack once
(papermill, nbconvert, WeasyPrint), so each worker starts warm; where there is no fork
server, or with ``IZREPORT_BATCH_START=spawn``, they are spawned. Every job runs in a
scratch working directory of its own, with the parent's current environment.

A failing job does not stop the others: the batch returns one :class:`JobResult` per job
(ok or the error, files, duration), in the order the jobs were given, and calls
``on_result`` in the parent as each one finishes (the CLI prints and logs there). A failed
render keeps its executed notebook under ``OUT/failed/`` (as a single render does). On a
terminal a Rich display shows one line per job (its current step) and an overall bar;
elsewhere the batch is silent.

With one job, or one worker, the renders run in this process one after the other (no
process start-up to pay), which is also the sequential baseline of
``benchmarks/bench_batch.py``.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from izreport.core.errors import IzReportError
from izreport.core.i18n import _

#: What a worker sends back for a job: files, timings and checked parameters, or an error.
_Outcome = dict[str, Any]


@dataclass(frozen=True)
class Job:
    """One render: a report and its parameters; ``data_dir`` overrides the batch's folder."""

    report: str
    params: Mapping[str, Any]
    data_dir: Path | None = None

    @property
    def label(self) -> str:
        """``half-year 2021-H1 Hòa Xá``: the report and its non-empty parameter values."""
        values = [str(v) for v in self.params.values() if v not in (None, "", False)]
        return " ".join([self.report, *values])


@dataclass(frozen=True)
class JobResult:
    """How one job ended. ``duration`` is the render's own time, in seconds."""

    job: Job
    ok: bool
    stem: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    duration: float = 0.0
    error: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    draft: bool = False  # the report carries DỰ THẢO


@dataclass(frozen=True)
class BatchSummary:
    """All the jobs' results, in the order the jobs were given, and the wall time."""

    results: tuple[JobResult, ...]
    wall: float
    workers: int

    @property
    def ok(self) -> tuple[JobResult, ...]:
        return tuple(r for r in self.results if r.ok)

    @property
    def failed(self) -> tuple[JobResult, ...]:
        return tuple(r for r in self.results if not r.ok)


def default_workers(jobs: int) -> int:
    """As many workers as jobs, at most one per core available to this process."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(jobs, cores, os.cpu_count() or cores))


# --------------------------------------------------------------------------- worker side

_events: Any = None  # the parent's queue, in a worker process


def _init_worker(events: Any) -> None:
    global _events
    from izreport.pipeline.lifeline import die_with_parent

    die_with_parent()   # with the fork server (or, started by spawn, with izreport)
    _events = events


def _render_job(index: int, report: str, params: dict[str, Any], out_dir: str,
                formats: tuple[str, ...], data_dir: str | None,
                say: Callable[[int, str], None] | None = None,
                own_cwd: bool = True, env: dict[str, str] | None = None) -> _Outcome:
    """Run one render; never raises (the outcome carries the error).

    ``env``: the parent's environment now (a fork server's children would otherwise see
    the environment of when the server started).
    """
    if env is not None:
        os.environ.clear()
        os.environ.update(env)
    if say is None and _events is not None:
        say = lambda i, msg: _events.put_nowait((i, msg))  # noqa: E731
    tell = say or (lambda _i, _msg: None)
    tell(index, "\0start")
    previous = os.getcwd() if own_cwd else None
    work = tempfile.mkdtemp(prefix="izreport-job-") if own_cwd else None
    start = time.perf_counter()
    try:
        if work is not None:
            os.chdir(work)
        from izreport.pipeline.render import render

        result = render(report, params, out_dir, formats, data_dir,
                        progress=lambda msg: tell(index, msg))
        return {"files": {fmt: str(p) for fmt, p in result.files.items()},
                "timings": result.timings, "params": result.params, "draft": result.draft,
                "duration": time.perf_counter() - start}
    except IzReportError as exc:
        return {"error": str(exc), "duration": time.perf_counter() - start}
    except Exception as exc:  # a bug or an unexpected library error: still one line
        return {"error": f"{type(exc).__name__}: {exc}",
                "duration": time.perf_counter() - start}
    finally:
        if previous is not None:
            os.chdir(previous)
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)


# --------------------------------------------------------------------------- display


class _Display:
    """One line per job (its current step) and an overall bar; nothing when not shown."""

    def __init__(self, jobs: Sequence[Job], formats: tuple[str, ...], console: Any,
                 show: bool) -> None:
        self.progress = None
        if not show:
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                 BarColumn(bar_width=24), MofNCompleteColumn(),
                                 TextColumn("{task.fields[step]}"), TimeElapsedColumn(),
                                 console=console)
        self.steps = 1 + len(formats)
        everything = _markup(_("all reports"))
        self.total = self.progress.add_task(f"[bold]{everything}",
                                            total=len(jobs), step="",
                                            visible=len(jobs) > 1)
        self.tasks = [self.progress.add_task(_markup(job.label), total=self.steps,
                                             step=_("queued"), start=False) for job in jobs]
        self.done: set[int] = set()

    def __enter__(self) -> _Display:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def event(self, index: int, message: str) -> None:
        if self.progress is None or index in self.done:
            return
        task = self.tasks[index]
        if message == "\0start":
            self.progress.start_task(task)
            self.progress.update(task, step=_("starting"))
            return
        executing = _("executing {notebook}").partition("{")[0]
        completed = 0 if message.startswith(executing) else None
        if completed is None:
            current = self.progress.tasks[task].completed
            completed = min(current + 1, self.steps - 1)
        self.progress.update(task, completed=completed, step=_markup(message))

    def finish(self, index: int, result: JobResult) -> None:
        if self.progress is None:
            return
        self.done.add(index)
        task = self.tasks[index]
        self.progress.start_task(task)
        ok, failed = _("ok"), _("failed")
        step = (f"[green]{ok}[/] {result.duration:.1f} s" if result.ok
                else f"[bold red]{failed}[/]")
        self.progress.update(task, completed=self.steps, step=step)
        self.progress.stop_task(task)
        self.progress.advance(self.total)


def _markup(text: str) -> str:
    from rich.markup import escape

    return escape(text)


# --------------------------------------------------------------------------- batch


def run_batch(jobs: Iterable[Job], out_dir: Path | str, formats: Iterable[str] = ("html", "pdf"),
              data_dir: Path | str | None = None, workers: int | None = None,
              on_result: Callable[[JobResult], None] | None = None,
              console: Any = None, show: bool | None = None,
              on_start: Callable[[Job], None] | None = None) -> BatchSummary:
    """Render every job; returns when all have finished, whatever each one's outcome.

    ``workers`` defaults to :func:`default_workers`; ``show`` defaults to whether
    ``console`` (default: a Rich console on stderr) is a terminal. ``on_start`` hears
    when a job's process starts it (a log line where there is no live display).
    """
    jobs = list(jobs)
    wanted = tuple(f.strip().lower() for f in formats if f.strip())
    out = str(Path(out_dir).resolve())
    base = str(Path(data_dir).resolve()) if data_dir is not None else None
    count = workers if workers is not None else default_workers(len(jobs))
    count = max(1, min(count, len(jobs) or 1))
    if console is None:
        from rich.console import Console

        console = Console(stderr=True)
    display = _Display(jobs, wanted, console, console.is_terminal if show is None else show)
    results: list[JobResult | None] = [None] * len(jobs)
    checked = [_check(job, base) for job in jobs]

    def event(index: int, message: str) -> None:
        if message == "\0start" and on_start is not None:
            on_start(jobs[index])
        display.event(index, message)

    def finished(index: int, outcome: _Outcome) -> None:
        result = _result(jobs[index], checked[index], outcome)
        results[index] = result
        display.finish(index, result)
        if on_result is not None:
            on_result(result)

    start = time.perf_counter()
    with display:
        runnable = []
        for i, (job, check) in enumerate(zip(jobs, checked, strict=True)):
            if "error" in check:  # bad parameters: fails without a process
                finished(i, {"error": check["error"], "duration": 0.0})
            else:
                runnable.append((i, job, check))
        if count == 1 or len(runnable) <= 1:
            for i, job, check in runnable:
                finished(i, _render_job(i, job.report, check["params"], out, wanted,
                                        check["data"], say=event, own_cwd=False))
        else:
            _in_processes(runnable, out, wanted, count, event, finished)
    done = tuple(r for r in results if r is not None)
    return BatchSummary(done, time.perf_counter() - start, count)


#: Folders named by the environment; made absolute, as workers run in folders of their own.
_PATH_VARIABLES = ("IZREPORT_DATA", "IZREPORT_TEXTS", "IZREPORT_CONFIG")


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    for name in _PATH_VARIABLES:
        if env.get(name):
            env[name] = str(Path(env[name]).absolute())
    return env


def _check(job: Job, base: str | None) -> dict[str, Any]:
    """Parameters checked in the parent (typed, picklable) and the job's stem."""
    from izreport.pipeline.params import get_report, validate

    data = str(Path(job.data_dir).resolve()) if job.data_dir is not None else base
    try:
        spec = get_report(job.report)
        values = validate(spec, dict(job.params), Path(data) if data else None)
    except IzReportError as exc:
        return {"error": str(exc), "data": data}
    return {"params": values, "stem": spec.stem(values), "data": data}


def _result(job: Job, check: dict[str, Any], outcome: _Outcome) -> JobResult:
    return JobResult(
        job=job, ok="error" not in outcome, stem=check.get("stem"),
        params=dict(outcome.get("params") or check.get("params") or {}),
        files={fmt: Path(p) for fmt, p in outcome.get("files", {}).items()},
        duration=float(outcome.get("duration", 0.0)), error=outcome.get("error"),
        timings=dict(outcome.get("timings", {})), draft=bool(outcome.get("draft")))


#: Imported once in the fork server, so that each worker starts with them loaded.
_PRELOAD = ["izreport.pipeline.lifeline", "izreport.pipeline.render", "papermill", "nbformat",
            "jupyter_client", "nbconvert", "weasyprint", "izreport.formats.export"]


def _context() -> Any:
    from izreport.pipeline.lifeline import arm_children

    arm_children()   # the fork server, started now or later from here, dies with us
    if os.environ.get("IZREPORT_BATCH_START") != "spawn" and \
            "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(_PRELOAD)
        return context
    return multiprocessing.get_context("spawn")


def _in_processes(runnable: list[tuple[int, Job, dict[str, Any]]], out: str,
                  formats: tuple[str, ...], workers: int, event: Callable[[int, str], None],
                  finished: Callable[[int, _Outcome], None]) -> None:
    context = _context()
    events = context.Queue()

    def drain() -> None:
        while True:
            try:
                index, message = events.get_nowait()
            except queue.Empty:
                return
            event(index, message)

    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context,
                               initializer=_init_worker, initargs=(events,))
    try:
        futures: dict[Future[_Outcome], int] = {
            pool.submit(_render_job, i, job.report, check["params"], out, formats,
                        check["data"], env=_environment()): i
            for i, job, check in runnable}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            drain()
            for future in done:
                try:
                    outcome = future.result()
                except Exception as exc:  # the worker process died (BrokenProcessPool)
                    outcome = {"error": _("worker process failed: {kind}: {error}").format(
                        kind=type(exc).__name__, error=exc)}
                finished(futures[future], outcome)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        events.close()
        events.join_thread()
