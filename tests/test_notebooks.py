"""Every notebook runs under plain papermill, and is committed clean."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(notebook: Path) -> None:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
    tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1


#: A figure each report's default period must show (the notebook's metadata names the report).
EXPECTED = {"half-year": "46,26%", "monthly": "12.000", "quarterly": "24,62%"}


def _defaults(notebook: Path) -> dict[str, object]:
    """The values of the notebook's parameters cell, as papermill reads them."""
    import papermill as pm

    return {name: ast.literal_eval(p["default"])
            for name, p in pm.inspect_notebook(str(notebook)).items()}


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_cell_matches_the_declaration(notebook: Path) -> None:
    """The notebook's defaults are the defaults `izreport params` shows for its report."""
    from izreport.pipeline.params import get_report

    meta = json.loads(notebook.read_text(encoding="utf-8"))["metadata"]["izreport"]
    spec = get_report(meta["report"])
    assert spec.path == notebook
    declared = {name: f.default for name, f in spec.params.model_fields.items()}
    assert _defaults(notebook) == declared


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_runs_under_the_papermill_cli(notebook: Path, tmp_path: Path) -> None:
    """Each notebook runs with its own default period, injected by papermill's -p."""
    from izreport.core.periods import Period

    period = str(_defaults(notebook)["period"])
    out = tmp_path / notebook.name
    papermill = Path(sys.executable).with_name("papermill")
    env = dict(os.environ, IZREPORT_DATA=str(ROOT / "data"))
    done = subprocess.run([str(papermill), str(notebook), str(out), "-p", "period", period,
                           "--no-progress-bar"], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    nb = json.loads(out.read_text(encoding="utf-8"))
    assert nb["metadata"]["papermill"]["parameters"] == {"period": period}
    injected = [c for c in nb["cells"]
                if "injected-parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(injected) == 1 and f'period = "{period}"' in "".join(injected[0]["source"])
    outputs = [o for c in nb["cells"] for o in c.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] == "error"]
    html = "".join("".join(o.get("data", {}).get("text/html", "")) for o in outputs)
    assert Period.parse(period).label_vi in html
    expected = EXPECTED.get(nb["metadata"]["izreport"]["report"])
    assert expected is None or expected in html  # a report added later runs all the same


def test_exporters_are_registered_with_nbconvert(rendered, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`jupyter nbconvert --to izreport` gives the very page `izreport render` wrote."""
    jupyter = Path(sys.executable).with_name("jupyter")
    for fmt, ext in (("izreport", ".html"), ("izreport_pdf", ".pdf")):
        done = subprocess.run([str(jupyter), "nbconvert", "--to", fmt, str(rendered.files["ipynb"]),
                               "--output", str(tmp_path / "page")], capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        assert (tmp_path / f"page{ext}").stat().st_size > 10_000
    page = (tmp_path / "page.html").read_bytes()
    assert page == rendered.files["html"].read_bytes()
