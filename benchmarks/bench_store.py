"""Store benchmark at national size: the sample replicated 75 times (about 1,2 million rows).

    make bench                    # or: .venv/bin/python benchmarks/bench_store.py --runs 3

The benchmark builds the large data set itself (every enterprise copied 75 times with new
ids, its reports and projects with it), fills a SQLite store from it, then measures in the
same run, interleaved:

- one 2021-H1 render (HTML + PDF) on the sample and on the large store (medians, ratio;
  the goal is at most 1,2 times the sample's time);
- the ingest of one month for every enterprise (about 14.000 rows, one CSV file) into the
  large store, in one process (the goal is under 2 s), and the same through the CLI.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from izreport.incoming.ingest import REPORT_COLUMNS, ingest
from izreport.storage import data

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
COPIES = 75


def replicate(source: Path, target: Path, copies: int = COPIES) -> None:
    """Exchange CSV files with every enterprise (and its reports, projects and their
    quarterly progress) ``copies`` times."""
    target.mkdir(parents=True, exist_ok=True)
    ds = data.read_csv_folder(source)
    for name in ("zones", "zone_land", "plans"):
        shutil.copy2(source / f"{name}.csv", target / f"{name}.csv")

    def many(frame: pd.DataFrame, key: str) -> pd.DataFrame:
        parts = []
        for i in range(copies):
            part = frame.copy()
            for column in (c for c in ("enterprise_id", "project_id") if c in part):
                ids = part[column].astype("string")
                part[column] = ids.where(ids == "", ids + (f"-{i:02d}" if i else ""))
            parts.append(part)
        return pd.concat(parts, ignore_index=True).sort_values(key, kind="stable")

    many(ds.enterprises, "enterprise_id").to_csv(target / "enterprises.csv", index=False)
    reports = many(ds.monthly_reports, "month")
    reports = reports.sort_values(["month", "enterprise_id"], kind="stable")
    reports.to_csv(target / "monthly_reports.csv", index=False, float_format="%.3f")
    many(ds.projects, "certificate_date").to_csv(target / "projects.csv", index=False)
    many(ds.project_progress, "quarter").to_csv(target / "project_progress.csv", index=False)


def month_file(folder: Path, month: str, out: Path) -> int:
    """A submission of ``month`` for every enterprise expected, from its previous month."""
    ds = data.load(folder, months=[_previous(month)])
    rows = ds.monthly_reports.copy()
    ends = ds.enterprises.set_index("enterprise_id")["end_month"]
    rows = rows[rows["enterprise_id"].map(ends).fillna("").isin(["", month]) |
                (rows["enterprise_id"].map(ends).fillna("") > month)]
    rows["month"] = month
    rows[list(REPORT_COLUMNS)].to_csv(out, index=False, float_format="%.3f")
    return len(rows)


def _previous(month: str) -> str:
    y, m = int(month[:4]), int(month[5:])
    return f"{y - (m == 1):04d}-{(m - 2) % 12 + 1:02d}"


def _render(folder: Path, work: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run([str(BIN / "izreport"), "render", "half-year", "--period", "2021-H1",
                           "--to", "html,pdf", "--out", str(work), "--data", str(folder)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"render failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" /
                        "store.json")
    args = parser.parse_args()
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        small, large = Path(tmp) / "sample", Path(tmp) / "national"
        small.mkdir()
        for path in (ROOT / "data").glob("*.csv"):
            shutil.copy2(path, small / path.name)
        start = time.perf_counter()
        replicate(ROOT / "data", large)
        results["build_csv_s"] = time.perf_counter() - start
        for name, folder in (("sample", small), ("national", large)):
            start = time.perf_counter()
            data.open_store(folder).engine.dispose()
            results[f"fill_store_{name}_s"] = time.perf_counter() - start
        rows = len(data.load(large, months=None).monthly_reports)
        size = (large / "izreport.sqlite").stat().st_size
        print(f"national store: {rows} monthly rows, {size / 1e6:.0f} MB; filled in "
              f"{results['fill_store_national_s']:.1f} s", flush=True)
        results["national_rows"], results["national_db_bytes"] = rows, size

        times: dict[str, list[float]] = {"sample": [], "national": []}
        _render(small, Path(tmp) / "warm")
        for i in range(args.runs):
            for name, folder in (("sample", small), ("national", large)):
                times[name].append(_render(folder, Path(tmp) / f"{name}-{i}"))
                print(f"run {i + 1}/{args.runs} render {name:8} {times[name][-1]:6.2f} s",
                      flush=True)
        med = {k: statistics.median(v) for k, v in times.items()}
        results["render_s"], results["render_median_s"] = times, med
        results["render_ratio"] = med["national"] / med["sample"]

        month_csv = Path(tmp) / "bao-cao-2025-07.csv"
        count = month_file(large, "2025-07", month_csv)
        start = time.perf_counter()
        result = ingest([month_csv], large)
        results["ingest_s"] = time.perf_counter() - start
        results["ingest_rows"] = count
        assert result.added == count, result.summary()
        month_csv2 = Path(tmp) / "bao-cao-2025-08.csv"
        month_file(large, "2025-08", month_csv2)
        start = time.perf_counter()
        done = subprocess.run([str(BIN / "izreport"), "ingest", str(month_csv2), "--data",
                               str(large)], capture_output=True, text=True,
                              env={k: v for k, v in os.environ.items()
                                   if not k.startswith("IZREPORT_")})
        results["ingest_cli_s"] = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"ingest failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")

    print(f"\nmedian 2021-H1 render (HTML+PDF): sample {med['sample']:.2f} s, national "
          f"{med['national']:.2f} s, ratio {results['render_ratio']:.2f} (goal <= 1.2)")
    print(f"ingest of {count} rows (one month, every enterprise): {results['ingest_s']:.2f} s "
          f"in one process (goal < 2 s); {results['ingest_cli_s']:.2f} s through the CLI, "
          "start-up included")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
