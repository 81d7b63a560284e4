"""Write a render's results: the one place that touches the output folder.

- the files of one render are written into a temporary folder beside the output
  (``OUT/.<stem>.XXXXXXXX/``) and moved into place with ``os.replace`` only when every
  format succeeded, so a failed run never replaces a good report;
- the executed notebook of a failed run is kept under ``OUT/failed/``;
- every render, skip or failure is one line of the run log (``OUT/.state/runs.jsonl``),
  and a successful render's inputs fingerprint goes to ``OUT/.state/fingerprints.json``
  (what ``run-due`` compares against).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from izreport.core.files import atomic_write
from izreport.pipeline import runlog

FINGERPRINTS = "fingerprints.json"


def keep_failed(executed: Path, failed_copy: Path) -> Path:
    """Keep the executed notebook of a failed run under ``failed/``, for diagnosis."""
    failed_copy.parent.mkdir(parents=True, exist_ok=True)
    if executed.exists():
        shutil.copyfile(executed, failed_copy)
    return failed_copy


@contextmanager
def staging(out: Path, stem: str) -> Iterator[Path]:
    """A temporary folder beside the outputs for one render; removed when the block ends."""
    with tempfile.TemporaryDirectory(dir=out, prefix=f".{stem}.") as name:
        yield Path(name)


def stage(folder: Path, stem: str, outputs: Mapping[str, bytes]) -> dict[str, Path]:
    """Write each format's bytes as ``<folder>/<stem>.<format>``."""
    written = {}
    for fmt, body in outputs.items():
        target = folder / f"{stem}.{fmt}"
        target.write_bytes(body)
        written[fmt] = target
    return written


def publish(written: Mapping[str, Path], out: Path) -> dict[str, Path]:
    """Move staged files into the output folder, each in one atomic step."""
    files = {}
    for fmt, path in written.items():
        target = out / path.name
        os.replace(path, target)
        files[fmt] = target
    return files


# --------------------------------------------------------------------------- run log


@dataclass(frozen=True)
class RunLog:
    """What the run log says about a render besides its result: who asked, and on what.

    ``parts``: the fingerprint's parts; when given, a successful render is remembered
    in the fingerprints file (``run-due`` renders only what changed since).
    """

    trigger: str
    fingerprint: str | None = None
    data_until: str | None = None
    reason: str | None = None
    parts: Mapping[str, str] | None = field(default=None, repr=False)


def log_result(out: Path | str, result: Any, log: RunLog, formats: tuple[str, ...] = ()
               ) -> dict[str, Any]:
    """Record one finished render (a :class:`~izreport.pipeline.batch.JobResult`); returns
    the line."""
    request = result.job.request
    params = request.values
    entry = log_line(out, report=request.report, params=params, stem=request.stem,
                     result="ok" if result.ok else "failed", log=log,
                     duration=result.duration, files=result.files, error=result.error,
                     draft=bool(result.ok and result.draft), zone_id=request.zone_id,
                     site=request.site)
    if result.ok and log.parts is not None:
        remember(out, request.stem, {
            "fingerprint": log.fingerprint, "parts": dict(log.parts),
            "report": request.report, "params": params, "time": entry["time"],
            "formats": list(formats)})
    return entry


def log_line(out: Path | str, *, report: str, params: Mapping[str, Any], stem: str | None,
             result: str, log: RunLog, duration: float = 0.0,
             files: Mapping[str, Path] | None = None, error: str | None = None,
             draft: bool = False, zone_id: str | None = None, site: str | None = None
             ) -> dict[str, Any]:
    """Append one line to the run log (a render, a skip, a failure); returns it.
    ``zone_id`` and ``site``: as the request resolved them."""
    entry = runlog.record(report=report, params=params, stem=stem, result=result,
                          trigger=log.trigger, out=Path(out), fingerprint=log.fingerprint,
                          duration=duration, files=files, error=error,
                          data_until=log.data_until, reason=log.reason, draft=draft,
                          zone_id=zone_id, site=site)
    runlog.append(out, entry)
    return entry


def read_state(out: Path | str) -> dict[str, Any]:
    """The fingerprints of the last successful renders, by output stem."""
    path = runlog.state_dir(out) / FINGERPRINTS
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return state if isinstance(state, dict) else {}


def write_state(out: Path | str, state: Mapping[str, Any]) -> None:
    payload = json.dumps(state, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    atomic_write(runlog.state_dir(out, create=True) / FINGERPRINTS, payload.encode("utf-8"))


def remember(out: Path | str, stem: str, entry: Mapping[str, Any]) -> None:
    """Record the fingerprint of a successful render (or forms workbook) of ``stem``."""
    state = read_state(out)
    state[stem] = dict(entry)
    write_state(out, state)
