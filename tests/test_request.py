"""One run request: checked once in the parent, one name per zone, nothing checked again."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import pickle
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from izreport.commands.cli import app
from izreport.core.errors import ParameterError
from izreport.core.periods import Period
from izreport.pipeline import params, render, runlog
from izreport.pipeline.request import RunRequest, resolve, resolve_zones
from izreport.schedule import due
from izreport.site import publish
from izreport.storage import datafacts
from izreport.storage.data import Dataset

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
runner = CliRunner()


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every call of the one parameter check, by report name."""
    calls: list[str] = []
    real = params.check_values

    def spy(report: params.ReportSpec, raw: dict[str, Any], facts: Any) -> Any:
        calls.append(report.name)
        return real(report, raw, facts)

    monkeypatch.setattr(params, "check_values", spy)
    return calls


@pytest.fixture
def notebook_reads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often each notebook's JSON is parsed, from a cold cache."""
    reads: Counter[str] = Counter()
    real: Callable[[Path], dict[str, Any]] = params._notebook_metadata

    def spy(path: Path) -> dict[str, Any]:
        reads[path.name] += 1
        return real(path)

    params._read_report.cache_clear()
    monkeypatch.setattr(params, "_notebook_metadata", spy)
    return reads


def test_render_all_zones_checks_each_request_once(tmp_path: Path, checks: list[str],
                                                   notebook_reads: Counter[str]) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", "half-year", "--period", "2021-H1", "--all-zones",
                                 "--to", "html", "--out", str(out), "--data", str(DATA),
                                 "-j", "1"])  # in this process: the renders would count too
    assert result.exit_code == 0, result.output
    records = runlog.read(out)
    assert {r["stem"] for r in records} == {
        "half-year_2021-H1", "half-year_2021-H1_hoa-xa", "half-year_2021-H1_bao-minh",
        "half-year_2021-H1_my-trung"}
    assert all(r["result"] == "ok" for r in records)
    assert checks == ["half-year"] * len(records)  # one check per request, none in render
    assert notebook_reads["half_year_report.ipynb"] == 1
    assert set(notebook_reads.values()) == {1}  # every notebook's JSON parsed once
    # the kernel got the zone's id, the run log the names the request derived
    executed = json.loads((out / "half-year_2021-H1_hoa-xa.ipynb").read_text(encoding="utf-8"))
    injected = next(c for c in executed["cells"]
                    if "injected-parameters" in c["metadata"].get("tags", []))
    assert 'zone = "hoa-xa"' in "".join(injected["source"])
    zone = next(r for r in records if r["zone_id"] == "hoa-xa")
    assert zone["params"]["zone"] == "Hòa Xá"
    assert zone["site"] == "bao-cao-6-thang/2021/2021-H1_hoa-xa"


