"""Figures in a live JupyterLab kernel: the Vega bundle once per session, never in exports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest

from izreport.blocks import notebook_display as nd
from izreport.blocks.charts import Figure
from izreport.formats.export import PrintHTMLExporter, ReportHTMLExporter
from izreport.pipeline import kernels


@pytest.fixture
def figure() -> Figure:
    import altair as alt
    import pandas as pd

    frame = pd.DataFrame({"zone": ["Hòa Xá", "Bảo Minh"], "v": [3.0, 2.0]})
    chart = alt.Chart(frame).mark_bar().encode(y="zone:N", x="v:Q")
    return Figure.of(chart, "Thử", "Hai cột", numbered=False)  # same output each display


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[tuple[dict[str, str], dict[str, Any]]]:
    """What the figures display besides themselves; starts a fresh kernel session."""
    shown: list[tuple[dict[str, str], dict[str, Any]]] = []
    monkeypatch.setattr(nd, "_publish", lambda data, meta: shown.append((data, meta)))
    monkeypatch.setattr(nd._State, "vega_shown", False)
    monkeypatch.delenv(nd.SESSION_ENV, raising=False)
    monkeypatch.delenv(nd.RENDER_ENV, raising=False)
    return shown


def _live(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(nd.SESSION_ENV, "notebooks/half_year_report.ipynb")


@pytest.mark.parametrize(("env", "live"), [
    ({}, False),
    ({"JPY_SESSION_NAME": "a.ipynb"}, True),
    ({"JPY_SESSION_NAME": "a.ipynb", "IZREPORT_RENDER": "1"}, False),
    ({"JPY_SESSION_NAME": "a.ipynb", "IZREPORT_RENDER": "0"}, True),
    ({"IZREPORT_RENDER": "1"}, False),
])
def test_live_frontend_is_a_jupyter_session_that_is_not_a_render(env: dict[str, str],
                                                                  live: bool) -> None:
    assert nd.in_live_frontend(env) is live


def test_outside_jupyterlab_a_figure_is_unchanged(figure: Figure, published: list[Any]) -> None:
    data, _ = figure._repr_mimebundle_()
    assert nd.LIVE_ATTR not in data["text/html"] and "<script>" not in data["text/html"]
    assert published == []


def test_in_jupyterlab_the_bundle_comes_once_then_every_figure_upgrades_itself(
        figure: Figure, published: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    _live(monkeypatch)
    first, _ = figure._repr_mimebundle_()
    second, _ = figure._repr_mimebundle_()
    assert len(published) == 1
    data, meta = published[0]
    assert meta == {"izreport": {nd.LIVE_KEY: "vega"}}
    assert data["text/html"].count("window.vegaEmbed=") == 1
    for html in (first["text/html"], second["text/html"]):
        assert html.endswith(nd.figure_script())
        assert "window.vegaEmbed=" not in html  # the charts carry only their spec
        assert 'class="iz-chart"' in html
    assert first["image/svg+xml"] == second["image/svg+xml"]  # the PDF's SVG is unchanged


def test_load_vega_displays_the_bundle_again(published: list[Any]) -> None:
    nd.load_vega()
    nd.load_vega()
    assert len(published) == 2


def test_loader_runs_the_bundle_in_its_own_scope_and_can_run_twice() -> None:
    html = nd.vega_loader_html()
    assert html.startswith(f'<script {nd.LIVE_ATTR}="vega">(function () {{')
    assert html.lower().count("</script") == 1 and html.endswith("</script>")
    body = html[html.index(">") + 1: -len("</script>")]
    # skipped when vegaEmbed is already there; embed.js then upgrades pending charts
    assert body.index('typeof window.vegaEmbed === "function"') < body.index("window.vegaEmbed=")
    assert body.rstrip().endswith(nd._embed_js().rstrip())


def _run_in_jupyterlab(figure: Figure, monkeypatch: pytest.MonkeyPatch,
                       published: list[Any]) -> Any:
    """A notebook as JupyterLab saves it after showing two figures in a live kernel."""
    _live(monkeypatch)
    outputs = []
    for _ in range(2):
        data, meta = figure._repr_mimebundle_()
        outputs += [nbformat.v4.new_output("display_data", data=d, metadata=m)
                    for d, m in published]
        published.clear()
        outputs.append(nbformat.v4.new_output("display_data", data=data, metadata=meta))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("rp.zone_chart(ctx)", outputs=outputs)]
    return nb


def test_exporters_drop_what_only_jupyterlab_needs(
        figure: Figure, published: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    nb = _run_in_jupyterlab(figure, monkeypatch, published)
    assert len(nb.cells[0].outputs) == 3  # bundle, figure, figure
    page, _ = ReportHTMLExporter().from_notebook_node(nb)
    assert page.count("window.vegaEmbed=") == 1  # from the template, as for papermill runs
    assert nd.LIVE_ATTR not in page
    assert page.count('class="iz-chart"') == 2
    printed, _ = PrintHTMLExporter().from_notebook_node(nb)
    assert "vegaEmbed" not in printed and nd.LIVE_ATTR not in printed
    assert len(nb.cells[0].outputs) == 3  # the exporters work on a copy


def test_strip_live_gives_the_outputs_of_a_papermill_run(
        figure: Figure, published: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    plain, _ = figure._repr_mimebundle_()
    nb = nd.strip_live(_run_in_jupyterlab(figure, monkeypatch, published))
    assert [o.data["text/html"] for o in nb.cells[0].outputs] == [plain["text/html"]] * 2


def test_render_marks_its_kernel_so_charts_leave_the_bundle_to_the_template(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: dict[str, str] = {}

    class Kernel:
        def __init__(self, name: str, cwd: Path, env: dict[str, str]) -> None:
            seen.update(env)

        def start(self) -> None:
            pass

    monkeypatch.setenv(nd.SESSION_ENV, "notebook.ipynb")  # `!izreport render` in a notebook
    monkeypatch.setattr(kernels, "WarmKernel", Kernel)
    notebook = tmp_path / "n.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), notebook)
    kernels.start_kernel(notebook, None)
    assert seen[nd.RENDER_ENV] == "1" and not nd.in_live_frontend(seen)


def _output_cell(data: dict[str, str], meta: dict[str, Any]) -> Any:
    cell = nbformat.v4.new_code_cell("chart")
    cell.outputs = [nbformat.v4.new_output("display_data", data=data, metadata=meta)]
    return cell


def test_a_render_kernel_leaves_the_svg_to_the_rendering_process_which_draws_the_same(
        figure: Figure, published: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from izreport.blocks import vega

    drawn_here, drawn_meta = figure._repr_mimebundle_()
    monkeypatch.setenv(vega.DEFER_ENV, "1")
    left, left_meta = figure._repr_mimebundle_()
    assert left["image/svg+xml"] == vega.PENDING and vega.PENDING in left["text/html"]
    assert "<svg" not in left["text/html"] and vega.SPEC_KEY in left_meta["izreport"]
    nb = nbformat.v4.new_notebook()
    nb.cells = [_output_cell(left, left_meta), _output_cell(drawn_here, drawn_meta)]
    assert vega.draw_pending(nb) == 1 and vega.draw_pending(nb) == 0
    first, second = (cell.outputs[0] for cell in nb.cells)
    assert first["data"] == second["data"]            # the same SVG as the kernel's
    assert first["metadata"] == second["metadata"]    # and the spec no longer carried
    # any export draws what is left: nbconvert on a notebook no render process drew
    nb.cells = [_output_cell(*figure._repr_mimebundle_())]
    html, _ = ReportHTMLExporter().from_notebook_node(nb)
    assert vega.PENDING not in html and html.count("<svg") >= 1


def test_report_kernels_leave_the_svg_to_the_rendering_process() -> None:
    from izreport.blocks import vega

    assert vega.deferred(kernels.kernel_env(None))
    assert "vl_convert" not in kernels.WARM_UP and "warm_up" not in kernels.WARM_UP
