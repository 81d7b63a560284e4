"""The intranet page in a real browser with no network: the charts must still draw."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from izreport.pipeline.render import RenderResult

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "chromium"


def _no_network_prefix() -> list[str]:
    """Run in a fresh network namespace (no interfaces but a down loopback) when allowed."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return [unshare, "-n"]
    return []


def dump_dom(page: Path, profile: Path) -> str:
    """The DOM after scripts ran, from headless Chromium with networking switched off."""
    command = [
        *_no_network_prefix(), CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--no-first-run",
        "--disable-sync", f"--user-data-dir={profile}", "--host-resolver-rules=MAP * ~NOTFOUND",
        "--virtual-time-budget=15000", "--dump-dom", page.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_charts_draw_offline(rendered: RenderResult, tmp_path: Path) -> None:
    dom = dump_dom(rendered.files["html"], tmp_path / "profile")
    charts = dom.count('class="iz-chart"')
    assert charts == 4  # occupancy, two monthly series, production by zone
    assert dom.count('data-iz-drawn="true"') == charts
    assert 'data-iz-error="' not in dom
    # vega drew its own SVG (class "marks") in place of the static one, which is gone
    assert 'class="iz-static"' not in dom
    assert dom.count('<div class="iz-live vega-embed"') == charts
    # Vega's view (with its English ARIA words) is hidden: the Vietnamese label speaks
    assert len(re.findall(r'<div class="iz-live[^"]*" aria-hidden="true"', dom)) == charts
    assert len(re.findall(r'<svg[^>]*class="marks"', dom)) == charts
    assert "Tháng 1" in dom  # axis labels from the spec, in Vietnamese
    live = dom[dom.index('class="iz-live'):]
    assert re.search(r">\d{1,3}\.000<", live)  # axis ticks drawn by Vega: "2.000", "." thousands


def test_monthly_report_charts_draw_offline(tmp_path: Path) -> None:
    from izreport.pipeline.render import render
    from tests.conftest import DATA

    result = render("monthly", {"period": "2021-06"}, tmp_path / "out", formats=["html"],
                    data_dir=DATA)
    dom = dump_dom(result.files["html"], tmp_path / "profile")
    charts = dom.count('class="iz-chart"')
    assert charts >= 1 and dom.count('data-iz-drawn="true"') == charts
    assert 'class="iz-static"' not in dom
