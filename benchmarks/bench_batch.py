"""Batch benchmark: all reports of one period, one after the other against in parallel.

    make bench                     # or: .venv/bin/python benchmarks/bench_batch.py --runs 3

The reports are the province and each zone of 2021-H1, HTML + PDF, as
``izreport render half-year --period 2021-H1 --all-zones`` renders them:

- ``sequential``: ``--jobs 1``, every render in one process, one after the other (what
  ``--all-zones`` did before the batch runner);
- ``batch``: the default, one worker process per core (``izreport.pipeline.batch``).

Both are measured in the same run, interleaved, and reported as medians and as a ratio.
The gain depends on the cores: a render already keeps two processes busy part of the
time (the kernel computes while the parent imports its exporters).
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def render_all(work: Path, jobs: int | None) -> int:
    """Render every report of 2021-H1; returns how many files were written."""
    command = [str(BIN / "izreport"), "render", "half-year", "--period", "2021-H1",
               "--all-zones", "--to", "html,pdf", "--out", str(work)]
    if jobs is not None:
        command += ["--jobs", str(jobs)]
    done = subprocess.run(command, cwd=work, capture_output=True, text=True,
                          env=dict(os.environ, IZREPORT_DATA=str(ROOT / "data")))
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stderr[-2000:]}")
    return len(done.stdout.splitlines())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" /
                        "batch.json")
    args = parser.parse_args()
    from izreport.pipeline.batch import default_workers

    cases = {"sequential": 1, "batch": None}
    times: dict[str, list[float]] = {name: [] for name in cases}
    with tempfile.TemporaryDirectory() as tmp:
        files = render_all(Path(tmp), 1)  # warm-up: caches, first imports from disk
        reports = files // 3
        for i in range(args.runs):
            for name, jobs in cases.items():
                work = Path(tmp) / f"{name}-{i}"
                work.mkdir()
                start = time.perf_counter()
                render_all(work, jobs)
                times[name].append(time.perf_counter() - start)
                print(f"run {i + 1}/{args.runs} {name:10} {times[name][-1]:6.2f} s", flush=True)
    med = {name: statistics.median(values) for name, values in times.items()}
    ratio = med["sequential"] / med["batch"]
    workers = default_workers(reports)
    print(f"\n{reports} reports (2021-H1: province + zones), HTML + PDF, "
          f"{os.cpu_count()} cores, {workers} workers")
    print(f"median sequential (--jobs 1): {med['sequential']:.2f} s")
    print(f"median batch ({workers} workers): {med['batch']:.2f} s")
    print(f"speed-up: {ratio:.2f}x")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"reports": reports, "cores": os.cpu_count(),
                                     "workers": workers, "runs": times, "median": med,
                                     "ratio": ratio}, indent=2))


if __name__ == "__main__":
    main()
