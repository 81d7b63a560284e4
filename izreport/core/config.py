"""The board's identity and official-form settings, read from ``izreport.toml``.

``IZREPORT_CONFIG`` names another file. Everything a reader sees about who issues a report
(province, agency, signer, recipients, number pattern, multi-year targets) comes from
here, because provinces and boards get renamed and merged.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any

from izreport.core.errors import DataError
from izreport.core.i18n import _

CONFIG_ENV = "IZREPORT_CONFIG"


@dataclass(frozen=True)
class Board:
    """Names printed on every report."""

    province: str
    parent_agency: str
    name: str
    short_name: str
    abbreviation: str
    place: str
    number_pattern: str


@dataclass(frozen=True)
class Signature:
    """The signature block: authority line, title and the signer's name."""

    authority: str
    title: str
    name: str


@dataclass(frozen=True)
class Recipients:
    """'Nơi nhận': recipients, then the archive line."""

    list: tuple[str, ...]
    archive: str


@dataclass(frozen=True)
class Targets:
    """The province's multi-year investment targets."""

    period: str
    first_year: int
    last_year: int
    source: str
    total_bn_vnd: float
    fdi_musd: float
    domestic_bn_vnd: float


@dataclass(frozen=True)
class Config:
    """All of ``izreport.toml``."""

    path: Path
    board: Board
    signature: Signature
    recipients: Recipients
    targets: Targets

    def document_number(self, number: int | None) -> str:
        """'05/BC-BQLCKCN'; blank number (to be filled when issued) when None."""
        shown = f"{number:02d}" if number is not None else "\u2002" * 5
        return self.board.number_pattern.format(number=shown,
                                                abbreviation=self.board.abbreviation)


def config_path() -> Path:
    """IZREPORT_CONFIG if set, else the project's ``izreport.toml``."""
    env = os.environ.get(CONFIG_ENV)
    return Path(env) if env else Path(__file__).resolve().parents[2] / "izreport.toml"


def _section(path: Path, doc: dict[str, Any], name: str, cls: type) -> Any:
    table = doc.get(name)
    if not isinstance(table, dict):
        raise DataError(_("{path}: missing table [{name}]").format(path=path, name=name))
    values = {}
    for f in fields(cls):
        if f.name not in table or table[f.name] in ("", None, []):
            raise DataError(_("{path}: [{name}] is missing '{name2}'").format(
                path=path, name=name, name2=f.name))
        value = table[f.name]
        values[f.name] = tuple(str(v) for v in value) if isinstance(value, list) else value
    return cls(**values)


@cache
def _load(path: Path, mtime: float) -> Config:
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DataError(_("{path}: cannot read the configuration: {exc}").format(
            path=path, exc=exc)) from exc
    return Config(
        path=path,
        board=_section(path, doc, "board", Board),
        signature=_section(path, doc, "signature", Signature),
        recipients=_section(path, doc, "recipients", Recipients),
        targets=_section(path, doc, "targets", Targets),
    )


def load_config(path: Path | None = None) -> Config:
    """Read and check the configuration; a missing key names the file, table and key."""
    path = path or config_path()
    try:
        mtime = path.stat().st_mtime
    except OSError as exc:
        raise DataError(_("{path}: cannot read the configuration: {exc}").format(
            path=path, exc=exc)) from exc
    return _load(path, mtime)


def load_board(path: Path | None = None) -> Board:
    """Just the [board] table."""
    return load_config(path).board


@dataclass(frozen=True)
class StoreSettings:
    """Where the data live: ``[store]`` of the configuration (all keys optional)."""

    folder: Path            # data folder of the embedded store (SQLite)
    url: str | None         # a database URL (PostgreSQL) instead of the folder
    seed: Path | None       # exchange CSV files that fill an empty store
    texts: Path             # the hand-written sections (reports/<period>.md)
    outputs: Path           # rendered reports, forms workbooks, the run log


