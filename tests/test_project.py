"""Set-up promises: pinned environment in step, CI calls make test, README quick start."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pins(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    return {n.lower().replace("_", "-"): v
            for n, v in re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", text, re.M)}


def test_environment_yml_matches_the_pinned_requirements() -> None:
    # one conda environment for everything: the project's pins and JupyterLab's
    pins = _pins(ROOT / "requirements-lab.txt") | _pins(ROOT / "requirements-dev.txt")
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert "conda-forge" in env["channels"]
    checked = 0
    for dep in env["dependencies"]:
        specs = dep["pip"] if isinstance(dep, dict) else [dep]
        for spec in specs:
            match = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*==?\s*(\S+)", spec)
            if not match or match.group(1) == "python":
                continue
            name, version = match.group(1).lower(), match.group(2)
            pinned = pins.get(name)
            assert pinned == version, f"{name}: environment.yml {version}, pinned {pinned}"
            checked += 1
    direct = {"pandas", "altair", "papermill", "nbconvert", "weasyprint", "vl-convert-python"}
    assert checked >= len(direct)
    named = {re.split(r"[=<>]", d if isinstance(d, str) else "")[0] for d in env["dependencies"]}
    named |= {re.split(r"[=<>]", s)[0] for d in env["dependencies"] if isinstance(d, dict)
              for s in d["pip"]}
    assert direct <= named


def test_runtime_pins_are_exact() -> None:
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith((" ", "#")):
            assert "==" in line, line


def test_ci_runs_make_test_and_readme_starts_with_the_two_commands() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme[: readme.index("make test") + 20]
    assert "make report" in quick
    assert "synthetic" in readme.lower()


def test_fonts_are_shipped_with_their_licence() -> None:
    fonts = ROOT / "izreport" / "fonts"
    assert (fonts / "LICENSE-OFL.txt").is_file()
    assert {p.name for p in fonts.glob("LiberationSerif-*.ttf")} >= {
        "LiberationSerif-Regular.ttf", "LiberationSerif-Bold.ttf", "LiberationSerif-Italic.ttf"}


def test_an_environment_built_from_other_pins_is_built_again_from_nothing(
        tmp_path: Path) -> None:
    """``pip install -r`` never removes a package a former pin brought; the Makefile
    removes the environment when the pins change (here its first target only: no
    installation), and leaves it alone while they do not."""
    import os
    import shutil
    import subprocess
    import time

    for name in ("Makefile", "requirements.txt", "requirements-dev.txt"):
        shutil.copy2(ROOT / name, tmp_path / name)
    venv = tmp_path / ".venv"
    venv.mkdir()
    stray = venv / "left-by-an-old-pin"
    stray.touch()

    def make() -> None:
        subprocess.run(["make", "-s", "-C", str(tmp_path), ".venv/.pins"], check=True,
                       capture_output=True, timeout=60)

    make()                                   # built before pins were recorded: again
    assert (venv / ".pins").is_file() and not stray.exists()
    stray.touch()
    make()                                   # the same pins: kept as it is
    assert stray.exists()
    later = time.time() + 5
    os.utime(tmp_path / "requirements-dev.txt", (later, later))   # `make lock`, a pull
    make()
    assert not stray.exists() and (venv / ".pins").is_file()
