"""The board's identity, read from ``izreport.toml`` (or the file named by IZREPORT_CONFIG)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from izreport.errors import DataError

CONFIG_ENV = "IZREPORT_CONFIG"


@dataclass(frozen=True)
class Board:
    """Names printed on every report; configuration because provinces and boards get renamed."""

    province: str
    parent_agency: str
    name: str
    short_name: str
    abbreviation: str
    place: str


def config_path() -> Path:
    """IZREPORT_CONFIG if set, else the project's ``izreport.toml``."""
    env = os.environ.get(CONFIG_ENV)
    return Path(env) if env else Path(__file__).resolve().parents[1] / "izreport.toml"


def load_board(path: Path | None = None) -> Board:
    """Read the [board] table; a missing key is an error naming the file and the key."""
    path = path or config_path()
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("board", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DataError(f"{path}: cannot read board configuration: {exc}") from exc
    names = [f.name for f in fields(Board)]
    missing = [n for n in names if not str(table.get(n, "")).strip()]
    if missing:
        raise DataError(f"{path}: [board] is missing {', '.join(missing)}")
    return Board(**{n: str(table[n]) for n in names})
