"""The store: same tables as the exchange CSV files, constraints, migrations, WAL, snapshots."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from izreport.core.errors import DataError
from izreport.core.periods import Period
from izreport.storage import data, store
from tests.conftest import DATA

#: the wording checked here is the English msgid (Vietnamese: test_i18n)
pytestmark = pytest.mark.usefixtures("english")


def test_the_store_holds_what_the_csv_files_hold(store_source: Path | str) -> None:
    data.open_store(store_source)                  # a folder of CSV files fills its store
    if isinstance(store_source, Path):
        assert (store_source / store.DB_NAME).is_file()
    from_store = data.load(store_source)
    from_csv = data.load(DATA)
    for name in store.TABLES:
        pd.testing.assert_frame_equal(getattr(from_store, name), getattr(from_csv, name),
                                      obj=name)
    assert from_store.months == from_csv.months


def test_tables_match_the_migrations(store_source: Path | str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = data.open_store(store_source).engine
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), store.metadata)
    engine.dispose()
    assert diff == []


def test_head_is_the_newest_migration() -> None:
    from alembic.script import ScriptDirectory

    assert ScriptDirectory.from_config(store.alembic_config()).get_current_head() == store.HEAD


def test_an_upgrade_migrates_an_existing_database(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    folder.mkdir()
    engine = store.make_engine(store.sqlite_url(folder))
    store.upgrade(engine, "0001")                 # a database made before the audit existed
    ds = data.load(DATA)
    with engine.begin() as conn:
        for name, table in store.TABLES.items():
            if name not in ("enterprise_moves", "project_progress"):   # later migrations
                conn.execute(table.insert(), store._records(getattr(ds, name), table))
        assert not sa.inspect(conn).has_table("audit")
    engine.dispose()
    opened = data.open_store(folder)
    with opened.reading() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    assert version == store.HEAD == "0005"
    (entry,) = store.read_audit(opened)
    assert entry["file_name"] == "(before the audit)" and entry["rows"] == 16036
    pd.testing.assert_frame_equal(data.load(folder).monthly_reports, ds.monthly_reports)


@pytest.mark.parametrize(("table", "change", "rule"), [
    ("enterprises", {"registered_capital_bn_vnd": 10.0}, "ck_enterprises_currency"),
    ("monthly_reports", {"workers": -1}, "ck_monthly_reports_workers_nonneg"),
    ("monthly_reports", {"female_workers": 10_000}, "ck_monthly_reports_workers"),
    ("monthly_reports", {"month": "2025-7"}, "ck_monthly_reports_month"),
    ("monthly_reports", {"enterprise_id": "DN9999"}, "FOREIGN KEY"),
    ("plans", {"unit": "musd"}, "ck_plans_unit"),
    ("projects", {"kind": "merged"}, "ck_projects_kind"),
    ("zones", {"kind": "KKT"}, "ck_zones_kind"),
])
def test_constraints_reject_bad_rows(tmp_path: Path, table: str, change: dict[str, object],
                                     rule: str) -> None:
    opened = data.open_store(tmp_path / "d")
    target = store.TABLES[table]
    with opened.reading() as conn:
        row = dict(conn.execute(sa.select(target).limit(1)).one()._mapping)
    if table == "enterprises":
        row = dict(row, ownership="FDI", registered_capital_musd=1.0)
    for key in ("seq",):
        if key in row:
            row[key] = 10**6
    for key in ("zone_id", "enterprise_id", "project_id", "year"):
        if key in row and key not in change and table != "monthly_reports":
            row[key] = 2999 if key == "year" else f"{row[key]}-x"
    if table == "monthly_reports" and "month" not in change:
        row["month"] = "2030-01"
    if table == "enterprises":
        row["zone_id"] = "hoa-xa"
    if table == "projects":
        row["zone_id"], row["enterprise_id"] = "hoa-xa", None
    row.update(change)
    with pytest.raises(sa.exc.IntegrityError, match=rule), opened.writing() as conn:
        conn.execute(target.insert().values(**row))


def test_sqlite_store_uses_wal(tmp_path: Path) -> None:
    opened = data.open_store(tmp_path / "d")
    with opened.reading() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_broken_sample_leaves_no_store(data_copy: Path) -> None:
    path = data_copy / "plans.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("bn_vnd", "vnd", 1),
                    encoding="utf-8")
    with pytest.raises(DataError, match=r"plans\.csv: breaks a rule of the store: .*ck_plans"):
        data.open_store(data_copy)
    assert not list(data_copy.glob("izreport.sqlite*"))


def test_an_empty_folder_is_filled_from_the_configured_sample(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "izreport.toml"
    text = (Path(__file__).resolve().parents[1] / "izreport.toml").read_text(encoding="utf-8")
    text = text.replace('folder = "var/data"', 'folder = "kho"').replace(
        'seed = "data"', f'seed = "{DATA}"').replace('texts = "reports"', 'texts = "van-ban"')
    config.write_text(text, encoding="utf-8")
    monkeypatch.setenv("IZREPORT_CONFIG", str(config))
    monkeypatch.delenv("IZREPORT_DATA", raising=False)
    monkeypatch.delenv("IZREPORT_DATABASE_URL", raising=False)
    monkeypatch.delenv("IZREPORT_TEXTS", raising=False)
    assert data.resolve() == (tmp_path / "kho", None)
    from izreport.blocks.texts import texts_dir

    assert texts_dir() == tmp_path / "van-ban"
    assert data.data_months()[-1] == "2025-06"
    assert (tmp_path / "kho" / store.DB_NAME).is_file()
    monkeypatch.setenv("IZREPORT_DATABASE_URL", "postgresql+psycopg://u:secret@h/db")
    assert data.resolve() == (None, "postgresql+psycopg://u:secret@h/db")
    assert "secret" not in data.describe()


def test_store_settings_reject_unknown_keys(tmp_path: Path) -> None:
    from izreport.core.config import store_settings

    config = tmp_path / "izreport.toml"
    config.write_text('[store]\nfolders = "x"\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"izreport\.toml: \[store\] has unknown key\(s\) "
                                        "folders"):
        store_settings(config)


def test_a_report_reads_only_the_months_it_needs(store_source: Path | str) -> None:
    months = data.report_months(Period.parse("2021-H1"))
    assert months[0] == "2020-01" and months[-1] == "2021-06"
    assert "2020-07" not in months and "2020-12" not in months   # compared with nothing
    data.open_store(store_source)
    ds = data.load(store_source, months=months)
    assert set(ds.monthly_reports["month"]) == {m for m in months if m <= "2025-06"}
    assert ds.months == ("2017-01", "2025-06")    # the coverage is still the store's
    full = data.load(DATA)
    h1 = Period.parse("2021-H1").months
    pd.testing.assert_frame_equal(ds.select(h1).reset_index(drop=True),
                                  full.select(h1).reset_index(drop=True))


@pytest.mark.parametrize("source", ["store", "csv"])
def test_a_report_reads_no_project_progress_and_any_use_of_it_names_it(
        source: str, store_source: Path | str) -> None:
    """Reports leave out the quarterly progress (only the statistical forms use it); the
    tables they read are those of a full read, and touching the one left out is an error
    naming it, not an empty table."""
    from izreport.blocks.report import open_report

    where = store_source if source == "store" else DATA
    months = data.report_months(Period.parse("2021-H1"))
    part = data.load(where, months=months, tables=data.REPORT_TABLES)
    whole = data.load(where, months=months)
    assert "project_progress" not in data.REPORT_TABLES and len(whole.project_progress) > 0
    for name in data.REPORT_TABLES:
        pd.testing.assert_frame_equal(getattr(part, name), getattr(whole, name))
    for use in (lambda t: len(t), lambda t: t["quarter"], lambda t: t.empty,
                lambda t: list(t), lambda t: t.merge(whole.projects)):
        with pytest.raises(DataError, match="table 'project_progress' was not read"):
            use(part.project_progress)
    rep = open_report("2021-H1", data_dir=where)
    with pytest.raises(DataError, match="project_progress"):
        rep.data.project_progress.copy()
    with pytest.raises(DataError, match=r"unknown table.* progress; tables: zones"):
        data.load(where, tables=["zones", "progress"])


@pytest.mark.parametrize("period", ["2021-H1", "2021-H2", "2021-Q1", "2021-9m", "2021",
                                    "2021-01", "2021-07"])
def test_the_months_read_give_every_figure_of_the_whole_data(period: str) -> None:
    """A report computed from only the months it reads prints what the whole data give."""
    from izreport.blocks import metrics, monthly

    p = Period.parse(period)
    months = data.report_months(p)
    full = data.load(DATA)
    part = dataclasses.replace(full, monthly_reports=full.monthly_reports[
        full.monthly_reports["month"].isin(months)].reset_index(drop=True))
    assert len(part.monthly_reports) < len(full.monthly_reports)
    for ds in (full, part):
        ds.check_period(p)
    assert metrics.kpis(part, p) == metrics.kpis(full, p)
    assert metrics.kpis(part, p, "hoa-xa") == metrics.kpis(full, p, "hoa-xa")
    for by in ("zone_id", "ownership", "sector"):
        pd.testing.assert_frame_equal(metrics.breakdown(part, p, by),
                                      metrics.breakdown(full, p, by))
    pd.testing.assert_frame_equal(metrics.monthly(part, p, "export_value"),
                                  metrics.monthly(full, p, "export_value"))
    if p.kind == "month":
        assert monthly.month_figures(part, p).previous == monthly.month_figures(
            full, p).previous


def test_repeated_selections_are_the_same_rows(dataset: data.Dataset) -> None:
    """Selections are computed once and shared; each is what the rows' months give."""
    months = Period.parse("2021-Q2").months
    rows = dataset.reports
    for zone in (None, "hoa-xa"):
        want = rows[rows["month"].isin(months) & ((rows["zone_id"] == zone) if zone else True)]
        pd.testing.assert_frame_equal(dataset.select(months, zone), want)
        assert dataset.select(list(months), zone) is dataset.select(months, zone)
    assert dataset.select(["1999-01", "2021-04"]).equals(dataset.select(["2021-04"]))
    assert dataset.select([]).empty


