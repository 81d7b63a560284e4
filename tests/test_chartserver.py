"""A batch's workers draw their charts' SVG through one drawer in the batch's parent."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from izreport.blocks import vega
from izreport.pipeline.chartserver import ChartServer, DrawerGone, client

#: Vietnamese numbers in the axis: the drawer must keep the locale the process uses
SPEC: dict[str, Any] = {"data": {"values": [{"kcn": "Hòa Xá", "v": 12345.6},
                                            {"kcn": "Bảo Minh", "v": 987.25}]},
                        "mark": "bar", "encoding": {"x": {"field": "kcn", "type": "nominal"},
                                                    "y": {"field": "v", "type": "quantitative"}}}
#: vl-convert refuses to load data from the network
REFUSED: dict[str, Any] = {"data": {"url": "https://example.org/x.csv"}, "mark": "bar"}


def test_the_drawer_gives_the_svg_the_process_would_draw_itself() -> None:
    server = ChartServer().start()
    try:
        draw = client(server.address)
        svg = draw(SPEC)
        assert svg == vega.draw_locally(SPEC)
        assert "Hòa Xá" in svg and "12.000" in svg
        assert server.drawn == 1
        with pytest.raises(ValueError) as remote:
            draw(REFUSED)
        with pytest.raises(ValueError) as local:
            vega.draw_locally(REFUSED)
        assert str(remote.value) == str(local.value)
        assert "not allowed" in str(remote.value)
    finally:
        server.close()
    assert not Path(server.address).parent.exists()   # its private folder is removed
    with pytest.raises(DrawerGone):
        draw(SPEC)


def test_a_process_whose_drawer_is_gone_draws_its_charts_itself() -> None:
    asked: list[dict[str, Any]] = []

    def gone(spec: dict[str, Any]) -> str:
        asked.append(spec)
        raise DrawerGone("gone")

    vega.use_drawer(gone)
    try:
        assert vega.to_svg(SPEC) == vega.draw_locally(SPEC)
        assert vega.to_svg(SPEC) == vega.draw_locally(SPEC)
        assert len(asked) == 1                 # dropped after it failed once
    finally:
        vega.use_drawer(None)


def test_a_refusal_by_the_drawer_is_not_taken_for_a_lost_drawer() -> None:
    def refusing(spec: dict[str, Any]) -> str:
        raise ValueError("Vega-Lite to SVG conversion failed")

    vega.use_drawer(refusing)
    try:
        with pytest.raises(ValueError, match="conversion failed"):
            vega.to_svg(SPEC)
        with pytest.raises(ValueError, match="conversion failed"):   # still the drawer
            vega.to_svg(SPEC)
    finally:
        vega.use_drawer(None)


def test_charts_drawn_by_a_worker_process_match_and_its_folder_is_private() -> None:
    import multiprocessing

    server = ChartServer().start()
    try:
        assert os.stat(Path(server.address).parent).st_mode & 0o077 == 0
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            svg = pool.apply(_draw_in_another_process, (server.address,))
        assert svg == vega.draw_locally(SPEC) and server.drawn == 1
    finally:
        server.close()


def _draw_in_another_process(address: str) -> str:
    vega.use_drawer(client(address))
    vega.warm_up()                            # nothing to start: the drawer draws
    import sys

    assert "vl_convert" not in sys.modules
    return vega.to_svg(SPEC)


def test_any_failure_of_the_drawer_reaches_the_worker_as_a_named_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(spec: dict[str, Any]) -> str:
        raise RuntimeError("engine crashed")

    monkeypatch.setattr(vega, "draw_locally", broken)
    server = ChartServer().start()
    try:
        with pytest.raises(ValueError, match="RuntimeError: engine crashed"):
            client(server.address)(SPEC)
    finally:
        server.close()


def test_a_batch_without_a_drawer_draws_its_charts_in_the_workers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from izreport.pipeline import chartserver
    from izreport.pipeline.batch import Job, run_batch
    from izreport.pipeline.request import resolve
    from tests.conftest import DATA

    def no_socket(self: ChartServer) -> None:
        raise OSError("AF_UNIX path too long")

    monkeypatch.setattr(chartserver.ChartServer, "__init__", no_socket)
    jobs = [Job(resolve("half-year", {"period": "2021-H1", "zone": zone}, DATA))
            for zone in ("hoa-xa", "bao-minh")]
    summary = run_batch(jobs, tmp_path / "out", formats=["html"], workers=2, show=False)
    assert [r.ok for r in summary.results] == [True, True], [r.error for r in summary.results]
    for result in summary.results:
        page = result.files["html"].read_text(encoding="utf-8")
        assert "<svg" in page and vega.PENDING not in page
