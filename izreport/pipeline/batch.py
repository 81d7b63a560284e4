"""Render several reports at once: one process per render, bounded by the cores.

Each job is a resolved :class:`~izreport.pipeline.request.RunRequest` (checked once, in
the parent, before the batch) and one call of :func:`izreport.pipeline.render.render_request` in a
worker process of a
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
process start-up to pay). Each report of a batch runs in a process of its own, forked
for it by the batch's report launcher (:mod:`izreport.pipeline.zygote`), which imported
IPython, pandas and altair once; the process ends with its report (nothing a notebook
defines reaches the next report). Where the launcher cannot run the notebook's kernel,
each worker keeps a :class:`~izreport.pipeline.kernels.KernelPool` instead: while a
report runs, the kernel of the next one starts; a kernel serves one report and is then
shut down. The workers' charts are drawn by one drawer in this process
(:mod:`izreport.pipeline.chartserver`). A single render starts its kernel itself.

Each finished job with a :class:`~izreport.pipeline.write.RunLog` is recorded in the run
log (and its fingerprint remembered) by :mod:`izreport.pipeline.write`, in the parent.
"""

from __future__ import annotations

import os
import queue
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from izreport.core.errors import IzReportError
from izreport.core.i18n import _
from izreport.pipeline.request import RunRequest
from izreport.pipeline.workers import context as workers_context
from izreport.pipeline.workers import default_workers
from izreport.pipeline.workers import start as start_workers
from izreport.pipeline.write import RunLog

#: What a worker sends back for a job: files and timings, or an error.
_Outcome = dict[str, Any]


@dataclass(frozen=True)
class Job:
    """One render: a resolved request (its data source included)."""

    request: RunRequest
    #: when given, the job's result goes to the output folder's run log
    log: RunLog | None = field(default=None, compare=False)

    @property
    def report(self) -> str:
        return self.request.report

    @property
    def label(self) -> str:
        """``half-year 2021-H1 Hòa Xá``: the report and its non-empty parameter values."""
        return self.request.label


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


# --------------------------------------------------------------------------- worker side

_events: Any = None  # the parent's queue, in a worker process
_pool: Any = None    # the worker's KernelPool, where the launcher cannot run the reports
_launcher: Any = None  # the batch's report launcher, attached by its address, in a worker


def _worker_pool() -> Any:
    """This worker's kernel pool; its unused kernels are shut down when the worker ends."""
    global _pool
    if _pool is None:
        from multiprocessing.util import Finalize

        from izreport.pipeline.kernels import KernelPool

        _pool = KernelPool()
        Finalize(_pool, _pool.close, exitpriority=10)
    return _pool


def _init_worker(events: Any, launcher: Any = None, charts: str | None = None) -> None:
    global _events, _launcher
    from izreport.pipeline.forking import forked
    from izreport.pipeline.lifeline import die_with_parent

    forked()            # the fork server imported without the cycle collector
    die_with_parent()   # with the fork server (or, started by spawn, with izreport)
    _events = events
    if launcher is not None:
        from izreport.pipeline.zygote import Zygote

        _launcher = Zygote.attach(*launcher)
    if charts is not None:   # the batch's one chart drawer (pipeline.chartserver)
        from izreport.blocks import vega
        from izreport.pipeline.chartserver import client

        vega.use_drawer(client(charts))


