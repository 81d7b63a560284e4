"""Warm reports: a batch runs each report in a process forked for it from a launcher that
imported the report's libraries; where it cannot, on kernels warmed ahead; each process
or kernel serves one report only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest

from izreport.pipeline import kernels as kernels_module
from izreport.pipeline.batch import Job, run_batch
from izreport.pipeline.kernels import KernelPool
from izreport.pipeline.params import NOTEBOOKS_ENV
from izreport.pipeline.request import resolve
from tests.conftest import DATA

#: the wording checked here is the English msgid (Vietnamese: test_i18n)
pytestmark = pytest.mark.usefixtures("english")


def _report(folder: Path, name: str, code: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["izreport"] = {"report": name, "title": name, "parameters": {}}
    nb.cells = [nbformat.v4.new_code_cell("", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(code)]
    nbformat.write(nb, folder / f"{name}.ipynb")


#: what a report's process knows when its first cell runs: its pid, whether the report's
#: libraries were imported before, whether the report launcher forked it, whether an
#: earlier report's global is there, whether it keeps an input history, whether it
#: has the store's SQLAlchemy loaded, and its cycle collector's state (on; how many
#: objects it leaves alone, frozen)
_PROBE = ("import gc, json, os, sys\n"
          "with open(f'/proc/{os.getppid()}/cmdline', 'rb') as f: parent = f.read()\n"
          "print(json.dumps({'pid': os.getpid(), 'parent': os.getppid(),\n"
          "                  'warm': 'altair' in sys.modules,\n"
          "                  'forked': b'izreport.pipeline.zygote' in parent,\n"
          "                  'seen': globals().get('LEFT_BY_AN_EARLIER_REPORT'),\n"
          "                  'history': get_ipython().history_manager.enabled,\n"
          "                  'store': 'sqlalchemy' in sys.modules,\n"
          "                  'gc': [gc.isenabled(), gc.get_freeze_count()]}))")


@pytest.fixture
def notebooks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    _report(folder, "sets", "LEFT_BY_AN_EARLIER_REPORT = 42\n" + _PROBE)
    _report(folder, "reads", _PROBE)
    _report(folder, "reads-too", _PROBE)
    monkeypatch.setenv(NOTEBOOKS_ENV, str(folder))
    return folder


def _job(name: str) -> Job:
    return Job(resolve(name, {}, DATA))


def _probe(executed: Path) -> dict[str, object]:
    nb = nbformat.read(executed, as_version=4)
    (output,) = nb.cells[-1].outputs
    return json.loads(output["text"])  # type: ignore[no-any-return]


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[kernels_module.WarmKernel]:
    """Every kernel a pool starts, in order."""
    kernels: list[kernels_module.WarmKernel] = []
    real_start = KernelPool._start

    def start(self: KernelPool, notebook: Path, data: Path | None
              ) -> kernels_module.WarmKernel:
        kernels.append(real_start(self, notebook, data))
        return kernels[-1]

    monkeypatch.setattr(KernelPool, "_start", start)
    return kernels


def test_a_global_set_by_one_report_is_not_seen_by_the_next(
        notebooks: Path, tmp_path: Path, started: list[kernels_module.WarmKernel]) -> None:
    out = tmp_path / "out"
    jobs = [_job("sets"), _job("reads"), _job("reads-too")]
    summary = run_batch(jobs, out, formats=["html"], workers=1, show=False)
    assert [r.ok for r in summary.results] == [True] * 3, [r.error for r in summary.results]
    first, second, third = (_probe(r.files["ipynb"]) for r in summary.results)
    assert first["seen"] == 42                          # the global was set ...
    assert second["seen"] is None and third["seen"] is None   # ... and did not leak
    assert len({first["pid"], second["pid"], third["pid"]}) == 3  # one process per report
    # each report ran in a process the launcher forked, with the report's libraries
    # imported before it asked, and no kernel was started at all
    assert all(p["warm"] and p["forked"] for p in (first, second, third))
    assert not any(p["history"] for p in (first, second, third))   # no history written
    assert started == []


def test_where_the_launcher_refuses_the_reports_run_on_kernels_warmed_ahead(
        notebooks: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        started: list[kernels_module.WarmKernel]) -> None:
    """A notebook of a kernel that is not this Python's ipykernel (here: this Python
    behind a wrapper script) is not run by the launcher: each report gets a kernel."""
    import os
    import stat
    import sys

    wrapper = tmp_path / "other-python"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    spec = tmp_path / "jupyter" / "kernels" / "other"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(wrapper), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Other", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", os.pathsep.join(
        [str(tmp_path / "jupyter"), os.environ.get("JUPYTER_PATH", "")]))
    for name in ("sets", "reads", "reads-too"):
        nb = nbformat.read(notebooks / f"{name}.ipynb", as_version=4)
        nb.metadata["kernelspec"]["name"] = "other"
        nbformat.write(nb, notebooks / f"{name}.ipynb")
    jobs = [_job("sets"), _job("reads"), _job("reads-too")]
    summary = run_batch(jobs, tmp_path / "out", formats=["html"], workers=1, show=False)
    assert [r.ok for r in summary.results] == [True] * 3, [r.error for r in summary.results]
    probes = [_probe(r.files["ipynb"]) for r in summary.results]
    assert not any(p["forked"] for p in probes)              # kernels, not the launcher
    assert probes[1]["seen"] is None and probes[2]["seen"] is None
    assert len(started) == 3 and probes[2]["warm"]           # the last one warmed ahead
    assert all(not k.km.has_kernel for k in started)         # every kernel shut down


def test_a_kernel_warmed_for_another_environment_is_not_handed_out(
        notebooks: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pool = KernelPool()
    notebook = notebooks / "reads.ipynb"
    try:
        pool.prepare(notebook, DATA)
        monkeypatch.setenv("IZREPORT_POOL_TEST", "other")   # the environment changed
        kernel = pool.take(notebook, DATA)
        try:
            assert pool.taken_warm == 0 and pool.started == 2
            assert kernel.env["IZREPORT_POOL_TEST"] == "other"
        finally:
            kernel.shutdown()
    finally:
        pool.close()


def test_reports_run_by_the_launcher_fail_fast_when_they_die_or_loop(
        notebooks: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from izreport.core.config import CELL_TIMEOUT_ENV, REPORT_TIMEOUT_ENV

    _report(notebooks, "dies", "import os\nos._exit(1)")
    _report(notebooks, "loops", "while True:\n    pass")
    monkeypatch.setenv(CELL_TIMEOUT_ENV, "2")
    monkeypatch.setenv(REPORT_TIMEOUT_ENV, "")
    out = tmp_path / "out"
    jobs = [_job("reads"), _job("dies"), _job("loops"), _job("reads-too")]
    summary = run_batch(jobs, out, formats=["html"], workers=1, show=False)
    reads, dies, loops, reads_too = summary.results
    assert reads.ok and reads_too.ok
    assert not dies.ok and "the kernel died" in str(dies.error)
    assert not loops.ok and "a cell ran over 2 seconds" in str(loops.error)
    assert (out / "failed" / "dies.ipynb").is_file() and (out / "failed" / "loops.ipynb").is_file()
    # the reports around them ran in processes the launcher forked, one each
    probes = [_probe(r.files["ipynb"]) for r in (reads, reads_too)]
    assert all(p["forked"] for p in probes) and probes[0]["pid"] != probes[1]["pid"]


def test_the_workers_of_a_batch_run_their_reports_from_one_launcher(
        notebooks: Path, tmp_path: Path) -> None:
    for name in ("reads-3", "reads-4"):
        _report(notebooks, name, _PROBE)
    names = ["reads", "reads-too", "reads-3", "reads-4"]
    summary = run_batch([_job(name) for name in names], tmp_path / "out", formats=["html"],
                        workers=2, show=False)
    assert all(r.ok for r in summary.results), [r.error for r in summary.results]
    probes = [_probe(r.files["ipynb"]) for r in summary.results]
    assert all(p["forked"] for p in probes)
    assert not any(p["store"] for p in probes)      # the sample is CSV files: no SQLAlchemy
    assert len({p["pid"] for p in probes}) == 4              # one process per report
    assert len({p["parent"] for p in probes}) == 1           # all from the batch's launcher
    # the launcher imported without the collector; each report's process collects, but
    # never walks the objects of those imports (frozen when forked)
    assert all(p["gc"][0] and p["gc"][1] > 100_000 for p in probes), probes


def _collector() -> tuple[bool, int, bool]:
    import gc
    import sys

    return gc.isenabled(), gc.get_freeze_count(), "weasyprint" in sys.modules


def test_batch_workers_collect_but_leave_the_fork_servers_imports_alone() -> None:
    from concurrent.futures import ProcessPoolExecutor

    from izreport.pipeline import batch, workers

    context = workers.context()
    if context.get_start_method() != "forkserver":
        pytest.skip("no fork server on this system: workers are spawned")
    with ProcessPoolExecutor(1, mp_context=context, initializer=batch._init_worker,
                             initargs=(None,)) as pool:
        enabled, frozen, preloaded = pool.submit(_collector).result(timeout=120)
    assert enabled and preloaded
    assert frozen > 100_000   # the render stack the fork server imported


@pytest.fixture
def launchers(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every report launcher started, in order."""
    from izreport.pipeline.zygote import Zygote

    started: list[Any] = []
    real = Zygote.start.__func__  # type: ignore[attr-defined]

    def spy(cls: type[Zygote], cwd: Path, env: dict[str, str], *rest: Any) -> Zygote:
        started.append(real(cls, cwd, env, *rest))
        return started[-1]

    monkeypatch.setattr(Zygote, "start", classmethod(spy))
    return started


