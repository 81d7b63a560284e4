"""The board's data store: SQLAlchemy Core tables in SQLite (embedded) or PostgreSQL.

The schema is the one of the exchange CSV files (``data/README.md``) plus constraints (keys,
units, allowed values) and an audit of every write. Alembic migrations in
``izreport/storage/migrations`` create and upgrade it; :func:`open_store` applies them, so an
upgraded package migrates an existing database the first time it opens it.

SQLite runs in WAL mode: readers (a render, a notebook in JupyterLab) keep reading their
snapshot while one writer holds the write lock (``BEGIN IMMEDIATE``); a second writer waits.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from izreport.core.errors import DataError
from izreport.core.i18n import _
from izreport.storage import DB_NAME

#: The newest migration in ``izreport/storage/migrations/versions`` (a test keeps them equal).
HEAD = "0005"
#: Seconds a writer waits for another writer before giving up.
BUSY_TIMEOUT = 60

metadata = sa.MetaData()

FIGURES = ("production_value", "revenue", "export_value", "import_value", "budget_paid",
           "workers", "female_workers", "foreign_workers", "avg_income")
INDICATORS = ("production_value", "revenue", "export_value", "import_value", "budget_paid")


def _month(column: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} LIKE '____-__'", name=f"ck_%(table_name)s_{column}")


def _nonneg(column: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} >= 0", name=f"ck_%(table_name)s_{column}_nonneg")


def _one_currency(musd: str, bn_vnd: str) -> sa.CheckConstraint:
    """FDI amounts are in triệu USD, domestic ones in tỷ đồng: never both, never converted."""
    return sa.CheckConstraint(
        f"(ownership = 'FDI' AND {bn_vnd} IS NULL) OR (ownership = 'DDI' AND {musd} IS NULL)",
        name="ck_%(table_name)s_currency")


zones = sa.Table(
    "zones", metadata,
    sa.Column("zone_id", sa.String(40), primary_key=True),
    sa.Column("seq", sa.Integer, nullable=False, unique=True),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("kind", sa.String(3), nullable=False),
    sa.Column("district", sa.String(120)),
    sa.Column("total_area_ha", sa.Float),
    sa.Column("industrial_land_ha", sa.Float),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("established", sa.String(10)),
    sa.Column("operating_from", sa.String(7)),
    sa.CheckConstraint("kind IN ('KCN', 'CCN')", name="ck_zones_kind"),
    sa.CheckConstraint("status IN ('operating', 'filling', 'building', 'planned')",
                       name="ck_zones_status"),
    _nonneg("total_area_ha"), _nonneg("industrial_land_ha"),
)

zone_land = sa.Table(
    "zone_land", metadata,
    sa.Column("zone_id", sa.String(40), sa.ForeignKey("zones.zone_id"), primary_key=True),
    sa.Column("month", sa.String(7), primary_key=True),
    sa.Column("seq", sa.Integer, nullable=False, unique=True),
    sa.Column("leased_ha", sa.Float, nullable=False),
    _month("month"), _nonneg("leased_ha"),
)

enterprises = sa.Table(
    "enterprises", metadata,
    sa.Column("enterprise_id", sa.String(20), primary_key=True),
    sa.Column("seq", sa.Integer, nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("tax_code", sa.String(14), nullable=False),
    sa.Column("zone_id", sa.String(40), sa.ForeignKey("zones.zone_id"), nullable=False),
    sa.Column("vsic", sa.String(2), nullable=False),
    sa.Column("sector", sa.String(200), nullable=False),
    sa.Column("ownership", sa.String(3), nullable=False),
    sa.Column("investor_country", sa.String(80), nullable=False),
    sa.Column("registered_capital_musd", sa.Float),
    sa.Column("registered_capital_bn_vnd", sa.Float),
    sa.Column("start_month", sa.String(7), nullable=False),
    sa.Column("end_month", sa.String(7)),
    sa.CheckConstraint("ownership IN ('FDI', 'DDI')", name="ck_enterprises_ownership"),
    _one_currency("registered_capital_musd", "registered_capital_bn_vnd"),
    _month("start_month"),
    sa.CheckConstraint("end_month IS NULL OR end_month >= start_month",
                       name="ck_enterprises_span"),
)

monthly_reports = sa.Table(
    "monthly_reports", metadata,
    sa.Column("month", sa.String(7), primary_key=True),
    sa.Column("enterprise_id", sa.String(20), sa.ForeignKey("enterprises.enterprise_id"),
              primary_key=True),
    *(sa.Column(n, sa.Integer if n.endswith("workers") else sa.Float, nullable=False)
      for n in FIGURES),
    _month("month"),
    *(_nonneg(n) for n in FIGURES),
    sa.CheckConstraint("female_workers <= workers AND foreign_workers <= workers",
                       name="ck_monthly_reports_workers"),
)

plans = sa.Table(
    "plans", metadata,
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("scope", sa.String(40), primary_key=True),
    sa.Column("indicator", sa.String(20), primary_key=True),
    sa.Column("seq", sa.Integer, nullable=False, unique=True),
    sa.Column("target", sa.Float, nullable=False),
    sa.Column("unit", sa.String(6), nullable=False),
    sa.CheckConstraint("indicator IN ('production_value', 'revenue', 'export_value', "
                       "'import_value', 'budget_paid')", name="ck_plans_indicator"),
    sa.CheckConstraint("(unit = 'musd' AND indicator IN ('export_value', 'import_value')) OR "
                       "(unit = 'bn_vnd' AND indicator NOT IN ('export_value', "
                       "'import_value'))", name="ck_plans_unit"),
    _nonneg("target"),
)

projects = sa.Table(
    "projects", metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("project_id", sa.String(20), nullable=False, index=True),
    sa.Column("certificate_date", sa.String(10), nullable=False),
    sa.Column("zone_id", sa.String(40), sa.ForeignKey("zones.zone_id"), nullable=False),
    sa.Column("enterprise_id", sa.String(20), sa.ForeignKey("enterprises.enterprise_id")),
    sa.Column("ownership", sa.String(3), nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("investor_country", sa.String(80), nullable=False),
    sa.Column("capital_musd", sa.Float),
    sa.Column("capital_bn_vnd", sa.Float),
    sa.Column("land_ha", sa.Float),
    sa.Column("certificate_no", sa.String(40)),
    sa.Index("ix_projects_certificate_no", "certificate_no", unique=True),
    sa.CheckConstraint("ownership IN ('FDI', 'DDI')", name="ck_projects_ownership"),
    sa.CheckConstraint("kind IN ('new', 'increase', 'decrease', 'revoked')",
                       name="ck_projects_kind"),
    sa.CheckConstraint("certificate_date LIKE '____-__-__'", name="ck_projects_date"),
    _one_currency("capital_musd", "capital_bn_vnd"),
    _nonneg("capital_musd"), _nonneg("capital_bn_vnd"), _nonneg("land_ha"),
)

#: Enterprises that moved to another zone. ``enterprises.zone_id`` is the current zone; a
#: month before a move belongs to the zone moved from, so a move never rewrites history.
enterprise_moves = sa.Table(
    "enterprise_moves", metadata,
    sa.Column("enterprise_id", sa.String(20), sa.ForeignKey("enterprises.enterprise_id"),
              primary_key=True),
    sa.Column("month", sa.String(7), primary_key=True),     # first month in the new zone
    sa.Column("seq", sa.Integer, nullable=False, unique=True),
    sa.Column("from_zone", sa.String(40), sa.ForeignKey("zones.zone_id"), nullable=False),
    sa.Column("to_zone", sa.String(40), sa.ForeignKey("zones.zone_id"), nullable=False),
    _month("month"),
    sa.CheckConstraint("from_zone <> to_zone", name="ck_enterprise_moves_zones"),
)

#: What each project reports every quarter: its status and its implemented capital (vốn
#: thực hiện), cumulative since certification, FDI in triệu USD and domestic in tỷ đồng.
project_progress = sa.Table(
    "project_progress", metadata,
    sa.Column("project_id", sa.String(20), primary_key=True),
    sa.Column("quarter", sa.String(7), primary_key=True, index=True),   # reports read a span
    sa.Column("seq", sa.Integer, nullable=False, unique=True),
    sa.Column("ownership", sa.String(3), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("implemented_capital_musd", sa.Float),
    sa.Column("implemented_capital_bn_vnd", sa.Float),
    sa.CheckConstraint("quarter LIKE '____-Q_'", name="ck_project_progress_quarter"),
    sa.CheckConstraint("ownership IN ('FDI', 'DDI')", name="ck_project_progress_ownership"),
    sa.CheckConstraint("status IN ('building', 'operating', 'stopped')",
                       name="ck_project_progress_status"),
    sa.CheckConstraint(
        "(ownership = 'FDI' AND implemented_capital_bn_vnd IS NULL AND "
        "implemented_capital_musd IS NOT NULL) OR (ownership = 'DDI' AND "
        "implemented_capital_musd IS NULL AND implemented_capital_bn_vnd IS NOT NULL)",
        name="ck_project_progress_currency"),
    _nonneg("implemented_capital_musd"), _nonneg("implemented_capital_bn_vnd"),
)

#: One row per file (or seed) written into the store: who, when, what, with which effect.
audit = sa.Table(
    "audit", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("time", sa.String(20), nullable=False),
    sa.Column("user_name", sa.String(80), nullable=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("table_name", sa.String(40), nullable=False),
    sa.Column("file_name", sa.String(255), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("month", sa.String(7)),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("added", sa.Integer, nullable=False),
    sa.Column("replaced", sa.Integer, nullable=False),
    sa.Column("unchanged", sa.Integer, nullable=False),
    sa.Column("blank", sa.Integer, nullable=False),
    sa.Column("format", sa.String(80), nullable=False),
    sa.CheckConstraint("action IN ('seed', 'ingest')", name="ck_audit_action"),
)

#: The values a write replaced: one row per replaced record, old and new as JSON.
audit_values = sa.Table(
    "audit_values", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("audit_id", sa.Integer, sa.ForeignKey("audit.id"), nullable=False, index=True),
    sa.Column("record", sa.String(80), nullable=False),
    sa.Column("old", sa.Text, nullable=False),
    sa.Column("new", sa.Text, nullable=False),
)

#: Exchange tables in load order (parents first) and the order their rows are read in.
TABLES: dict[str, sa.Table] = {
    "zones": zones, "zone_land": zone_land, "enterprises": enterprises,
    "monthly_reports": monthly_reports, "plans": plans, "projects": projects,
    "enterprise_moves": enterprise_moves, "project_progress": project_progress,
}
ORDER: dict[str, tuple[str, ...]] = {
    "zones": ("seq",), "zone_land": ("seq",), "enterprises": ("seq",),
    "monthly_reports": ("month", "enterprise_id"), "plans": ("seq",), "projects": ("seq",),
    "enterprise_moves": ("seq",), "project_progress": ("seq",),
}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT * 1000}")
    cursor.close()
    # transactions are begun by SQLAlchemy's "begin" event below, not by pysqlite
    dbapi_connection.isolation_level = None


def _sqlite_begin(conn: sa.Connection) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


@dataclass(frozen=True)
class Store:
    """An open store: its engine and the name it is shown by in messages."""

    engine: sa.Engine
    label: str
    folder: Path | None       # the data folder of an embedded store, None for a server

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def reading(self) -> Iterator[sa.Connection]:
        """One consistent snapshot for every query inside (a render reads one state)."""
        options = {} if self.is_sqlite else {"isolation_level": "REPEATABLE READ"}
        with self.engine.connect().execution_options(**options) as conn, conn.begin():
            yield conn

    @contextmanager
    def writing(self) -> Iterator[sa.Connection]:
        """One transaction holding the write lock from its start; all or nothing."""
        options = {"sqlite_begin": "IMMEDIATE"} if self.is_sqlite else {}
        with self.engine.connect().execution_options(**options) as conn, conn.begin():
            if not self.is_sqlite:  # one writer at a time, as SQLite's write lock gives
                conn.execute(sa.text("LOCK TABLE audit IN EXCLUSIVE MODE"))
            yield conn

    def revision(self) -> str:
        """Changes whenever data are written (every write adds an audit entry): the last
        audit entry's id, for render fingerprints."""
        with self.reading() as conn:
            last = conn.execute(sa.select(sa.func.max(audit.c.id))).scalar()
        return str(last)


