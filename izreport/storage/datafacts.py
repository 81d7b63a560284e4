"""What the parent process reads of the data to check run requests, without pandas.

The months with data, the zones, the sectors and which zones had enterprises reporting in
a period: read at most once per :class:`DataFacts`. One command's requests share one
(``--all-zones``, ``run-due``), so checking seven requests reads the data once, not seven
times; a new command gets a new one, so a store written in between is read afresh.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from izreport.core.periods import Period
from izreport.storage.data import _exchange_folder, data_months, open_store, resolve, table_rows

T = TypeVar("T")


class DataFacts:
    """Cheap facts of one data source (a folder, a database URL, or None: the defaults)."""

    def __init__(self, source: Path | str | None = None) -> None:
        self.source = source
        self._memo: dict[Any, Any] = {}

    def _once(self, key: Any, read: Callable[[], T]) -> T:
        if key not in self._memo:
            self._memo[key] = read()
        return self._memo[key]  # type: ignore[no-any-return]

    def months(self) -> list[str]:
        """Every month with at least one monthly report, sorted."""
        return self._once("months", lambda: data_months(self.source))

    def zones(self) -> list[dict[str, str]]:
        """The zones table as text rows, in table order."""
        return self._once("zones", lambda: table_rows(self.source, "zones"))

    def enterprises(self) -> list[dict[str, str]]:
        return self._once("enterprises", lambda: table_rows(self.source, "enterprises"))

    def reporting_zones(self, period: Period) -> list[str]:
        """Ids of the zones with at least one enterprise report in the period, table order.

        The same rule as :meth:`izreport.storage.data.Dataset.operating_zones`: a report counts
        for the zone its enterprise was in that month (moves between zones included).
        """
        return self._once(("reporting", str(period)), lambda: self._reporting(period))

    def _reporting(self, period: Period) -> list[str]:
        current = {e["enterprise_id"]: e["zone_id"] for e in self.enterprises()}
        moves: dict[str, list[tuple[str, str]]] = {}
        for move in self._moves():
            moves.setdefault(move["enterprise_id"], []).append((move["month"],
                                                                move["from_zone"]))
        present = set()
        for month, enterprise in self._reports_in(period.months):
            later = sorted(m for m in moves.get(enterprise, ()) if month < m[0])
            present.add(later[0][1] if later else current.get(enterprise))
        return [z["zone_id"] for z in self.zones() if z["zone_id"] in present]

    def _moves(self) -> list[dict[str, str]]:
        try:
            return table_rows(self.source, "enterprise_moves")
        except FileNotFoundError:  # an exchange folder from before moves were recorded
            return []

    def _reports_in(self, months: tuple[str, ...]) -> set[tuple[str, str]]:
        """(month, enterprise_id) of every monthly report in ``months``."""
        wanted = set(months)
        folder, _url = resolve(self.source)
        if _exchange_folder(folder):
            with open(folder / "monthly_reports.csv", encoding="utf-8",  # type: ignore[operator]
                      newline="") as fh:
                return {(row["month"], row["enterprise_id"]) for row in csv.DictReader(fh)
                        if row["month"] in wanted}
        import sqlalchemy as sa

        from izreport.storage.store import monthly_reports as table

        query = sa.select(table.c.month, table.c.enterprise_id).where(
            table.c.month.in_(sorted(wanted))).distinct()
        with open_store(self.source).reading() as conn:
            return {(str(m), str(e)) for m, e in conn.execute(query)}