def test_run_due_checks_each_request_once(tmp_path: Path, checks: list[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    rendered: list[RunRequest] = []

    def fake(request: RunRequest, out_dir: Path | str, formats: Any = (),
             progress: Any = None, **_pool: Any) -> render.RenderResult:
        rendered.append(request)
        files = {}
        for fmt in formats:
            files[fmt] = Path(out_dir) / f"{request.stem}.{fmt}"
            files[fmt].write_text(request.stem, encoding="utf-8")
        return render.RenderResult(request.report, request.values, files)

    monkeypatch.setattr(render, "render_request", fake)
    monkeypatch.setattr(due, "due_forms", lambda *_args: [])
    out = tmp_path / "out"
    result = runner.invoke(app, ["run-due", "--date", "2021-07-05", "--all-zones", "--out",
                                 str(out), "--data", str(DATA), "-j", "1"])
    assert result.exit_code == 0, result.output
    records = runlog.read(out)
    assert len(records) == len(rendered) and len(rendered) > 4
    assert len(checks) == len(rendered)  # planning, fingerprints, batch: one check each
    assert {r.report for r in rendered} == {"monthly", "quarterly", "half-year"}
    assert "monthly_2021-06_my-trung" in {r.stem for r in rendered}


def test_a_cluster_without_enterprises_is_refused_before_any_kernel(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("a render started")

    monkeypatch.setattr(render, "render_request", never)
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", "half-year", "--period", "2021-H1", "--zone",
                                 "Yên Bằng", "--out", str(out), "--data", str(DATA)])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "lỗi: tham số 'zone': Cụm công nghiệp Yên Bằng không có doanh nghiệp nào" in text
    assert "Hòa Xá, Bảo Minh, Mỹ Trung" in text
    assert not out.exists() or not any(out.iterdir())


def test_one_name_per_zone() -> None:
    request = resolve("half-year", {"period": "2024-H1", "zone": "dệt may rạng đông"}, DATA)
    assert (request.zone_id, request.zone_name) == ("rang-dong", "Dệt may Rạng Đông")
    assert request.stem == "half-year_2024-H1_rang-dong"
    assert request.texts is not None and request.texts.name == "2024-H1_rang-dong.md"
    assert request.site == "bao-cao-6-thang/2024/2024-H1_rang-dong"
    assert request.kernel_params["zone"] == "rang-dong"
    assert request.values["zone"] == "Dệt may Rạng Đông"
    assert request.period == Period.parse("2024-H1") and request.data == str(DATA)


def test_a_request_is_immutable_and_crosses_processes() -> None:
    request = resolve("half-year", {"period": "2021-H1", "zone": "hoa xa"}, DATA)
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.stem = "x"  # type: ignore[misc]
    request.values["zone"] = "changed"
    assert request.values["zone"] == "Hòa Xá"
    again = pickle.loads(pickle.dumps(request))
    assert again == request and again.spec.params.model_fields.keys() == \
        request.spec.params.model_fields.keys()


@pytest.mark.usefixtures("english")
def test_bad_requests_are_refused_by_resolve() -> None:
    with pytest.raises(ParameterError, match="outside the data"):
        resolve("half-year", {"period": "2030-H1"}, DATA)
    with pytest.raises(ParameterError, match="zone"):
        resolve("half-year", {"period": "2021-H1", "zone": "Nowhere"}, DATA)


@pytest.mark.parametrize("period", ["2017-Q1", "2021-H1", "2023", "2024-05", "2025-06"])
def test_reporting_zones_agree_with_the_dataset(period: str, dataset: Dataset) -> None:
    p = Period.parse(period)
    assert datafacts.DataFacts(DATA).reporting_zones(p) == [
        z.zone_id for z in dataset.operating_zones(p)]
    requests = resolve_zones("half-year" if p.kind in ("half", "year") else "monthly"
                             if p.kind == "month" else "quarterly", {"period": period}, DATA)
    assert [r.zone_id for r in requests] == [None, *(z.zone_id for z in
                                                     dataset.operating_zones(p))]


def test_reporting_zones_follow_moves(data_copy: Path) -> None:
    """An enterprise's months before its move count for the zone it left."""
    from izreport.storage.data import load

    first = next(line for line in (data_copy / "enterprises.csv").read_text(
        encoding="utf-8").splitlines()[1:] if ",rang-dong," in line).split(",")[0]
    with open(data_copy / "enterprise_moves.csv", "a", encoding="utf-8") as fh:
        fh.write(f"{first},2025-01,my-tan,rang-dong\n")
    p = Period.parse("2024-H1")
    got = datafacts.DataFacts(data_copy).reporting_zones(p)
    assert "my-tan" in got
    assert got == [z.zone_id for z in load(data_copy).operating_zones(p)]


@pytest.mark.usefixtures("english")
def test_an_output_folder_of_older_stems_is_read_without_failing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    files = {}
    for fmt in ("html", "pdf"):
        files[fmt] = out / f"half-year_2021-H1_hoaxa.{fmt}"
        files[fmt].write_text("old", encoding="utf-8")
    entry = runlog.record(report="half-year", params={"period": "2021-H1", "zone": "Hòa Xá"},
                          stem="half-year_2021-H1_hoaxa", result="ok", trigger="render",
                          out=out, files=files)
    for key in ("zone_id", "site"):
        entry.pop(key)  # as an older version wrote it
    runlog.append(out, entry)
    result = publish.publish(out, tmp_path / "site")
    assert not result.added
    (stem, why), = result.skipped
    assert stem == "half-year_2021-H1_hoaxa" and "earlier version" in why
    status = runner.invoke(app, ["status", "--out", str(out), "--data", str(DATA), "--date",
                                 dt.date(2021, 7, 5).isoformat()])
    assert status.exit_code == 0, status.output


def test_the_kernel_reads_the_requests_data(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    """A folder or a database URL in the request reaches the kernel's environment."""
    from izreport.pipeline.kernels import kernel_env

    monkeypatch.delenv("IZREPORT_DATABASE_URL", raising=False)
    seen = [kernel_env("postgresql://board@localhost/izreport"), kernel_env(str(tmp_path))]
    assert seen[0]["IZREPORT_DATABASE_URL"] == "postgresql://board@localhost/izreport"
    assert seen[1]["IZREPORT_DATA"] == str(tmp_path) and "IZREPORT_DATABASE_URL" not in seen[1]