def migrations_dir() -> Path:
    return Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: sa.Connection | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.attributes["connection"] = connection
    return cfg


def current_revision(engine: sa.Engine) -> str | None:
    """The migration a database is at (None for a new one), read without Alembic."""
    with engine.connect() as conn:
        return _revision(conn)


def _revision(conn: sa.Connection) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Apply the migrations up to ``revision`` (all of them by default).

    An up-to-date store is recognised without importing Alembic (it costs every process,
    a render's kernel included, a noticeable part of a second). Migrations run under the
    write lock, so processes opening a new store at once migrate it once.
    """
    target = HEAD if revision == "head" else revision
    if current_revision(engine) == target:
        return
    from alembic import command

    cfg = alembic_config()
    with engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(20250701)"))
        if _revision(conn) == target:
            return                                   # another process has just done it
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def make_engine(url: str) -> sa.Engine:
    """An engine for a URL; SQLite gets WAL, foreign keys and explicit transactions."""
    try:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise DataError(_("database URL {url!r}: {exc}").format(
            url=hide_password(url), exc=exc)) from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def hide_password(url: str) -> str:
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{(folder / DB_NAME).absolute()}"


#: Reads a folder of exchange CSV files to fill an empty store: the checked tables (one
#: attribute per table of TABLES) and a digest of the files. The reading belongs to
#: :mod:`izreport.storage.data` (``read_seed``), which imports this module, not the reverse.
SeedReader = Callable[[Path], tuple[Any, str]]


def open_store(folder: Path | None = None, url: str | None = None, *,
               seed: Path | None = None, create: bool = True,
               read_seed: SeedReader | None = None) -> Store:
    """Open (and migrate) the store of a data folder or at a URL; fill an empty one.

    An empty store is filled from ``seed`` (a folder of exchange CSV files), else from the
    CSV files of the data folder itself, read by ``read_seed``, in one transaction. A store
    that cannot be filled (a broken CSV file) is removed again if this call created it:
    nothing half-made stays.
    """
    if url is None and folder is None:
        raise DataError(_("no data folder or database URL given"))
    if url is not None:
        return _open(url, folder, seed, read_seed, created=False)
    assert folder is not None
    path = folder / DB_NAME
    if not path.exists():
        if not create:
            raise DataError(_("{path}: no store in the data folder").format(path=path))
        folder.mkdir(parents=True, exist_ok=True)
    # processes opening one new store at once: one creates, migrates and fills it, the
    # others wait and find it made (else a failing creator would remove it under them)
    with _opening(folder):
        return _open(sqlite_url(folder), folder, seed, read_seed, created=not path.exists())


@contextmanager
def _opening(folder: Path) -> Iterator[None]:
    """An exclusive lock on the folder's store while it is opened (created, migrated)."""
    import fcntl

    with open(folder / f".{DB_NAME}.lock", "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _open(url: str, folder: Path | None, seed: Path | None, read_seed: SeedReader | None,
          created: bool) -> Store:
    engine = make_engine(url)
    label = str(folder / DB_NAME) if folder is not None else hide_password(url)
    store = Store(engine, label, folder)
    try:
        upgrade(engine)
        if _is_empty(store):
            source = seed or folder
            if source is None or read_seed is None or not any(source.glob("*.csv")):
                raise DataError(_("{label}: the store is empty and there is no sample to fill it "
                                  "from (CSV files in {source})").format(
                                      label=label, source=source))
            seed_from_csv(store, source, read_seed)
    except sa.exc.OperationalError as exc:
        engine.dispose()
        if created:
            _remove_sqlite(folder)  # type: ignore[arg-type]
        raise DataError(_("{label}: cannot open the store: {orig}").format(
            label=label, orig=exc.orig)) from exc
    except BaseException:
        engine.dispose()
        if created:
            _remove_sqlite(folder)  # type: ignore[arg-type]
        raise
    return store


def _remove_sqlite(folder: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        (folder / f"{DB_NAME}{suffix}").unlink(missing_ok=True)


def _is_empty(store: Store) -> bool:
    with store.reading() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(zones)).scalar() == 0


def _records(frame: Any, table: sa.Table, start: int = 0) -> list[dict[str, Any]]:
    """Frame rows as dicts for an insert: NaN and '' become NULL, a ``seq`` numbers them."""
    names = [c.name for c in table.columns if c.name in frame.columns]
    out = []
    for i, row in enumerate(frame[names].itertuples(index=False, name=None)):
        rec = {n: (None if v is None or v != v or v == "" else
                   (v.item() if hasattr(v, "item") else v)) for n, v in zip(names, row,
                                                                          strict=True)}
        if "seq" in table.columns:
            rec["seq"] = start + i
        out.append(rec)
    return out


def seed_from_csv(store: Store, folder: Path, read_seed: SeedReader) -> None:
    """Load every exchange CSV file of ``folder`` (checked as on reading) in one transaction."""
    ds, digest = read_seed(folder)
    with store.writing() as conn:
        if conn.execute(sa.select(sa.func.count()).select_from(zones)).scalar():
            return                                   # another process has just filled it
        for name, table in TABLES.items():
            rows = _records(getattr(ds, name), table)
            try:
                for start in range(0, len(rows), 50_000):
                    conn.execute(table.insert(), rows[start:start + 50_000])
            except sa.exc.IntegrityError as exc:
                raise DataError(_("{value}: breaks a rule of the store: {orig}").format(
                    value=folder / (name + '.csv'), orig=_first_line(exc.orig))) from exc
        record_audit(conn, action="seed", table_name="*", file_name=str(folder.name),
                     sha256=digest, month=None, rows=len(ds.monthly_reports),
                     added=len(ds.monthly_reports), replaced=0, unchanged=0, blank=0,
                     fmt="csv")


def _first_line(error: object) -> str:
    return str(error).strip().splitlines()[0]


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def current_user() -> str:
    """Who writes: IZREPORT_USER if set (a web front end), else the login name."""
    try:
        return os.environ.get("IZREPORT_USER") or getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


def record_audit(conn: sa.Connection, *, action: str, table_name: str, file_name: str,
                 sha256: str, month: str | None, rows: int, added: int, replaced: int,
                 unchanged: int, blank: int, fmt: str,
                 replaced_values: Sequence[tuple[str, Mapping[str, Any], Mapping[str, Any]]]
                 = ()) -> int:
    """Add one audit entry (and the values it replaced); returns its id."""
    audit_id = conn.execute(audit.insert().values(
        time=now_utc(), user_name=current_user(), action=action, table_name=table_name,
        file_name=file_name, sha256=sha256, month=month, rows=rows, added=added,
        replaced=replaced, unchanged=unchanged, blank=blank, format=fmt,
    )).inserted_primary_key[0]
    if replaced_values:
        conn.execute(audit_values.insert(), [
            {"audit_id": audit_id, "record": record,
             "old": json.dumps(dict(old), ensure_ascii=False, sort_keys=True),
             "new": json.dumps(dict(new), ensure_ascii=False, sort_keys=True)}
            for record, old, new in replaced_values])
    return int(audit_id)


def read_audit(store: Store) -> list[dict[str, Any]]:
    """Every audit entry, oldest first, with the values each one replaced."""
    with store.reading() as conn:
        entries = [dict(r._mapping) for r in conn.execute(
            sa.select(audit).order_by(audit.c.id))]
        values: dict[int, list[dict[str, Any]]] = {}
        for r in conn.execute(sa.select(audit_values).order_by(audit_values.c.id)):
            values.setdefault(r.audit_id, []).append(
                {"record": r.record, "old": json.loads(r.old), "new": json.loads(r.new)})
    for entry in entries:
        entry["values"] = values.get(entry["id"], [])
    return entries