def test_a_batch_takes_the_launcher_started_while_its_requests_were_checked(
        notebooks: Path, tmp_path: Path, launchers: list[Any]) -> None:
    from izreport.pipeline import batch

    batch.prestart(notebooks / "reads.ipynb", DATA)
    assert len(launchers) == 1
    summary = run_batch([_job("reads"), _job("reads-too")], tmp_path / "out",
                        formats=["html"], workers=2, show=False)
    assert all(r.ok for r in summary.results), [r.error for r in summary.results]
    assert len(launchers) == 1                               # none started after
    parents = {_probe(r.files["ipynb"])["parent"] for r in summary.results}
    assert parents == {launchers[0].process.pid}
    assert launchers[0].process.poll() is not None           # ended with the batch


def test_a_launcher_for_other_data_or_no_batch_is_ended_unused(
        notebooks: Path, tmp_path: Path, launchers: list[Any]) -> None:
    from izreport.pipeline import batch

    other = tmp_path / "other-data"
    other.mkdir()
    batch.prestart(notebooks / "reads.ipynb", other)       # kernels for another folder
    summary = run_batch([_job("reads"), _job("reads-too")], tmp_path / "out",
                        formats=["html"], workers=2, show=False)
    assert all(r.ok for r in summary.results), [r.error for r in summary.results]
    assert len(launchers) == 2 and launchers[0].process.poll() is not None
    parents = {_probe(r.files["ipynb"])["parent"] for r in summary.results}
    assert parents == {launchers[1].process.pid}
    batch.prestart(notebooks / "reads.ipynb", DATA)        # then the checks fail: no batch
    batch.discard_prestarted()
    assert len(launchers) == 3 and launchers[2].process.poll() is not None


