"""The export stage is pure (notebook in, bytes out) and finds formats by exporter name."""

from __future__ import annotations

import copy
import os
import tomllib
from pathlib import Path

import nbformat
import pytest

from izreport.core.errors import ParameterError
from izreport.formats.export import ReportHTMLExporter
from izreport.pipeline.export import EXPORTERS, FORMATS, export_formats, exporter_class

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.usefixtures("english")


def test_the_local_registry_is_the_entry_points() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["entry-points"]["nbconvert.exporters"] == EXPORTERS
    assert set(FORMATS.values()) <= set(EXPORTERS)


def test_formats_are_found_by_exporter_name() -> None:
    assert exporter_class("izreport") is ReportHTMLExporter
    # a name the package does not register goes to nbconvert's own lookup
    from nbconvert.exporters import MarkdownExporter

    assert exporter_class("markdown") is MarkdownExporter


def _executed() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["izreport"] = {"title": "Thử"}
    cell = nbformat.v4.new_code_cell("print('xin chào')", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="xin chào\n")]
    nb.cells = [nbformat.v4.new_markdown_cell("Số liệu đến tháng 6."), cell]
    return nb


def test_export_is_pure_and_deterministic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    monkeypatch.chdir(tmp_path)
    nb = _executed()
    before = copy.deepcopy(nb)
    timings: dict[str, float] = {}
    first = export_formats(nb, ["html"], "thu", timings=timings)
    assert set(first) == {"html"} and set(timings) == {"html"}
    assert "Số liệu đến tháng 6." in first["html"].decode("utf-8")
    assert nb == before                      # the notebook is not changed
    assert os.listdir(tmp_path) == []        # and nothing is written
    assert export_formats(nb, ["html"], "thu") == first


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ParameterError, match="unknown output format"):
        export_formats(_executed(), ["html", "odt"], "thu")


@pytest.mark.parametrize("collector_on", [True, False])
def test_exports_run_without_the_cycle_collector_and_leave_it_as_it_was(
        monkeypatch: pytest.MonkeyPatch, collector_on: bool) -> None:
    import gc

    from izreport.pipeline import export as stage

    seen: list[bool] = []

    class Probe:
        def from_notebook_node(self, nb: object, resources: object) -> tuple[str, dict[str, str]]:
            seen.append(gc.isenabled())
            if len(seen) == 2:
                raise RuntimeError("the second format fails")
            return "<p>x</p>", {}

    monkeypatch.setattr(stage, "exporter_class", lambda _name: Probe)
    was = gc.isenabled()
    try:
        (gc.enable if collector_on else gc.disable)()
        assert stage.export_formats(_executed(), ["html"], "r") == {"html": b"<p>x</p>"}
        with pytest.raises(RuntimeError, match="second format"):
            stage.export_formats(_executed(), ["html"], "r")
        assert seen == [False, False]                 # paused while exporting
        assert gc.isenabled() is collector_on         # and as it was after, failure or not
    finally:
        (gc.enable if was else gc.disable)()


def test_an_export_validates_the_notebook_once_not_after_each_step(
        monkeypatch: pytest.MonkeyPatch) -> None:
    validated: list[object] = []
    validate = nbformat.validate

    def counting(nb: object, *args: object, **kw: object) -> None:
        validated.append(nb)
        validate(nb, *args, **kw)

    nb = _executed()
    monkeypatch.setattr(nbformat, "validate", counting)
    exporter = ReportHTMLExporter()
    assert len(exporter._preprocessors) > 5
    exporter.from_notebook_node(nb, resources={"metadata": {"name": "thu"}})
    assert len(validated) == 1


def test_templates_are_compiled_once_per_process_and_again_when_changed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import jinja2

    from izreport.formats import export as exporters

    compiled: list[str | None] = []
    compile_ = jinja2.Environment.compile

    def counting(self: jinja2.Environment, source: object, name: str | None = None,
                 *args: object, **kw: object) -> object:
        compiled.append(name)
        return compile_(self, source, name, *args, **kw)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    cache = exporters._CompiledTemplates()
    sources = {"page.html": "<p>{{ x }}</p>"}

    def page() -> str:
        env = jinja2.Environment(loader=jinja2.DictLoader(sources), bytecode_cache=cache)
        return env.get_template("page.html").render(x="Hòa Xá")

    assert page() == "<p>Hòa Xá</p>" and compiled == ["page.html"]
    assert page() == "<p>Hòa Xá</p>" and compiled == ["page.html"]   # a new environment
    sources["page.html"] = "<b>{{ x }}</b>"                          # the template edited
    assert page() == "<b>Hòa Xá</b>" and compiled == ["page.html"] * 2

    # the exporters share the process's cache: a second report compiles nothing
    first = ReportHTMLExporter().from_notebook_node(_executed())[0]
    compiled.clear()
    assert ReportHTMLExporter().from_notebook_node(_executed())[0] == first
    assert compiled == []
