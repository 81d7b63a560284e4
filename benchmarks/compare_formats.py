"""SQLite against DuckDB and Parquet for the store, on the national-size data set.

    python benchmarks/compare_formats.py FOLDER

FOLDER holds the exchange CSV files of the sample replicated 75 times (bench_store.py
builds them). DuckDB and pyarrow are not dependencies of izreport: run this with a Python
that has pandas, duckdb and pyarrow. Measured, each the median of 3:

- fill: load ``monthly_reports.csv`` (about 1,2 million rows) into the format;
- window: read one report's months (2020-01..2021-06, every enterprise) into pandas;
- append: add one month for every enterprise (about 14.000 rows) in one transaction
  (Parquet: one more file, renamed into place);
- a second process reading while a writer holds its transaction open.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pds
import pyarrow.parquet as pq

FIRST, LAST = "2020-01", "2021-06"


def median_time(action: Callable[[], object], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    folder = Path(sys.argv[1])
    reports = pd.read_csv(folder / "monthly_reports.csv", dtype={"month": str,
                                                                  "enterprise_id": str})
    july = reports[reports["month"] == "2025-06"].assign(month="2025-07")
    work = Path(tempfile.mkdtemp())
    out: dict[str, dict[str, float | str]] = {}

    # SQLite (WAL), as the store keeps it
    db = work / "s.sqlite"

    def sqlite_fill() -> None:
        db.unlink(missing_ok=True)
        con = sqlite3.connect(db)
        con.execute("PRAGMA journal_mode=WAL")
        reports.head(0).to_sql("monthly_reports", con, index=False)
        con.execute("CREATE UNIQUE INDEX pk ON monthly_reports (month, enterprise_id)")
        con.executemany(f"INSERT INTO monthly_reports VALUES ({','.join('?' * 11)})",
                        reports.itertuples(index=False, name=None))
        con.commit()
        con.close()

    def sqlite_window() -> pd.DataFrame:
        with sqlite3.connect(db) as con:
            return pd.read_sql("SELECT * FROM monthly_reports WHERE month BETWEEN ? AND ?",
                               con, params=(FIRST, LAST))

    def sqlite_append() -> None:
        con = sqlite3.connect(db, isolation_level=None)
        con.execute("BEGIN IMMEDIATE")
        con.execute("DELETE FROM monthly_reports WHERE month = '2025-07'")
        con.executemany(f"INSERT INTO monthly_reports VALUES ({','.join('?' * 11)})",
                        july.itertuples(index=False, name=None))
        con.execute("COMMIT")
        con.close()

    out["sqlite"] = {"fill": median_time(sqlite_fill, 1), "window": median_time(sqlite_window),
                     "append": median_time(sqlite_append), "mb": db.stat().st_size / 1e6}
    out["sqlite"]["read during write"] = _concurrent(
        f"import sqlite3; c = sqlite3.connect({str(db)!r}, isolation_level=None); "
        "c.execute('BEGIN IMMEDIATE'); c.execute(\"DELETE FROM monthly_reports WHERE month="
        "'2021-01'\"); import time; time.sleep(5)",
        f"import sqlite3; print(sqlite3.connect({str(db)!r}).execute('SELECT COUNT(*) FROM "
        "monthly_reports').fetchone()[0])")

    # DuckDB
    ddb = work / "d.duckdb"

    def duck_fill() -> None:
        ddb.unlink(missing_ok=True)
        con = duckdb.connect(str(ddb))
        con.register("reports", reports)
        con.execute("CREATE TABLE monthly_reports AS SELECT * FROM reports")
        con.close()

    def duck_window() -> pd.DataFrame:
        with duckdb.connect(str(ddb), read_only=True) as con:
            return con.execute("SELECT * FROM monthly_reports WHERE month BETWEEN ? AND ?",
                               [FIRST, LAST]).df()

    def duck_append() -> None:
        with duckdb.connect(str(ddb)) as con:
            con.register("july", july)
            con.execute("BEGIN")
            con.execute("DELETE FROM monthly_reports WHERE month = '2025-07'")
            con.execute("INSERT INTO monthly_reports SELECT * FROM july")
            con.execute("COMMIT")

    out["duckdb"] = {"fill": median_time(duck_fill, 1), "window": median_time(duck_window),
                     "append": median_time(duck_append), "mb": ddb.stat().st_size / 1e6}
    out["duckdb"]["read during write"] = _concurrent(
        f"import duckdb, time; c = duckdb.connect({str(ddb)!r}); c.execute('BEGIN'); "
        "time.sleep(5)",
        f"import duckdb; print(duckdb.connect({str(ddb)!r}, read_only=True).execute("
        "'SELECT COUNT(*) FROM monthly_reports').fetchone()[0])")

    # Parquet, one file per month
    pdir = work / "parquet"

    def parquet_fill() -> None:
        pq.write_to_dataset(pa.Table.from_pandas(reports, preserve_index=False), pdir,
                            partition_cols=["month"])

    def parquet_window() -> pd.DataFrame:
        dataset = pds.dataset(pdir, partitioning="hive")
        field = pds.field("month")
        return dataset.to_table(filter=(field >= FIRST) & (field <= LAST)).to_pandas()

    def parquet_append() -> None:
        part = pdir / "month=2025-07"
        part.mkdir(exist_ok=True)
        tmp = part / ".new.parquet"
        pq.write_table(pa.Table.from_pandas(july.drop(columns="month"), preserve_index=False),
                       tmp)
        os.replace(tmp, part / "data.parquet")

    out["parquet"] = {"fill": median_time(parquet_fill, 1),
                      "window": median_time(parquet_window),
                      "append": median_time(parquet_append),
                      "mb": sum(p.stat().st_size for p in pdir.rglob("*.parquet")) / 1e6,
                      "read during write": "files: no transaction over several files"}
    print(f"{len(reports)} monthly rows; window {FIRST}..{LAST}: "
          f"{len(sqlite_window())} rows; append {len(july)} rows")
    for name, row in out.items():
        print(f"{name:8} fill {row['fill']:6.2f} s  window {row['window']:5.2f} s  append "
              f"{row['append']:5.2f} s  {row['mb']:5.0f} MB  reader during a write: "
              f"{row['read during write']}")


def _concurrent(writer: str, reader: str) -> str:
    """Start a writer that holds its transaction, then try to read from a second process."""
    hold = subprocess.Popen([sys.executable, "-c", writer])
    time.sleep(1.5)
    done = subprocess.run([sys.executable, "-c", reader], capture_output=True, text=True,
                          timeout=30)
    hold.kill()
    hold.wait()
    if done.returncode == 0:
        return f"reads ({done.stdout.strip()} rows)"
    return "blocked: " + done.stderr.strip().splitlines()[-1][:80]


if __name__ == "__main__":
    main()
