"""Output folder: one render per stem at a time, leftovers of killed renders removed, a final
report never replaced by a draft."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from izreport.commands.cli import app
from izreport.core.errors import RenderError
from izreport.pipeline import outfolder
from izreport.pipeline.render import render

pytestmark = pytest.mark.usefixtures("english")
STEM = "half-year_2021-H1"


def _files(out: Path) -> dict[str, bytes | str]:
    return {str(p.relative_to(out)): (p.read_bytes() if p.is_file() else "dir")
            for p in sorted(out.rglob("*")) if ".state" not in p.parts}


def _final_notebook(out: Path) -> None:
    """An executed final render's notebook, as papermill records its parameters."""
    out.mkdir(parents=True, exist_ok=True)
    nb = {"cells": [], "nbformat": 4, "nbformat_minor": 5,
          "metadata": {"papermill": {"parameters": {"period": "2021-H1", "final": True,
                                                    "number": 5, "issued": "2021-07-05"}}}}
    (out / f"{STEM}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    (out / f"{STEM}.pdf").write_bytes(b"%PDF- the issued report")


def test_a_second_render_of_the_same_stem_refuses_at_once(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with outfolder.stem_lock(out, STEM):
        before = _files(out)
        with pytest.raises(outfolder.StemBusy, match="another render of this report is "
                                                     "writing it now"):
            render("half-year", {"period": "2021-H1"}, out)
        assert _files(out) == before
    with outfolder.stem_lock(out, STEM):      # released when the holder ends
        pass


def test_the_lock_is_per_stem(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with (outfolder.stem_lock(out, STEM), outfolder.stem_lock(out, f"{STEM}_hoa-xa"),
          pytest.raises(outfolder.StemBusy), outfolder.stem_lock(out, STEM)):
        pass


def test_only_this_stems_leftovers_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    mine = out / f".{STEM}.k2_x9a0b"
    others = [out / f".{STEM}_hoa-xa.k2_x9a0b", out / ".monthly_2021-01..2021-05.abcdefgh",
              out / f".{STEM}.abcdefgh.keep"]
    for folder in [mine, *others]:
        folder.mkdir(parents=True)
        (folder / f"{STEM}.html").write_text("half", encoding="utf-8")
    assert outfolder.clean_stale(out, STEM) == [mine]
    assert not mine.exists() and all(o.exists() for o in others)


def test_a_draft_never_replaces_a_final_report(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _final_notebook(out)
    before = _files(out)
    with pytest.raises(RenderError) as err:
        render("half-year", {"period": "2021-H1"}, out)
    assert str(err.value) == (
        f"{out}/{STEM}: the final report (number 5, issued 2021-07-05) is there and a draft "
        "must not replace it; render the draft into another folder with --out")
    assert _files(out) == before
    result = CliRunner().invoke(app, ["render", "half-year", "--period", "2021-H1",
                                      "--out", str(out)])
    assert result.exit_code == 1 and "a draft must not replace it" in result.output
    assert _files(out) == before


def test_a_render_removes_the_leftovers_of_killed_renders(tmp_path: Path) -> None:
    out = tmp_path / "out"
    stale = out / ".monthly_2021-06.abcd_123"
    stale.mkdir(parents=True)
    (stale / "monthly_2021-06.html").write_text("half-written", encoding="utf-8")
    result = render("monthly", {"period": "2021-06"}, out, formats=("html",))
    assert result.files["html"] == out / "monthly_2021-06.html"
    assert not stale.exists()
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [".state"]


def test_kernel_folders_of_processes_gone_are_removed(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import subprocess
    import sys
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = tmp_path / f"izk-{int(gone.stdout)}-ab_cd123"
    mine = tmp_path / f"izk-{os.getpid()}-ab_cd123"
    other = tmp_path / "izk-notapid-ab_cd123"
    for folder in (dead, mine, other):
        folder.mkdir()
        (folder / "kernel.json").write_text("{}", encoding="utf-8")
    assert outfolder.clean_stale_kernels() == [dead]
    assert not dead.exists() and mine.exists() and other.exists()


def test_a_render_keeps_its_kernel_files_in_one_folder_and_removes_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import tempfile

    from izreport.pipeline import kernels

    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    during: list[tuple[list[Path], str]] = []
    real = kernels.WarmKernel.shutdown

    def shutdown(self: kernels.WarmKernel) -> None:
        during.append((sorted(temp.iterdir()), self.km.connection_file))
        real(self)

    monkeypatch.setattr(kernels.WarmKernel, "shutdown", shutdown)
    render("monthly", {"period": "2021-06"}, tmp_path / "out", formats=("html",))
    ((folders, connection),) = during
    assert len(folders) == 1 and folders[0].name.startswith(f"izk-{os.getpid()}-")
    assert Path(connection).parent == folders[0]
    assert list(temp.iterdir()) == []      # sockets, connection file: all gone
