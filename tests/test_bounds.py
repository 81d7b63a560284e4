"""Plausibility bounds of the catalogue: the sample is within them, submissions beyond them
are refused naming the rule, and whatever is accepted loads and computes."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from izreport.blocks import monthly
from izreport.blocks.submissions import FIGURES
from izreport.core.catalogue import INDICATORS, MAX_PRODUCTION_PER_WORKER, RATIOS
from izreport.incoming.ingest import SubmissionError, ingest
from izreport.storage import data
from tests.conftest import DATA, sqlite_store, store_state

HEADER = ("month", "enterprise_id", *FIGURES)
#: A plausible July 2025 row of an enterprise operating then.
ROW = {"production_value": "120.5", "revenue": "150.25", "export_value": "4.5",
       "import_value": "3.25", "budget_paid": "2.5", "workers": "900",
       "female_workers": "500", "foreign_workers": "3", "avg_income": "8.5"}


pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return sqlite_store(tmp_path / "data")


def _csv(path: Path, values: dict[str, str]) -> Path:
    path.write_text(",".join(HEADER) + "\n" + ",".join(["2025-07", "DN0023"]
                                                        + [values[n] for n in FIGURES]) + "\n",
                    encoding="utf-8")
    return path


def test_the_sample_is_within_every_bound() -> None:
    """The committed monthly reports pass every bound and ratio of the catalogue."""
    table = pd.read_csv(DATA / "monthly_reports.csv")
    for name in FIGURES:
        low, high = INDICATORS[name].plausible or (-math.inf, math.inf)
        assert table[name].between(low, high).all(), name
    for ratio in RATIOS:
        assert (ratio.value(table) <= ratio.limit(table)).all(), ratio.key
    assert (table["production_value"] / table["workers"] <= MAX_PRODUCTION_PER_WORKER).all()


def test_every_submitted_figure_has_bounds() -> None:
    assert all(INDICATORS[n].plausible for n in FIGURES)


@pytest.mark.parametrize(("change", "column", "rule"), [
    ({"export_value": "500", "revenue": "9.8", "production_value": "8"}, "export_value",
     "implausible: 12.500 tỷ đồng where at most 29,4 tỷ đồng is plausible: export (at 25 tỷ "
     "đồng per triệu USD) must not exceed 3 times the larger of revenue and production value "
     "(rule export_vs_turnover)"),
    ({"import_value": "200"}, "import_value",
     "implausible: 5.112,5 tỷ đồng where at most 1.001,3 tỷ đồng is plausible: export plus "
     "import (at 25 tỷ đồng per triệu USD) must not exceed 5 times the larger of revenue and "
     "production value, plus 250 tỷ đồng (machinery of a starting enterprise) "
     "(rule trade_vs_turnover)"),
    ({"budget_paid": "90"}, "budget_paid",
     "implausible: 90 tỷ đồng where at most 76,1 tỷ đồng is plausible: state budget paid must "
     "not exceed half of revenue plus 1 tỷ đồng (rule budget_vs_revenue)"),
    ({"revenue": "3000", "workers": "900", "production_value": "1000",
      "export_value": "4.5"}, "revenue",
     "implausible: 3.000 tỷ đồng where at most 2.700 tỷ đồng is plausible: revenue must not "
     "exceed 3 tỷ đồng per worker in a month (rule revenue_per_worker)"),
    ({"workers": "150000", "female_workers": "5"}, "workers",
     "implausible lao động: more than 100.000 người for one enterprise in a month "
     "(rule max_workers)"),
    ({"foreign_workers": "12000", "workers": "90000", "revenue": "100000",
      "production_value": "90000"}, "foreign_workers",
     "implausible lao động nước ngoài: more than 10.000 người for one enterprise in a month "
     "(rule max_foreign_workers)"),
])
def test_each_bound_is_refused_naming_its_rule(store: Path, tmp_path: Path,
                                               change: dict[str, str], column: str,
                                               rule: str) -> None:
    path = _csv(tmp_path / "so.csv", {**ROW, **change})
    before = store_state(store)
    with pytest.raises(SubmissionError) as err:
        ingest([path], store)
    assert store_state(store) == before
    header = INDICATORS[column].workbook    # the column as the board's workbook heads it
    wanted = f"so.csv, line 2, column '{header}': value {change[column]}: {rule}"
    assert wanted in err.value.problems, err.value.problems


def test_a_plausible_row_is_accepted(store: Path, tmp_path: Path) -> None:
    assert ingest([_csv(tmp_path / "so.csv", ROW)], store).added == 1


def _within_rules(values: dict[str, float]) -> bool:
    """The rules written out from the catalogue: what ingest must accept, and only that."""
    for name in FIGURES:
        low, high = INDICATORS[name].plausible or (0, math.inf)
        if not low <= values[name] <= high:
            return False
    if any(values[n] != int(values[n]) for n in ("workers", "female_workers",
                                                  "foreign_workers")):
        return False
    if max(values["female_workers"], values["foreign_workers"]) > values["workers"]:
        return False
    if values["production_value"] / values["workers"] > MAX_PRODUCTION_PER_WORKER:
        return False
    return all(r.value(values) <= r.limit(values) for r in RATIOS)


def _figure(name: str) -> st.SearchStrategy[Decimal]:
    """Any value from 0 to half again the figure's upper bound."""
    high = (INDICATORS[name].plausible or (0, 1))[1]
    places = 0 if INDICATORS[name].unit == "persons" else 2
    return st.decimals(min_value=Decimal(0), max_value=Decimal(str(high * 1.5)), places=places)


