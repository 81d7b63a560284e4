"""Nothing that loads from the network reaches a page: the scanner, the exporters, a render."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest

from izreport.core.errors import NetworkOutputError, RenderError
from izreport.formats.offline import (
    check_notebook,
    check_page,
    code_urls,
    html_findings,
    is_remote,
    notebook_findings,
    output_findings,
)

CDN = "https://cdn.jsdelivr.net/npm/vega@5"

LOADING_HTML = [
    f'<script src="{CDN}"></script>',
    '<script type="module" src="//cdn.example.org/x.js"></script>',
    '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">',
    '<link rel="preconnect" href="HTTPS://cdn.example.org">',
    '<img src="http://example.org/a.png" alt="">',
    '<img src="a.png" srcset="a.png 1x, https://example.org/a2.png 2x" alt="">',
    '<picture><source srcset="//example.org/a.webp"><img src="a.png" alt=""></picture>',
    '<iframe src="https://example.org/embed"></iframe>',
    '<iframe srcdoc="&lt;img src=&quot;https://example.org/a.png&quot;&gt;"></iframe>',
    '<object data="https://example.org/a.svg"></object>',
    '<embed src="https://example.org/a.swf">',
    '<video poster="https://example.org/p.jpg"></video>',
    '<audio src="https://example.org/a.mp3"></audio>',
    '<base href="https://example.org/">',
    '<table background="https://example.org/bg.png"></table>',
    '<meta http-equiv="refresh" content="0; url=https://example.org/">',
    '<div style="background: url(https://example.org/bg.png)"></div>',
    "<style>@import 'https://example.org/a.css';</style>",
    "<style>@import url(//example.org/a.css) screen;</style>",
    "<style>.a { background-image: url( \"https://example.org/a.png\" ) }</style>",
    "<style>.a { background: image-set('https://example.org/a.png' 1x) }</style>",
    "<style>@font-face { font-family: X; src: url(https://example.org/x.woff2) }</style>",
    # browsers drop tabs and newlines inside a URL and read backslashes as slashes
    '<img src=" ht\ttps://example.org/a.png" alt="">',
    '<img src="\\\\example.org\\a.png" alt="">',
    '<svg xmlns="http://www.w3.org/2000/svg"><image href="https://example.org/a.png"/></svg>',
    '<svg><use xlink:href="https://example.org/s.svg#i"/></svg>',
    '<svg><rect fill="url(https://example.org/g.svg#g)"/></svg>',
    # code that runs: any network address in it
    '<script>var s = document.createElement("script"); s.src = "https://cdn.x.org/v.js";'
    "</script>",
    '<script>requirejs.config({paths: {vega: "//cdn.jsdelivr.net/npm/vega@5?noext"}});</script>',
    '<script type="module">import("https:\\/\\/cdn.jsdelivr.net/npm/vega@5");</script>',
    '<img src="a.png" alt="" onerror="this.src=\'https://example.org/b.png\'">',
    '<script type="importmap">{"imports": {"vega": "https://cdn.example.org/vega.js"}}</script>',
    # a Vega-Lite spec whose data come from the network
    '<script type="application/json">{"$schema": "https://vega.github.io/schema/vega-lite/'
    'v5.json", "data": {"url": "https://example.org/d.csv"}, "mark": "bar"}</script>',
]

HARMLESS_HTML = [
    '<a href="https://example.org/">nguồn</a>',
    '<p><a href="//example.org/">nguồn</a><area href="https://example.org/"></p>',
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
    '<rect clip-path="url(#clip1)"/><use href="#i"/></svg>',
    '<script type="application/json" id="s">{"$schema": "https://vega.github.io/schema/'
    'vega-lite/v5.json", "data": {"values": [{"a": 1}]}, "mark": "bar"}</script>',
    '<img src="data:image/png;base64,iVBORw0KGgo=" alt="">',
    '<div style="background: url(data:image/svg+xml;utf8,%3Csvg%3E%3C/svg%3E)"></div>',
    '<img src="charts/a.png" alt=""><link rel="stylesheet" href="style.css">',
    '<script>var ns = "http://www.w3.org/2000/svg"; '
    'document.createElementNS(ns, "svg"); // 1 / 2</script>',
    "<pre>Xem https://example.org/ để biết thêm.</pre>",
    '<script type="text/x-template">https://example.org/</script>',
]


@pytest.mark.parametrize("html", LOADING_HTML)
def test_each_loading_form_is_found(html: str) -> None:
    found = html_findings(html)
    assert found, html
    assert all(is_remote(f.url) or code_urls(f'"{f.url}"') for f in found)


@pytest.mark.parametrize("html", HARMLESS_HTML)
def test_each_harmless_form_is_accepted(html: str) -> None:
    assert html_findings(html) == []


def test_what_counts_as_remote() -> None:
    assert is_remote("https://x.org") and is_remote("HTTP://x.org") and is_remote("//x.org")
    assert is_remote("\n https://x.org") and is_remote("wss://x.org/s") and is_remote("https:x.org")
    assert not is_remote("data:text/plain,https://x.org") and not is_remote("#clip")
    assert not is_remote("a/b.png") and not is_remote("mailto:a@b.vn") and not is_remote("")


def test_altairs_own_html_renderer_is_refused() -> None:
    import altair as alt
    import pandas as pd

    html = alt.Chart(pd.DataFrame({"a": [1, 2]})).mark_bar().encode(x="a:Q").to_html()
    found = html_findings(html)
    assert [f.what for f in found][:3] == ["<script src>"] * 3
    assert found[0].url.startswith("https://cdn.jsdelivr.net/npm/vega@")


def test_the_figure_the_report_makes_is_accepted() -> None:
    import altair as alt
    import pandas as pd

    from izreport.blocks.charts import Figure

    chart = alt.Chart(pd.DataFrame({"a": [1, 2]})).mark_bar().encode(x="a:Q")
    data, _ = Figure(chart, "Hình 1. Thử", "Biểu đồ thử")._repr_mimebundle_()
    assert "$schema" in data["text/html"] and "http://www.w3.org/2000/svg" in data["image/svg+xml"]
    assert output_findings(data) == []


@pytest.mark.parametrize(("mime", "value"), [
    ("application/vnd.vegalite.v5+json", {"data": {"url": "https://example.org/d.json"}}),
    ("application/vnd.vega.v5+json", {"data": [{"name": "t", "url": "//example.org/t.csv"}]}),
    ("application/vnd.vegalite.v5+json",
     {"mark": "image", "encoding": {"url": {"value": "https://example.org/i.png"}}}),
    ("application/json", {"html": '<img src="https://example.org/a.png">'}),
    ("application/javascript", 'require(["https://cdn.example.org/x.js"], function () {});'),
    ("text/markdown", "Hình: ![logo](https://example.org/logo.png)"),
    ("image/svg+xml", '<svg><image href="https://example.org/a.png"/></svg>'),
    ("text/css", ".a { background: url(https://example.org/a.png) }"),
    ("text/x-unknown", '<img src="https://example.org/a.png">'),
])
def test_every_text_mime_type_is_read(mime: str, value: Any) -> None:
    assert output_findings({mime: value}), mime


def test_json_outputs_that_only_name_things_are_accepted() -> None:
    spec = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json",
            "data": {"values": [{"a": "https://example.org/"}]}, "mark": "bar",
            "encoding": {"href": {"field": "a"}}}
    assert output_findings({"application/vnd.vegalite.v5+json": spec,
                            "text/plain": "https://example.org/"}) == []
    widget = {"model_id": "3f2a", "version_major": 2, "version_minor": 0}
    assert output_findings({"application/vnd.jupyter.widget-view+json": widget}) == []
    assert output_findings({"image/png": "aHR0cHM6Ly9leGFtcGxlLm9yZw=="}) == []


def _notebook(*cells: Any) -> Any:
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def _code(source: str, html: str | None = None, **meta: Any) -> Any:
    cell = nbformat.v4.new_code_cell(source, metadata=meta)
    if html is not None:
        cell.outputs = [nbformat.v4.new_output("display_data", {"text/html": html})]
    return cell


def test_message_names_the_cell_its_first_line_and_the_url() -> None:
    nb = _notebook(
        _code("period = '2021-Q2'", tags=["injected-parameters"]),
        nbformat.v4.new_markdown_cell("# Tiêu đề"),
        _code("x = 1", "<p>1</p>"),
        _code("display(HTML(chart.to_html()))\n# second line", f'<script src="{CDN}"></script>'),
        _code("y = 2", '<img src="https://example.org/a.png">'),
    )
    nb.cells[3].id = "cdn-cell"
    with pytest.raises(NetworkOutputError) as err:
        check_notebook(nb, "thu.ipynb")
    message = str(err.value)
    assert message.startswith(
        "thu.ipynb: ô mã số 2 (id cdn-cell): «display(HTML(chart.to_html()))»")
    assert CDN in message and "(và 1 chỗ khác)" in message and "\n" not in message
    assert isinstance(err.value, RenderError)


def test_markdown_cells_hidden_cells_and_live_outputs() -> None:
    live = _code("rp.figure()")
    live.outputs = [nbformat.v4.new_output(
        "display_data", {"text/html": f"<script>{CDN!r}</script>"},
        metadata={"izreport": {"live": "vega"}})]
    hidden = _code("scratch", f'<script src="{CDN}"></script>', tags=["hide"])
    nb = _notebook(live, hidden)
    assert notebook_findings(nb, skip_tags={"hide"}) == []
    labels = [label for label, _ in notebook_findings(nb)]
    assert labels == [f"ô mã số 2 (id {hidden.id}): «scratch»"]
    md = nbformat.v4.new_markdown_cell("Ảnh: ![](https://example.org/a.png)")
    with pytest.raises(NetworkOutputError, match="ô Markdown số 1"):
        check_notebook(_notebook(md))


def test_an_output_checked_again_is_not_parsed_again_and_a_changed_one_is(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import copy

    from izreport.formats import offline

    offline._text_findings.cache_clear()
    parsed: list[str] = []
    feed = offline._Scanner.feed

    def counting(self: Any, data: str) -> None:
        parsed.append(data)
        feed(self, data)

    monkeypatch.setattr(offline._Scanner, "feed", counting)
    nb = _notebook(nbformat.v4.new_markdown_cell("Số liệu **6 tháng**."),
                   _code("x = 1", "<p>Bảng 1</p>"), _code("y = 2", "<p>Bảng 2</p>"))
    check_notebook(nb)
    first = len(parsed)
    assert first == 3                          # the Markdown cell and two outputs
    check_notebook(copy.deepcopy(nb))          # as each exporter checks its own copy
    assert len(parsed) == first
    nb.cells[2].outputs[0]["data"]["text/html"] = f'<script src="{CDN}"></script>'
    with pytest.raises(NetworkOutputError, match="ô mã số 2"):
        check_notebook(nb)
    assert len(parsed) == first + 1            # only the changed output is read


def test_the_exported_page_keeps_only_its_own_vega_bundle_unsearched() -> None:
    from izreport.core.resources import vega_bundle

    bundle = vega_bundle()
    page = f"<html><head><script>\n{bundle}\n</script></head><body></body></html>"
    # the bundle itself holds addresses it never loads (editor link, schema names) ...
    assert html_findings(page)
    # ... so the page check trusts exactly that text, and nothing else
    check_page(page, "a.html", trusted_scripts=[bundle])
    with pytest.raises(NetworkOutputError, match=r"^a\.html: .*<script src> https://x\.org/v\.js"):
        check_page(page + '<script src="https://x.org/v.js"></script>', "a.html",
                   trusted_scripts=[bundle])
    with pytest.raises(NetworkOutputError, match="JavaScript"):
        check_page(page + "<script>fetch('https://x.org/d.json')</script>", "a.html",
                   trusted_scripts=[bundle])


def test_nbconvert_exporters_refuse_a_loading_output(tmp_path: Path) -> None:
    from izreport.formats.export import ReportHTMLExporter, ReportPDFExporter

    nb = _notebook(_code("show()", f'<script src="{CDN}"></script>'))
    for exporter in (ReportHTMLExporter, ReportPDFExporter):
        with pytest.raises(NetworkOutputError, match="ô mã số 1"):
            exporter().from_notebook_node(nb, resources={"metadata": {"name": "x"}})
    nbformat.write(nb, tmp_path / "x.ipynb")
    run = subprocess.run([sys.executable, "-m", "nbconvert", "--to", "izreport", "x.ipynb"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert "NetworkOutputError: x.ipynb: ô mã số 1" in run.stderr and CDN in run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.ipynb"]


CDN_CELL = """import altair as alt
import pandas as pd
from IPython.display import HTML, display

