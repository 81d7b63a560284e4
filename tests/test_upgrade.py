"""An installation that has ingested data upgrades with `git pull` and `make report`.

The data live in a folder that git ignores (``var/data``), so pulling an upstream change to
the committed sample neither conflicts with the store nor loses what was ingested. The test
uses the real Makefile target in a real clone; only the virtual environment is this one's
(``make -o`` keeps it from being rebuilt), with the clone's package first on the path.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(sys.executable).parent.parent


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _git(cwd: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.org")
    return _run(["git", *args], cwd, env)


def test_git_pull_and_make_report_keep_the_ingested_rows(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    origin.mkdir()
    files = _git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, files.split("\0")):
        if (ROOT / name).is_file():
            (origin / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, origin / name)
    _git(origin, "init", "-q", "-b", "main")
    _git(origin, "add", "-A")
    _git(origin, "commit", "-q", "-m", "release")
    clone = tmp_path / "server"
    _git(tmp_path, "clone", "-q", str(origin), str(clone))

    env = {k: v for k, v in os.environ.items() if not k.startswith("IZREPORT_")}
    env["PYTHONPATH"] = str(clone)
    env["IZREPORT_LANG"] = "en"  # the wording checked below is the English msgid
    make = ["make", "-o", f"{VENV}/.runtime", f"VENV={VENV}", "report"]
    izreport = [str(VENV / "bin" / "izreport")]
    months = [str(VENV / "bin" / "python"), "-c",
              "from izreport.storage.data import data_months, describe; "
              "print(describe(), data_months()[-1])"]

    assert "html  outputs/half-year_2021-H1.html" in _run(make, clone, env)
    subs = clone / "data" / "submissions" / "2025-07"
    out = _run([*izreport, "ingest", str(subs / "bao-cao-2025-07.xlsx"),
                str(subs / "bo-sung-2025-07.csv")], clone, env)
    assert "185 added" in out
    assert _run(months, clone, env).split() == [str(clone / "var" / "data"), "2025-07"]
    assert _git(clone, "status", "--porcelain") == ""          # nothing tracked was touched

    zones = origin / "data" / "zones.csv"                      # an upstream sample change
    zones.write_text(zones.read_text(encoding="utf-8").replace(
        "Thành phố Nam Định", "Phường Nam Định", 1), encoding="utf-8")
    _git(origin, "commit", "-q", "-am", "sample: zone district renamed")
    _git(clone, "pull", "-q", "--ff-only")
    assert "Phường Nam Định" in (clone / "data" / "zones.csv").read_text(encoding="utf-8")

    assert "pdf   outputs/half-year_2021-H1.pdf" in _run(make, clone, env)
    assert _run(months, clone, env).split()[-1] == "2025-07"   # the ingested month is kept
