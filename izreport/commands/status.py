"""What ``izreport status`` shows: recent runs and what is due, as lines or as JSON.

Lines rather than a table: a table squeezes its last column to nothing on an 80-column
terminal, and the last column is where the error of a failed run is. Each run is one line
(time, trigger, report, result, duration, data cut-off) and its error or reason follows on
an indented line of its own, which wraps at any width and reads the same in a log file, a
mail from cron or the journal. A draft (DỰ THẢO) is named on the run's line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.markup import escape

from izreport.core.formatting import number
from izreport.core.i18n import _
from izreport.pipeline import runlog

#: Colour of each result on a terminal (the word is there too: never colour alone).
_COLOURS = {"ok": "green", "failed": "bold red", "skipped": "dim"}


def result_label(entry: Mapping[str, Any]) -> str:
    """'ok', 'failed', 'skipped' in the user's language, with the draft mark."""
    result = str(entry.get("result"))
    words = {"ok": _("ok"), "failed": _("FAILED"), "skipped": _("skipped")}
    label = words.get(result, result)
    if result == "ok" and entry.get("draft"):
        label += ", " + _("DRAFT (DỰ THẢO)")
    return label


def _due_state(item: Any, latest: Mapping[str, Mapping[str, Any]]) -> str:
    if item.error:
        return _("cannot render: {error}").format(error=item.error)
    if item.action == "skip":
        last = latest.get(str(item.stem)) or {}
        if last.get("result") == "ok" and last.get("draft"):
            return _("up to date") + ", " + _("DRAFT (DỰ THẢO)")
        return _("up to date")
    return _("due now: {reason}").format(reason=item.reason)


def _period(item: Any) -> str:
    zone = item.params.get("zone")
    return str(item.params.get("period")) + (f" {zone}" if zone else "")


def report_lines(out: Path, day: dt.date, runs: Sequence[Mapping[str, Any]], now: Any,
                 upcoming: Sequence[Any], colour: bool = False) -> Iterator[str]:
    """The text of ``izreport status``; Rich markup only when ``colour``."""
    def esc(text: Any) -> str:
        return escape(str(text)) if colour else str(text)

    yield esc(_("Recent runs ({path}):").format(path=runlog.state_dir(out) / runlog.RUNS))
    if not runs:
        yield "  " + esc(_("none yet"))
    for entry in runs:
        result = str(entry.get("result"))
        label = esc(result_label(entry))
        if colour:
            label = f"[{_COLOURS.get(result, 'white')}]{label}[/]"
        fields = [esc(str(entry.get("time", ""))[:16].replace("T", " ")),
                  esc(entry.get("trigger", "")), esc(entry.get("stem")), label,
                  esc(f"{number(float(entry.get('duration') or 0), 1)} s")]
        if entry.get("data_until"):
            fields.append(esc(_("data to {month}").format(month=entry["data_until"])))
        yield "  " + "  ".join(fields)
        if entry.get("error"):
            yield "      " + esc(_("error: {message}").format(message=entry["error"]))
        elif entry.get("reason"):
            yield "      " + esc(_("reason: {reason}").format(reason=entry["reason"]))
    yield ""
    yield esc(_("Due as of {day}:").format(day=day.isoformat()))
    latest = runlog.latest_renders(runlog.read(out))
    for item in now.items:
        yield "  " + esc(f"{item.report} {_period(item)}, " + _("from {day}").format(
            day=day.isoformat()) + f": {_due_state(item, latest)}")
    for nxt in upcoming:
        yield "  " + esc(f"{nxt.report} {nxt.period}, " + _("from {day}").format(
            day=nxt.due_from.isoformat()) + ": " + _("next: {condition}").format(
            condition=nxt.condition))
    for note in now.notes:
        yield esc(_("note: {note}").format(note=note))


def report_json(out: Path, day: dt.date, runs: Sequence[Mapping[str, Any]], now: Any,
                upcoming: Sequence[Any]) -> dict[str, Any]:
    """The same as one JSON document (for scripts and monitoring)."""
    return {
        "date": day.isoformat(),
        "run_log": str(runlog.state_dir(out) / runlog.RUNS),
        "runs": [{key: entry.get(key) for key in (
            "time", "trigger", "report", "params", "stem", "result", "draft", "duration",
            "data_until", "error", "reason")} for entry in runs],
        "due": [{"report": i.report, "params": i.params, "stem": i.stem, "action": i.action,
                 "reason": i.reason, "error": i.error} for i in now.items],
        "next": [{"report": n.report, "period": n.period, "from": n.due_from.isoformat(),
                  "condition": n.condition} for n in upcoming],
        "notes": list(now.notes),
    }