def test_export_gives_back_the_exchange_files(store_source: Path | str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from izreport.commands.cli import app

    data.open_store(store_source)
    result = CliRunner().invoke(app, ["export", "--out", str(tmp_path / "csv"), "--data",
                                      str(store_source)])
    assert result.exit_code == 0, result.output
    for name in store.TABLES:
        assert (tmp_path / "csv" / f"{name}.csv").read_bytes() == \
            (DATA / f"{name}.csv").read_bytes(), name
    book = tmp_path / "bang.xlsx"
    data.export(book, ["plans", "zones"], store_source)
    sheets = pd.read_excel(book, sheet_name=None)
    assert list(sheets) == ["plans", "zones"] and len(sheets["plans"]) == 45
    with pytest.raises(DataError, match=r"unknown table.*workers"):
        data.export(tmp_path / "x", ["workers"], store_source)


def test_processes_opening_a_new_store_at_once_fill_it_once(tmp_path: Path) -> None:
    import subprocess
    import sys

    folder = tmp_path / "moi"
    code = ("import sys; from pathlib import Path; from izreport.storage.store import open_store; "
            "from izreport.storage.data import read_seed; "
            f"open_store(Path(sys.argv[1]), seed=Path({str(DATA)!r}), read_seed=read_seed); "
            "print('ok')")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(folder)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [o.strip() for o, _ in outputs] == ["ok"] * 4, [e[-300:] for _, e in outputs]
    opened = data.open_store(folder)
    assert [e["action"] for e in store.read_audit(opened)] == ["seed"]
    assert len(data.load(folder).monthly_reports) == 16036


def test_reading_no_months_reads_no_history(tmp_path: Path) -> None:
    """An ingest reads the store with months=(): no monthly rows and no project progress,
    so its cost does not grow with the quarters of history either."""
    from tests.conftest import sqlite_store

    folder = sqlite_store(tmp_path / "data")
    nothing = data.load(folder, months=())
    assert len(nothing.monthly_reports) == 0 and len(nothing.project_progress) == 0
    assert len(nothing.enterprises) > 0
    one = data.load(folder, months=["2024-05"])
    assert set(one.monthly_reports["month"]) == {"2024-05"}
    assert set(one.project_progress["quarter"]) == {"2024-Q2"}


@pytest.mark.parametrize("shuffled", [False, True])
def test_a_selection_is_the_rows_of_its_months_in_order_or_not(
        store_source: Path | str, shuffled: bool) -> None:
    """Rows in month order (as a store gives them) are selected as one run of rows; any
    other order by a mask: either way, exactly the rows of the months asked for."""
    months = data.report_months(Period.parse("2021-H1"))
    ds = data.load(store_source, months=months, tables=data.REPORT_TABLES)
    if shuffled:
        ds = dataclasses.replace(ds, monthly_reports=ds.monthly_reports.sample(
            frac=1, random_state=7).reset_index(drop=True))
    assert ds._months_in_order is not shuffled
    reports = ds.reports
    for wanted in (months[6:], months[:6], ["2021-03"], ["2020-02", "2021-05"],
                   ["2021-01", "2019-01", "2021-02"], ["1999-01"], []):
        for zone in (None, "hoa-xa"):
            expected = reports[reports["month"].isin(wanted)]
            if zone is not None:
                expected = expected[expected["zone_id"] == zone]
            pd.testing.assert_frame_equal(ds.select(wanted, zone), expected)


def test_rows_from_the_driver_become_the_csv_files_dtypes() -> None:
    """NULL text reads as '' and a NULL number as NaN, as in the exchange files; no rows
    give the typed, empty columns."""
    columns = {"t": "string", "f": "float64", "i": "int64"}
    frame = data._frame([("a", None, 1), (None, 2.5, 3)], columns)
    assert frame["t"].tolist() == ["a", ""] and frame["i"].tolist() == [1, 3]
    assert frame["f"].isna().tolist() == [True, False] and frame["f"].iloc[1] == 2.5
    assert {k: str(v) for k, v in frame.dtypes.items()} == {"t": "string", "f": "float64",
                                                            "i": "int64"}
    empty = data._frame([], columns)
    assert len(empty) == 0 and list(empty.dtypes.astype(str)) == ["string", "float64", "int64"]