def test_a_launcher_for_a_kernel_it_cannot_run_imports_nothing_and_refuses_at_once(
        tmp_path: Path) -> None:
    import os
    import time

    from izreport.core.config import RenderLimits
    from izreport.pipeline.zygote import Zygote, ZygoteError

    launcher = Zygote.start(tmp_path, dict(os.environ), "no-such-kernel")
    try:
        start = time.monotonic()
        with pytest.raises(ZygoteError, match="'no'"):
            launcher.run(tmp_path / "x.ipynb", tmp_path / "y.ipynb", {}, "no-such-kernel",
                         RenderLimits())
        assert time.monotonic() - start < 20       # an answer, not a wait for a timeout
        assert launcher.process is not None and launcher.process.poll() is None
        assert not launcher.alive                  # its owner asks it no more
    finally:
        launcher.close()
    assert launcher.process.poll() is not None


#: Runs the command line, then writes which of the kernels' libraries its process imported.
_PARENT = ("import atexit, json, os, sys\n"
           "def left():\n"
           "    names = ('jupyter_client', 'ipykernel', 'zmq', 'pandas', 'altair')\n"
           "    with open(os.environ['PROBE_OUT'], 'w') as f:\n"
           "        json.dump([n for n in names if n in sys.modules], f)\n"
           "atexit.register(left)\n"
           "sys.argv = ['izreport', *sys.argv[1:]]\n"
           "from izreport.commands.cli import main\n"
           "main()\n")


