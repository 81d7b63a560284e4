"""All or nothing: a killed ingest leaves the store as before or as after; a reader sees one
state while an ingest writes."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from izreport.incoming.ingest import ingest
from izreport.storage import data
from izreport.storage.store import read_audit
from tests.conftest import DATA, store_state

SUBS = DATA / "submissions" / "2025-07"
FILES = [SUBS / "bao-cao-2025-07.xlsx", SUBS / "bo-sung-2025-07.csv"]
KILLS = 20
#: Runs an ingest; with a pause, stops inside the write transaction (after the rows).
_INGEST = """
import sys, time
from pathlib import Path
from izreport.incoming import ingest
from izreport.storage import store
pause = float(sys.argv[2])
if pause:
    real = store.record_audit
    def slow(*args, **kwargs):
        print("writing", flush=True)
        time.sleep(pause)
        return real(*args, **kwargs)
    store.record_audit = slow
ingest.ingest([Path(p) for p in sys.argv[3:]], sys.argv[1])
print("done", flush=True)
"""


def _start(source: Path | str, pause: float = 0.0) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", _INGEST, str(source), str(pause),
                             *map(str, FILES)], stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=str(DATA.parent)))


@pytest.fixture
def states(store_source: Path | str, tmp_path: Path) -> tuple[Path | str, object, object]:
    """The store filled from the sample (before) and what the ingest makes of it (after)."""
    data.open_store(store_source)
    before = store_state(store_source)
    ingest(FILES, store_source)
    after = store_state(store_source)
    after_rows = {k: v for k, v in after.items() if k not in ("audit", "audit_values")}
    # back to before: a fresh copy of the same store
    source = store_source
    if isinstance(source, Path):
        for suffix in ("", "-wal", "-shm"):
            (source / f"izreport.sqlite{suffix}").unlink(missing_ok=True)
        data.open_store(source)
    else:
        import sqlalchemy as sa

        from izreport.storage.store import audit, audit_values, monthly_reports
        with data.open_store(source).writing() as conn:
            conn.execute(monthly_reports.delete().where(monthly_reports.c.month == "2025-07"))
            conn.execute(audit_values.delete())
            conn.execute(audit.delete().where(audit.c.action == "ingest"))
            assert conn.execute(sa.select(sa.func.count()).select_from(audit)).scalar() == 1
    return source, _rows(before), after_rows


def _rows(state: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in state.items() if k not in ("audit", "audit_values")}


def test_killed_in_the_write_transaction_changes_nothing(
        states: tuple[Path | str, object, object]) -> None:
    source, before, _ = states
    proc = _start(source, pause=30)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    state = store_state(source)
    assert _rows(state) == before
    assert [r[3] for r in state["audit"]] == ["seed"]      # no audit entry either


@pytest.mark.parametrize("store_source", ["sqlite"], indirect=True)
def test_killing_an_ingest_at_random_moments(states: tuple[Path | str, object, object]
                                            ) -> None:
    """On the embedded store (PostgreSQL: the kill inside the transaction above)."""
    source, before, after = states
    start = time.perf_counter()
    proc = _start(source)
    assert proc.wait() == 0
    duration = time.perf_counter() - start
    assert _rows(store_state(source)) == after
    rng = random.Random(2021)
    seen = {"before": 0, "after": 0}
    for _ in range(KILLS):
        current = _rows(store_state(source))
        proc = _start(source)
        time.sleep(rng.uniform(0.2, 1.2) * duration)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        state = _rows(store_state(source))
        assert state in (before, after)
        assert state == after or current == before   # never back from after to before
        seen["before" if state == before else "after"] += 1
        if state == after and rng.random() < 0.5:    # go back to before, to try again
            _reset(source)
    assert sum(seen.values()) == KILLS
    assert seen["before"] and seen["after"], seen   # kills fell before and after the commit


def _reset(source: Path | str) -> None:
    from izreport.storage.store import monthly_reports

    with data.open_store(source).writing() as conn:
        conn.execute(monthly_reports.delete().where(monthly_reports.c.month == "2025-07"))


def test_a_reader_sees_one_state_while_an_ingest_writes(
        store_source: Path | str, monkeypatch: pytest.MonkeyPatch) -> None:
    data.open_store(store_source)
    real = data._frame
    calls = []

    def frame_then_ingest(rows: list[object], columns: dict[str, str]) -> object:
        calls.append(1)
        if len(calls) == 1:                            # after the first table was read
            ingest(FILES, store_source)
        return real(rows, columns)

    monkeypatch.setattr(data, "_frame", frame_then_ingest)
    during = data.load(store_source)
    monkeypatch.setattr(data, "_frame", real)
    assert during.months == ("2017-01", "2025-06")     # the state when reading began
    assert "2025-07" not in set(during.monthly_reports["month"])
    after = data.load(store_source)
    assert after.months == ("2017-01", "2025-07")
    assert (after.monthly_reports["month"] == "2025-07").sum() == 185


def test_two_ingests_at_once_lose_no_row(store_source: Path | str, tmp_path: Path) -> None:
    """Two different files of one month ingested at the same moment, ten times: each run
    either succeeds (its rows and its audit entry are there) or refuses; none is lost.

    SQLite serialises the two write transactions (BEGIN IMMEDIATE); on PostgreSQL each
    write transaction first takes ``LOCK TABLE audit IN EXCLUSIVE MODE``, so the second
    waits and then reads what the first committed.
    """
    source = store_source
    data.open_store(source).engine.dispose()
    lines = (SUBS / "bo-sung-2025-07.csv").read_text(encoding="utf-8").splitlines()
    halves = {"a.csv": [lines[0], *lines[1:3]], "b.csv": [lines[0], *lines[3:]]}
    for name, part in halves.items():
        (tmp_path / name).write_text("\n".join(part) + "\n", encoding="utf-8")
    ids = {name: {ln.split(";")[1] for ln in part[1:]} for name, part in halves.items()}
    script = ("import sys\nfrom pathlib import Path\nfrom izreport.incoming.ingest import ingest\n"
              "ingest([Path(sys.argv[2])], sys.argv[1])\n")
    env = dict(os.environ, PYTHONPATH=str(DATA.parent))
    for round_ in range(1, 11):
        procs = {name: subprocess.Popen([sys.executable, "-c", script, str(source),
                                         str(tmp_path / name)], env=env,
                                        stderr=subprocess.PIPE, text=True)
                 for name in halves}
        codes = {name: (p.wait(), p.stderr.read() if p.stderr else "")
                 for name, p in procs.items()}
        rows = data.load(source).monthly_reports
        july = set(rows.loc[rows["month"] == "2025-07", "enterprise_id"])
        for name, (code, err) in codes.items():
            assert code == 0, err   # both succeed: the store serialises the transactions
            assert ids[name] <= july
        store = data.open_store(source)
        added = [e for e in read_audit(store) if e["action"] == "ingest"]
        store.engine.dispose()
        assert len(added) == 2 * round_   # one audit entry per successful ingest
        assert {e["added"] for e in added[-2:]} == {2, 3}
        _reset(source)
