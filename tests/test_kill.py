"""A killed ``run-due`` takes every process it started with it (workers, fork server, report
launcher, the reports' processes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]


def _alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    living = []
    for proc in processes:
        try:
            if proc.status() != psutil.STATUS_ZOMBIE:
                living.append(proc)
        except psutil.NoSuchProcess:
            pass
    return living


def test_a_killed_run_due_leaves_no_process_after_5_seconds(data_copy: Path,
                                                             tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.Popen(
        [sys.executable, "-c", "from izreport.commands.cli import main; main()", "run-due",
         "--date",
         "2021-07-05", "--all-zones", "--jobs", "2", "--out", str(out), "--data",
         str(data_copy)], env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    parent = psutil.Process(run.pid)
    # wait (a correctness bound, not a speed one) until both workers run their reports
    deadline = time.monotonic() + 180
    children: list[psutil.Process] = []
    while time.monotonic() < deadline and run.poll() is None:
        children = parent.children(recursive=True)
        running = [c for c in children if _runs_a_report(c)]
        if len(running) >= 2:
            break
        time.sleep(0.2)
    assert run.poll() is None, "run-due ended before it could be killed"
    children = parent.children(recursive=True)
    # fork server, two workers, the report launcher, two reports' processes (and more)
    assert len(children) >= 5
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    killed_at = time.monotonic()
    while _alive(children) and time.monotonic() < killed_at + 5:
        time.sleep(0.1)
    left = _alive(children)
    for proc in left:                  # do not leave them to the next tests
        proc.kill()
    assert not left, [(p.pid, _cmdline(p)) for p in left]


def _runs_a_report(proc: psutil.Process) -> bool:
    """An ipykernel process, or a report's process forked by the report launcher (its
    child)."""
    if "ipykernel" in " ".join(_cmdline(proc)):
        return True
    try:
        parent = proc.parent()
    except psutil.NoSuchProcess:
        return False
    return parent is not None and ZYGOTE in _cmdline(parent) and ZYGOTE in _cmdline(proc)


ZYGOTE = "izreport.pipeline.zygote"


def _cmdline(proc: psutil.Process) -> list[str]:
    try:
        return proc.cmdline()
    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
        return []