def _dec(value: float, places: int = 2) -> Decimal:
    return Decimal(str(round(value, places)))


@st.composite
def rows(draw: st.DrawFn) -> dict[str, Decimal]:
    """A row like the sample's (mostly accepted), one figure then drawn anywhere (often
    refused), or every figure drawn anywhere."""
    mode = draw(st.sampled_from(["plausible", "one off", "anything"]))
    if mode == "anything":
        return draw(st.fixed_dictionaries({n: _figure(n) for n in FIGURES}))
    fraction = st.floats(min_value=0, max_value=1)
    workers = draw(st.integers(1, 2000))
    production = workers * 0.4 * draw(fraction)
    revenue = production * (1 + 0.5 * draw(fraction))
    row = {"workers": Decimal(workers),
           "female_workers": Decimal(int(workers * draw(fraction))),
           "foreign_workers": Decimal(min(workers, draw(st.integers(0, 15)))),
           "production_value": _dec(production), "revenue": _dec(revenue),
           "export_value": _dec(revenue / 25 * draw(fraction)),
           "import_value": _dec(revenue / 25 * draw(fraction)),
           "budget_paid": _dec(revenue * 0.05 * draw(fraction)),
           "avg_income": _dec(3 + 9 * draw(fraction))}
    if mode == "one off":
        name = draw(st.sampled_from(FIGURES))
        row[name] = draw(_figure(name))
    return row


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows())
def test_accepted_rows_are_within_the_rules_and_load_refused_ones_change_nothing(
        store: Path, tmp_path: Path, row: dict[str, Decimal]) -> None:
    path = _csv(tmp_path / "so.csv", {n: str(v) for n, v in row.items()})
    values = {n: float(v) for n, v in row.items()}
    before = store_state(store)
    try:
        ingest([path], store)
    except SubmissionError as err:
        assert store_state(store) == before
        assert not _within_rules(values), err.problems
        assert all(p.startswith("so.csv, line 2, column ") for p in err.problems)
        return
    assert _within_rules(values)
    ds = data.load(store)
    stored = ds.monthly_reports.set_index(["month", "enterprise_id"]).loc[("2025-07", "DN0023")]
    for name in FIGURES:
        assert stored[name] == pytest.approx(values[name], abs=0.001)
    report = monthly.open_report("2025-07", data_dir=store)
    assert all(math.isfinite(k.actual) for k in report.kpis.values() if k.actual is not None)


BOOK = DATA / "submissions" / "2025-07" / "bao-cao-2025-07.xlsx"


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows(), st.sampled_from(["number", "text"]))
def test_generated_workbooks_load_when_accepted_and_change_nothing_when_refused(
        store: Path, tmp_path: Path, row: dict[str, Decimal], cells: str) -> None:
    """The shipped workbook with one enterprise's figures drawn by hypothesis, written as
    number cells or as text in the Vietnamese style (1.234,5): accepted exactly when the
    figures keep the catalogue's rules, then every row loads; refused, the store is as
    before and every problem names that row."""
    from openpyxl import load_workbook

    from izreport.incoming.ingest import SHEET

    book = load_workbook(BOOK)
    ws = book[SHEET]
    first = 4
    assert ws.cell(first, 1).value == "DN0001"
    for offset, name in enumerate(FIGURES):
        value = row[name]
        ws.cell(first, 5 + offset).value = (
            float(value) if cells == "number"
            else f"{value:,}".replace(",", " ").replace(".", ",").replace(" ", "."))
    path = tmp_path / "bao-cao.xlsx"
    book.save(path)
    values = {n: float(v) for n, v in row.items()}
    before = store_state(store)
    try:
        result = ingest([path], store)
    except SubmissionError as err:
        assert store_state(store) == before
        assert not _within_rules(values), err.problems
        assert all(p.startswith(f"bao-cao.xlsx, sheet '{SHEET}', row {first}, ")
                   for p in err.problems), err.problems
        return
    assert _within_rules(values)
    # the store lives across examples: a later accepted file replaces the earlier rows
    assert sum(f.added + f.replaced + f.unchanged for f in result.files) == 180
    stored = data.load(store).monthly_reports.set_index(["month", "enterprise_id"])
    for name in FIGURES:
        assert stored.loc[("2025-07", "DN0001"), name] == pytest.approx(values[name], abs=0.001)
    report = monthly.open_report("2025-07", data_dir=store)
    assert all(math.isfinite(k.actual) for k in report.kpis.values() if k.actual is not None)
