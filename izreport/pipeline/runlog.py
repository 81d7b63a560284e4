"""The run log and the state folder of an output folder: ``<out>/.state/``.

Every render started by ``izreport render`` or ``izreport run-due`` appends one JSON line
to ``<out>/.state/runs.jsonl``: when, which report and parameters, the input fingerprint,
the output stem, the zone's id and the site path the render's request derived (``stem``,
``zone_id``, ``site``: publish places the report by it), the duration, the result (``ok``,
``failed`` or ``skipped``), the files written with their
size and SHA-256, the error, and the last month of data at render time (``data_until``,
the report's data cut-off, shown on the intranet index) and whether the report is a draft
(``draft``: it carries DỰ THẢO because a hand-written section is missing). ``izreport publish`` only
publishes a report whose latest ``ok`` record matches the files on disk.

One line is one ``write`` on a file opened in append mode, so concurrent writers do not
interleave within a line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

STATE_DIR = ".state"
RUNS = "runs.jsonl"
RESULTS = ("ok", "failed", "skipped")


def state_dir(out: Path | str, create: bool = False) -> Path:
    path = Path(out) / STATE_DIR
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def now_iso() -> str:
    """The current time, local, with its UTC offset, to the second."""
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def file_info(path: Path, out: Path) -> dict[str, Any]:
    """Path (relative to ``out`` when inside it), size and SHA-256 of a written file."""
    try:
        shown = str(path.resolve().relative_to(out.resolve()))
    except ValueError:
        shown = str(path)
    return {"path": shown, "size": path.stat().st_size, "sha256": sha256_file(path)}


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def record(*, report: str, params: Mapping[str, Any], stem: str | None, result: str,
           trigger: str, out: Path, fingerprint: str | None = None, duration: float = 0.0,
           files: Mapping[str, Path] | None = None, error: str | None = None,
           data_until: str | None = None, reason: str | None = None,
           draft: bool = False, zone_id: str | None = None, site: str | None = None
           ) -> dict[str, Any]:
    """One run-log line (not yet written). ``draft``: the report carries DỰ THẢO;
    ``zone_id`` and ``site``: as the request resolved them."""
    if result not in RESULTS:
        raise ValueError(f"result must be one of {RESULTS}, not {result!r}")
    from izreport import __version__

    return {
        "time": now_iso(), "trigger": trigger, "report": report, "params": dict(params),
        "stem": stem, "zone_id": zone_id, "site": site, "result": result,
        "duration": round(duration, 3),
        "fingerprint": fingerprint, "data_until": data_until,
        "files": {fmt: file_info(Path(p), out) for fmt, p in (files or {}).items()
                  if Path(p).exists()},
        "error": error, "reason": reason, "draft": bool(draft), "version": __version__,
    }


def append(out: Path | str, entry: Mapping[str, Any]) -> None:
    """Add one line to the run log (one write call, flushed to disk)."""
    path = state_dir(out, create=True) / RUNS
    line = (json.dumps(entry, ensure_ascii=False, sort_keys=False) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def read(out: Path | str) -> list[dict[str, Any]]:
    """Every record, oldest first; a damaged line (a crash mid-write) is skipped."""
    return list(_records(state_dir(out) / RUNS))


def _records(path: Path) -> Iterator[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return
    for line in lines:
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(entry, dict):
            yield entry


def latest_renders(records: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per output stem, the latest record of an actual render (ok or failed)."""
    latest: dict[str, dict[str, Any]] = {}
    for entry in records:
        if entry.get("result") in ("ok", "failed") and entry.get("stem"):
            latest[str(entry["stem"])] = dict(entry)
    return latest