def _render_job(index: int, request: RunRequest, out_dir: str, formats: tuple[str, ...],
                say: Callable[[int, str], None] | None = None,
                own_cwd: bool = True, env: dict[str, str] | None = None,
                kernels: Any = None, warm_next: bool = False, launcher: Any = None
                ) -> _Outcome:
    """Run one render; never raises (the outcome carries the error).

    ``env``: the parent's environment now (a fork server's children would otherwise see
    the environment of when the server started). ``launcher``: the batch's report launcher
    (in a worker: the one it attached to); ``kernels``: the pool to take a kernel from
    where the launcher cannot run the report (in a worker: the worker's own);
    ``warm_next``: another report will follow in this process, warm its kernel now.
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
        from izreport.pipeline.render import render_request

        if _events is not None:   # a worker process
            launcher = _launcher
            if launcher is None or not launcher.alive:
                kernels = _worker_pool()
        result = render_request(request, out_dir, formats,
                                progress=lambda msg: tell(index, msg), kernels=kernels,
                                warm_next=warm_next, launcher=launcher)
        return {"files": {fmt: str(p) for fmt, p in result.files.items()},
                "timings": result.timings, "draft": result.draft,
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
              workers: int | None = None,
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
    count = workers if workers is not None else default_workers(len(jobs))
    count = max(1, min(count, len(jobs) or 1))
    if console is None:
        from rich.console import Console

        console = Console(stderr=True)
    display = _Display(jobs, wanted, console, console.is_terminal if show is None else show)
    results: list[JobResult | None] = [None] * len(jobs)

    def event(index: int, message: str) -> None:
        if message == "\0start" and on_start is not None:
            on_start(jobs[index])
        display.event(index, message)

    def finished(index: int, outcome: _Outcome) -> None:
        result = _result(jobs[index], outcome)
        results[index] = result
        log = jobs[index].log
        if log is not None:
            from izreport.pipeline.write import log_result

            log_result(out, result, log, wanted)
        display.finish(index, result)
        if on_result is not None:
            on_result(result)

    start = time.perf_counter()
    with display:
        runnable = list(enumerate(jobs))
        if count == 1 or len(runnable) <= 1:
            _in_this_process(runnable, out, wanted, event, finished)
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


def _result(job: Job, outcome: _Outcome) -> JobResult:
    return JobResult(
        job=job, ok="error" not in outcome, stem=job.request.stem,
        params=job.request.values,
        files={fmt: Path(p) for fmt, p in outcome.get("files", {}).items()},
        duration=float(outcome.get("duration", 0.0)), error=outcome.get("error"),
        timings=dict(outcome.get("timings", {})), draft=bool(outcome.get("draft")))


def _in_this_process(runnable: list[tuple[int, Job]], out: str, formats: tuple[str, ...],
                     event: Callable[[int, str], None],
                     finished: Callable[[int, _Outcome], None]) -> None:
    """The renders one after the other here: one job on a kernel of its own, several in
    processes a launcher forks (or, where it cannot, on kernels warmed ahead)."""
    from izreport.pipeline.kernels import KernelPool

    several = len(runnable) > 1
    launcher = _start_launcher(runnable) if several else None
    kernels = KernelPool() if several else None
    try:
        for n, (i, job) in enumerate(runnable):
            finished(i, _render_job(i, job.request, out, formats, say=event, own_cwd=False,
                                    kernels=kernels, launcher=launcher,
                                    warm_next=n + 1 < len(runnable)))
    finally:
        if kernels is not None:
            kernels.close()
        if launcher is not None:
            launcher.close()


def _in_processes(runnable: list[tuple[int, Job]], out: str,
                  formats: tuple[str, ...], workers: int, event: Callable[[int, str], None],
                  finished: Callable[[int, _Outcome], None]) -> None:
    from izreport.pipeline.chartserver import ChartServer

    context = workers_context()
    launcher = _start_launcher(runnable)   # imports while the fork server preloads
    try:
        charts: ChartServer | None = ChartServer().start()   # its engine starts meanwhile
    except OSError:    # no socket to be had: each worker draws its own charts, as before
        charts = None
    events = context.Queue()

    def drain() -> None:
        while True:
            try:
                index, message = events.get_nowait()
            except queue.Empty:
                return
            event(index, message)

    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_init_worker,
        initargs=(events, (launcher.address, launcher.key),
                  None if charts is None else charts.address))
    try:
        futures: dict[Future[_Outcome], int] = {
            # a worker takes about every workers-th job: where its reports run on kernels,
            # it warms one for its next report only while jobs remain for it
            pool.submit(_render_job, i, job.request, out, formats, env=_environment(),
                        warm_next=n + workers < len(runnable)): i
            for n, (i, job) in enumerate(runnable)}
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
        if charts is not None:
            charts.close()
        launcher.close()


def _start_launcher(runnable: list[tuple[int, Job]]) -> Any:
    """One report launcher for the workers, with the environment their reports will have
    (that of the first job: the workers use it for the jobs it fits); the one
    :func:`prestart` started if it is that one."""
    global _prestarted
    from izreport.pipeline.kernels import kernel_env
    from izreport.pipeline.zygote import Zygote

    _i, job = runnable[0]
    notebook = job.request.spec.path
    env = kernel_env(job.request.data, base=_environment())
    ready = _prestarted
    if ready is not None and ready.alive and ready.key == Zygote.key_for(notebook.parent, env):
        _prestarted = None
        return ready
    discard_prestarted()   # none, or one for other reports
    return _launcher(notebook, env)


def _launcher(notebook: Path, env: dict[str, str]) -> Any:
    """The report launcher for the notebook's reports (it checks that it can run their
    kernel's notebooks)."""
    from izreport.pipeline.kernels import kernel_name
    from izreport.pipeline.zygote import Zygote

    return Zygote.start(notebook.parent, env, kernel_name(notebook))


#: The report launcher :func:`prestart` started, until a batch takes it.
_prestarted: Any = None


def prestart(notebook: Path, data: Path | str | None) -> None:
    """Start a batch's helper processes now, while the caller resolves its requests.

    The fork server its workers come from imports the render stack, the report launcher
    imports the reports' libraries: each a second or so that then overlaps with the
    checks. :func:`run_batch` takes the launcher if its reports fit the first job (same
    notebook folder and data), else ends it; :func:`discard_prestarted` ends one no batch
    took.
    """
    global _prestarted
    from izreport.pipeline.kernels import kernel_env

    discard_prestarted()
    start_workers()
    _prestarted = _launcher(notebook, kernel_env(data, base=_environment()))


def discard_prestarted() -> None:
    """End the launcher :func:`prestart` started if no batch took it."""
    global _prestarted
    ready, _prestarted = _prestarted, None
    if ready is not None:
        ready.close(now=True)
