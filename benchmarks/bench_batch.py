"""Batch benchmark: every report of one period, forked warm, against one process each.

    make bench                     # or: .venv/bin/python benchmarks/bench_batch.py --runs 5

The reports are the province and each zone operating in 2021-H1, HTML + PDF:

- ``cold``: one ``izreport render half-year --period 2021-H1 [--zone Z]`` process per
  report, one after the other (each pays its process start, its imports and its kernel);
- ``batch``: ``izreport render half-year --period 2021-H1 --all-zones``: one worker per
  core; each report's notebook runs in a process forked for it from the batch's launcher,
  which imported the report's libraries once (``izreport.pipeline.zygote``);
- ``batch-1``: the same with ``--jobs 1``: the renders one after the other in one process.

All are measured in the same run, interleaved (the order turns from run to run), and
reported as medians and as ratios against ``cold``, with the CPU time each case cost the
whole machine (its processes and theirs; read from ``/proc/stat``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PERIOD = "2021-H1"


def _run(command: list[str], work: Path) -> int:
    done = subprocess.run(command, cwd=work, capture_output=True, text=True,
                          env=dict(os.environ, IZREPORT_DATA=str(ROOT / "data")))
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stderr[-2000:]}")
    return len(done.stdout.splitlines())


def _render(*extra: str) -> list[str]:
    return [str(BIN / "izreport"), "render", "half-year", "--period", PERIOD,
            "--to", "html,pdf", *extra]


def _busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy so far (Linux /proc/stat): what a case
    costs in CPU, whichever processes it starts (the machine is otherwise idle)."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    busy = sum(fields[:8]) - fields[3] - fields[4]   # all but idle and iowait
    return busy / os.sysconf("SC_CLK_TCK")


def zones() -> list[str]:
    """The zones operating in the period, as ``--all-zones`` renders them."""
    from izreport.pipeline.request import resolve_zones

    requests = resolve_zones("half-year", {"period": PERIOD}, ROOT / "data")
    return [str(r.zone_id) for r in requests if r.zone_id]


def cases(names: list[str]) -> dict[str, Callable[[Path], int]]:
    def cold(work: Path) -> int:
        files = _run(_render("--out", str(work)), work)
        for zone in names:
            files += _run(_render("--zone", zone, "--out", str(work)), work)
        return files

    return {"cold": cold,
            "batch": lambda work: _run(_render("--all-zones", "--out", str(work)), work),
            "batch-1": lambda work: _run(_render("--all-zones", "--jobs", "1",
                                                 "--out", str(work)), work)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)   # the host varies by ±15 %
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" /
                        "batch.json")
    args = parser.parse_args()
    from izreport.pipeline.batch import default_workers

    names = zones()
    reports = 1 + len(names)
    todo = cases(names)
    times: dict[str, list[float]] = {name: [] for name in todo}
    cpu: dict[str, list[float]] = {name: [] for name in todo}
    with tempfile.TemporaryDirectory() as tmp:
        warm = Path(tmp) / "warm-up"
        warm.mkdir()
        files = todo["batch"](warm)  # warm-up: caches, first imports from disk
        assert files == 3 * reports, (files, reports)
        names = list(todo)
        for i in range(args.runs):
            # the order turns each run: no case always follows the same one
            for name in names[i % len(names):] + names[:i % len(names)]:
                work = Path(tmp) / f"{name}-{i}"
                work.mkdir()
                busy = _busy_seconds()
                start = time.perf_counter()
                todo[name](work)
                times[name].append(time.perf_counter() - start)
                cpu[name].append(_busy_seconds() - busy)
                print(f"run {i + 1}/{args.runs} {name:8} {times[name][-1]:6.2f} s, "
                      f"{cpu[name][-1]:5.1f} s of CPU", flush=True)
    med = {name: statistics.median(values) for name, values in times.items()}
    med_cpu = {name: statistics.median(values) for name, values in cpu.items()}
    ratios = {name: med["cold"] / med[name] for name in med if name != "cold"}
    workers = default_workers(reports)
    print(f"\n{reports} reports ({PERIOD}: province + {len(names)} zones), HTML + PDF, "
          f"{os.cpu_count()} cores, {workers} workers")
    print(f"median cold (one izreport render per report): {med['cold']:.2f} s "
          f"({med['cold'] / reports:.2f} s per report, {med_cpu['cold']:.1f} s of CPU)")
    for name in ratios:
        print(f"median {name}: {med[name]:.2f} s ({med[name] / reports:.2f} s per report, "
              f"{med_cpu[name]:.1f} s of CPU), {ratios[name]:.2f}x faster than cold")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"reports": reports, "cores": os.cpu_count(),
                                     "load_average": os.getloadavg(),
                                     "workers": workers, "runs": times, "median": med,
                                     "ratio": ratios, "cpu_runs": cpu,
                                     "cpu_median": med_cpu}, indent=2) + "\n")


if __name__ == "__main__":
    main()