alt.renderers.enable("html")
display(HTML(alt.Chart(pd.DataFrame({"a": [1, 2]})).mark_bar().encode(x="a:Q").to_html()))"""


def test_render_of_a_cdn_loading_cell_fails_naming_it_and_writes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from izreport.commands.cli import app
    from izreport.pipeline import params
    from izreport.pipeline.runlog import read
    from tests.conftest import DATA

    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nb = nbformat.read(params.NOTEBOOKS_DIR / "quarterly_report.ipynb", as_version=4)
    cell = nbformat.v4.new_code_cell(CDN_CELL)
    cell.id = "cdn-chart"
    at = next(i for i, c in enumerate(nb.cells) if "by_month(\"production_value\")" in c.source) + 1
    nb.cells.insert(at, cell)  # after the report's own chart
    nbformat.write(nb, notebooks / "quarterly_report.ipynb")
    number = sum(1 for c in nb.cells[:at + 1] if c.cell_type == "code")
    monkeypatch.setattr(params, "NOTEBOOKS_DIR", notebooks)
    out = tmp_path / "site"
    out.mkdir()
    (out / "old.html").write_text("trang cũ", encoding="utf-8")

    result = CliRunner().invoke(app, ["render", "quarterly", "--period", "2021-Q2", "--to",
                                      "html,pdf", "--out", str(out), "--data", str(DATA)])
    assert result.exit_code == 1, result.output
    message = " ".join(result.output.split())
    assert f"ô mã số {number} (id cdn-chart): «import altair as alt»" in message
    assert "https://cdn.jsdelivr.net/npm/vega@" in message
    # nothing published: the old page stays, the failed notebook is kept, the run is logged
    assert sorted(p.name for p in out.iterdir()) == [".state", "failed", "old.html"]
    assert [p.name for p in (out / "failed").iterdir()] == ["quarterly_2021-Q2.ipynb"]
    kept = json.loads((out / "failed" / "quarterly_2021-Q2.ipynb").read_text(encoding="utf-8"))
    assert any(c.get("id") == "cdn-chart" and c["outputs"] for c in kept["cells"])
    assert [r["result"] for r in read(out)] == ["failed"]


def test_the_published_report_page_passes_the_page_check(html_text: str) -> None:
    from izreport.core.resources import vega_bundle

    check_page(html_text, "half-year_2021-H1.html", trusted_scripts=[vega_bundle()])
    # every inline script other than the bundle was searched, and the specs were read
    assert html_text.count('<script type="application/json"') >= 2
    assert html_findings(html_text, scan_scripts=False) == []