def _optional_table(path: Path, name: str, known: tuple[str, ...]) -> dict[str, Any] | None:
    """An optional table of the configuration (None when absent); unknown keys are errors."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DataError(_("{path}: cannot read the configuration: {exc}").format(
            path=path, exc=exc)) from exc
    table = doc.get(name)
    if table is not None and not isinstance(table, dict):
        raise DataError(_("{path}: [{name}] must be a table").format(path=path, name=name))
    unknown = sorted(set(table or {}) - set(known))
    if unknown:
        raise DataError(_("{path}: [{name}] has unknown key(s) {items} (known: {items2})").format(
            path=path, name=name, items=', '.join(unknown), items2=', '.join(known)))
    return table


def store_settings(path: Path | None = None) -> StoreSettings:
    """``[store]``: relative folders are taken from the configuration file's folder.

    Without the table the store is ``var/data`` and the seed ``data`` in the project: a
    folder that git ignores, filled from the committed sample; outputs go to ``outputs``.
    """
    path = path or config_path()
    root = Path(__file__).resolve().parents[2]
    table = _optional_table(path, "store", ("folder", "url", "seed", "texts", "outputs"))
    base = path.resolve().parent if table is not None else root
    table = table or {}

    def folder(key: str, default: str) -> Path | None:
        value = table.get(key, default)
        if not isinstance(value, str):
            raise DataError(_("{path}: [store] '{key}' must be a text (a folder)").format(
                path=path, key=key))
        return (base / value) if value else None

    url = table.get("url") or None
    if url is not None and (not isinstance(url, str) or "://" not in url):
        raise DataError(_("{path}: [store] 'url' must be a database URL such as "
                          "postgresql+psycopg://user@host/izreport").format(path=path))
    store, texts = folder("folder", "var/data"), folder("texts", "reports")
    outputs = folder("outputs", "outputs")
    if store is None or texts is None or outputs is None:
        raise DataError(_("{path}: [store] 'folder', 'texts' and 'outputs' must not be empty")
                        .format(path=path))
    return StoreSettings(folder=store, url=url, seed=folder("seed", "data"), texts=texts,
                         outputs=outputs)


def outputs_dir(path: Path | None = None) -> Path:
    """Where commands write what they make when no ``--out`` is given: ``[store] outputs``.

    A server keeps it outside the checkout (``/var/lib/izreport/outputs``) like the data.
    """
    return store_settings(path).outputs


CELL_TIMEOUT_ENV = "IZREPORT_CELL_TIMEOUT"
REPORT_TIMEOUT_ENV = "IZREPORT_REPORT_TIMEOUT"


@dataclass(frozen=True)
class RenderLimits:
    """How long a render may run: ``[render]`` of the configuration, in seconds.

    A looping cell or a hung library would otherwise hold ``run-due`` and its lock forever.
    The defaults are far above a real report (a half-year report executes in about 10 s).
    """

    cell_timeout: int = 600       # one cell
    report_timeout: int = 1800    # the whole notebook


def _seconds(where: str, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        value = None
    try:
        seconds = int(value) if value is not None else 0
    except ValueError:
        seconds = 0
    if seconds <= 0:
        raise DataError(_("{where}: '{key}' must be a positive whole number of seconds (got "
                          "{value!r})").format(where=where, key=key, value=value))
    return seconds


def render_limits(path: Path | None = None) -> RenderLimits:
    """``[render]`` cell_timeout and report_timeout; the environment (CLI options) wins."""
    path = path or config_path()
    table = _optional_table(path, "render", ("cell_timeout", "report_timeout")) or {}
    values = {}
    for key, env in (("cell_timeout", CELL_TIMEOUT_ENV), ("report_timeout", REPORT_TIMEOUT_ENV)):
        if os.environ.get(env):
            values[key] = _seconds(env, key, os.environ[env])
        elif key in table:
            values[key] = _seconds(f"{path} [render]", key, table[key])
    return RenderLimits(**values)


def publish_drafts(path: Path | None = None) -> bool:
    """``[publish] drafts``: whether drafts (DỰ THẢO) go to the intranet (default: no).

    A page on the intranet is read as the board's report; a draft there (red placeholders,
    sections missing) gets quoted as if it were issued. So drafts stay in the output folder
    unless the board asks for them, e.g. to circulate them for comments.
    """
    path = path or config_path()
    table = _optional_table(path, "publish", ("drafts",)) or {}
    value = table.get("drafts", False)
    if not isinstance(value, bool):
        raise DataError(f"{path}: [publish] 'drafts' must be true or false, not {value!r}")
    return value
