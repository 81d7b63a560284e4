"""Rendering benchmark: one report (HTML + PDF) against the naive chain of CLIs.

    make bench                     # or: .venv/bin/python benchmarks/bench_render.py --runs 5

Both are measured in the same run, interleaved, and reported as medians and as a ratio,
so the figure holds on whatever machine runs it:

- ``izreport``: ``izreport render half-year --period 2021-H1`` (one process: papermill,
  both exporters and WeasyPrint, exporters imported while the kernel runs);
- ``naive``: ``papermill`` CLI, then ``jupyter nbconvert --to html``, then ``weasyprint`` CLI.

Then it says where the time of one ``izreport render`` goes (``--breakdown`` runs, in a
fresh process each): starting Python and importing the command, starting the kernel,
the kernel's imports (pandas, altair, vl-convert's engine), the notebook's cells, the
HTML and the PDF exports, and the rest (papermill, locks, writing).
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
NOTEBOOK = ROOT / "notebooks" / "half_year_report.ipynb"


def _run(command: list[str], cwd: Path) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True,
                          env=dict(os.environ, IZREPORT_DATA=str(ROOT / "data")))
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stderr[-2000:]}")


def izreport_render(work: Path) -> None:
    _run([str(BIN / "izreport"), "render", "half-year", "--period", "2021-H1",
          "--to", "html,pdf", "--out", str(work)], work)


def naive_chain(work: Path) -> None:
    executed = work / "report.ipynb"
    _run([str(BIN / "papermill"), str(NOTEBOOK), str(executed), "-p", "period", "2021-H1",
          "--no-progress-bar"], work)
    _run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)], work)
    _run([str(BIN / "weasyprint"), str(work / "report.html"), str(work / "report.pdf")], work)


#: One render in a fresh process, its steps timed (see izreport.pipeline.render.RenderResult).
_BREAKDOWN = """
import json, sys, time
start = time.perf_counter()
from izreport.pipeline.render import render
imported = time.perf_counter() - start
result = render("half-year", {"period": "2021-H1"}, sys.argv[1], ("html", "pdf"))
print(json.dumps({"imports": imported, "render": time.perf_counter() - start - imported,
                  **result.timings}))
"""


def breakdown(work: Path) -> dict[str, float]:
    """Where the time of one render goes, in seconds (one fresh process)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _BREAKDOWN, str(work)], cwd=work,
                          capture_output=True, text=True, check=True,
                          env=dict(os.environ, IZREPORT_DATA=str(ROOT / "data")))
    wall = time.perf_counter() - start
    steps = json.loads(done.stdout.splitlines()[-1])
    return {"wall": wall, "python_start": wall - steps["imports"] - steps["render"], **steps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--breakdown", type=int, default=3,
                        help="renders timed step by step (median of each step)")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" /
                        "render.json")
    args = parser.parse_args()
    cases = {"izreport": izreport_render, "naive": naive_chain}
    times: dict[str, list[float]] = {name: [] for name in cases}
    with tempfile.TemporaryDirectory() as tmp:
        izreport_render(Path(tmp))  # warm-up: caches, first imports from disk
        for i in range(args.runs):
            for name, case in cases.items():
                work = Path(tmp) / f"{name}-{i}"
                work.mkdir()
                start = time.perf_counter()
                case(work)
                times[name].append(time.perf_counter() - start)
                print(f"run {i + 1}/{args.runs} {name:9} {times[name][-1]:6.2f} s", flush=True)
        steps = [breakdown(Path(tempfile.mkdtemp(dir=tmp))) for _ in range(args.breakdown)]
    med = {name: statistics.median(values) for name, values in times.items()}
    ratio = med["naive"] / med["izreport"]
    print(f"\nmedian izreport render (HTML+PDF): {med['izreport']:.2f} s")
    print(f"median naive chain (papermill, nbconvert, weasyprint): {med['naive']:.2f} s")
    print(f"speed-up: {ratio:.2f}x faster than the naive chain")
    parts = {key: statistics.median(s[key] for s in steps) for key in steps[0]} if steps else {}
    if parts:
        print("\none render, median of each step (s): " + ", ".join(
            f"{key} {value:.2f}" for key, value in parts.items()))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"load_average": os.getloadavg(),
                                     "runs": times, "median": med, "ratio": ratio,
                                     "breakdown": parts}, indent=2) + "\n")


if __name__ == "__main__":
    main()
