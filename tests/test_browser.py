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


def dump_dom(page: Path, profile: Path, *extra: str) -> str:
    """The DOM after scripts ran, from headless Chromium with networking switched off."""
    command = [
        *_no_network_prefix(), CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", *extra,
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


#: Measures, in a 390 px wide frame (a phone; headless Chromium's own window is at least
#: 500 px wide), each table caption against the screen, before and after its table is
#: scrolled sideways, and writes the findings into the page.
_PHONE = """<!doctype html><meta charset="utf-8"><body style="margin:0">
<iframe id="f" src="{page}" width="390" height="800" style="border:0"></iframe>
<pre id="out"></pre><script>
document.getElementById("f").addEventListener("load", () => {{
  const w = document.getElementById("f").contentWindow, d = w.document, rows = [];
  for (const wrap of d.querySelectorAll(".iz-table-wrap")) {{
    const caption = wrap.querySelector("caption");
    if (!caption) continue;
    const before = caption.getBoundingClientRect();
    wrap.scrollLeft = 10000;
    const after = caption.getBoundingClientRect();
    rows.push([wrap.scrollWidth > wrap.clientWidth, before.left, before.right, after.left,
               after.right, w.innerWidth].join(" "));
  }}
  document.getElementById("out").textContent = rows.join("\\n");
}});
</script>"""


def test_a_wide_tables_caption_stays_on_a_phones_screen(rendered: RenderResult,
                                                        tmp_path: Path) -> None:
    page = rendered.files["html"]
    frame = page.parent / "phone.html"
    frame.write_text(_PHONE.format(page=page.name), encoding="utf-8")
    dom = dump_dom(frame, tmp_path / "profile", "--allow-file-access-from-files")
    rows = [line.split() for line in re.search(r'<pre id="out">([^<]*)</pre>', dom)[1].split("\n")
            if line.strip()]
    assert len(rows) >= 5, rows
    wide = [r for r in rows if r[0] == "true"]
    assert wide   # some tables are wider than a phone and scroll
    for _wide, *edges in rows:
        left, right, left_after, right_after, screen = map(float, edges)
        assert left >= 0 and right <= screen          # the caption fits the screen ...
        assert abs(left_after - left) < 1 and abs(right_after - right) < 1  # ... and stays