def test_a_batchs_own_process_imports_none_of_the_kernels_libraries(tmp_path: Path) -> None:
    """Its launcher checks the kernel and its workers drive the kernels: the process that
    started them needs neither jupyter_client nor the report's libraries."""
    import os
    import subprocess
    import sys

    probe = tmp_path / "imported.json"
    done = subprocess.run(
        [sys.executable, "-c", _PARENT, "render", "half-year", "--period", "2021-H1",
         "--all-zones", "--jobs", "2", "--to", "html", "--out", str(tmp_path / "out"),
         "--data", str(DATA)],
        env=dict(os.environ, PROBE_OUT=str(probe)), capture_output=True, text=True,
        timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(list((tmp_path / "out").glob("half-year_2021-H1*.html"))) > 1
    assert json.loads(probe.read_text()) == []


def test_a_kernel_is_driven_by_the_quick_client_and_outputs_stay_the_reports_own(
        notebooks: Path, tmp_path: Path) -> None:
    """The kernels' client does not wait for IOPub to fall silent once the kernel answered;
    what it leaves unread (the status of its own request) never reaches a report: the
    outputs papermill collects are the cells' only, in order."""
    from jupyter_client.utils import run_sync

    from izreport.pipeline.kernel_client import ReadyClient

    kernel = kernels_module.start_kernel(notebooks / "reads.ipynb", DATA)
    try:
        km = kernel.manager()
        assert km is not None and isinstance(km.client(), ReadyClient)
        kc = km.client()
        kc.start_channels()
        try:
            for attempt in range(3):   # ready again and again: each time answered at once
                run_sync(kc.wait_for_ready)(timeout=60)
                seen: list[str] = []

                def hook(msg: dict[str, Any], seen: list[str] = seen) -> None:
                    if msg["msg_type"] == "stream":
                        seen.append(msg["content"]["text"])

                run_sync(kc.execute_interactive)(f"print({attempt} * 7)", timeout=60,
                                                 output_hook=hook)
                assert seen == [f"{attempt * 7}\n"]
        finally:
            kc.stop_channels()
    finally:
        kernel.shutdown()


def test_a_single_render_starts_its_own_kernel_without_history(
        notebooks: Path, tmp_path: Path) -> None:
    from izreport.pipeline.render import render_request

    result = render_request(resolve("reads", {}, DATA), tmp_path / "out", ["html"])
    probe = _probe(result.files["ipynb"])
    assert not probe["forked"] and probe["warm"]     # the cold path, warmed while it started
    assert probe["history"] is False


#: In a fresh interpreter: the launcher's imports, then a report's run (what a forked
#: process does); writes the modules the run still imported.
_RUN_IMPORTS = """
import importlib, json, sys
import papermill as pm
from izreport.pipeline.zygote import PRELOAD
from izreport.pipeline.shell_engine import engine
for name in PRELOAD:
    importlib.import_module(name)
name = engine()
before = set(sys.modules)
pm.execute_notebook(sys.argv[2], sys.argv[3], parameters={"x": 2}, engine_name=name,
                    progress_bar=False, kernel_name="python3",
                    request_save_on_cell_execute=False)
with open(sys.argv[1], "w") as found:
    json.dump(sorted(set(sys.modules) - before), found)
"""


def test_a_reports_process_finds_what_it_imports_at_start_already_imported(
        notebooks: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    _report(notebooks, "small", "import pandas as pd\npd.DataFrame({'a': [x]})")
    found = tmp_path / "imported.json"
    done = subprocess.run([sys.executable, "-c", _RUN_IMPORTS, str(found),
                           str(notebooks / "small.ipynb"), str(tmp_path / "ran.ipynb")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    modules = json.loads(found.read_text())
    # none of the packages whose import made the start slow, and next to nothing else
    # (with these pins: nothing at all)
    slow = {"ipykernel", "debugpy", "jedi", "pandas", "altair", "izreport", "pdb", "IPython",
            "papermill", "nbclient", "jupyter_client", "zmq"}
    assert not {m.split(".")[0] for m in modules} & slow, modules
    assert len(modules) <= 3, modules
    ran = nbformat.read(tmp_path / "ran.ipynb", as_version=4)
    assert "<table" in ran.cells[-1].outputs[0]["data"]["text/html"]


def test_kernels_load_the_stores_library_ahead_only_where_they_read_a_store(
        tmp_path: Path) -> None:
    from izreport.pipeline.kernels import WARM_UP, kernel_env, warm_up_code
    from izreport.storage.data import STORE_MODULE, reads_store
    from tests.conftest import sqlite_store

    store = sqlite_store(tmp_path / "store")
    cases = {DATA: False, store: True, "postgresql://u@h/db": True}
    for source, expected in cases.items():
        env = kernel_env(source, base={})
        assert reads_store(env) is expected, source
        code = warm_up_code(env)
        assert code.startswith(WARM_UP) and (f"import {STORE_MODULE}" in code) is expected
    assert reads_store({}) is True           # the configured default: taken to be a store


def test_the_report_launcher_says_nothing_on_the_terminal(
        notebooks: Path, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from izreport.core.config import RenderLimits
    from izreport.pipeline.kernels import kernel_env
    from izreport.pipeline.zygote import Zygote

    address = str(tmp_path / "launcher")
    env = Zygote.environment(kernel_env(DATA))
    launcher = subprocess.Popen(
        [sys.executable, "-m", "izreport.pipeline.zygote", address], cwd=str(notebooks),
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    try:
        zygote = Zygote.attach(address, ())
        outcome = zygote.run(notebooks / "reads.ipynb", tmp_path / "ran.ipynb", {}, "python3",
                             RenderLimits(60, 120))   # after its imports
        assert outcome.status == "ok", outcome
    finally:
        out, err = launcher.communicate(timeout=30)   # closes its stdin: it ends
    assert launcher.returncode == 0
    assert (out, err) == ("", ""), err
    assert _probe(tmp_path / "ran.ipynb")["forked"]
    assert os.path.getsize(tmp_path / "ran.ipynb") > 0


def test_a_run_that_no_timer_can_stop_is_killed_after_its_reports_time(
        notebooks: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cell that blocks the timer's signal is not stopped by the run itself: the process
    that asked for the run kills it, and everything it started, once the report's time and
    the grace are over."""
    import time

    from izreport.core.config import RenderLimits
    from izreport.pipeline import zygote
    from izreport.pipeline.kernels import kernel_env

    _report(notebooks, "stuck", "import os, signal, subprocess, sys\n"
            "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})\n"
            "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
            "open(os.environ['STUCK_PIDS'], 'w').write(f'{os.getpid()} {child.pid}')\n"
            "while True:\n    pass")
    pids = tmp_path / "pids"
    env = dict(kernel_env(DATA), STUCK_PIDS=str(pids))
    monkeypatch.setattr(zygote, "GRACE", 1.0)
    launcher = zygote.Zygote.start(notebooks, env)
    try:
        start = time.monotonic()
        outcome = launcher.run(notebooks / "stuck.ipynb", tmp_path / "ran.ipynb", {},
                               "python3", RenderLimits(2, 2))
        assert outcome == zygote.Outcome("timeout", timeout="report")
        assert time.monotonic() - start < 30
    finally:
        launcher.close()
    run, child = (int(p) for p in pids.read_text().split())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_running(p) for p in (run, child)):
        time.sleep(0.1)
    assert not _running(run) and not _running(child)
    assert nbformat.read(tmp_path / "ran.ipynb", as_version=4).cells   # the kept notebook


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False
