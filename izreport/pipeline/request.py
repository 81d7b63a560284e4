"""One run request: a report's parameters resolved and checked once, in the parent.

:func:`resolve` is the only place a render's parameters are checked: the declared model
(types, period shapes), the data (the period inside it, the zone or sector known, the zone
having enterprises reporting in the period), and the hand-written texts. It returns a
frozen :class:`RunRequest` that batch, render, ``run-due``, the run log and publish take
as it is, and from which the kernel gets ids it can trust. Every name derived from a zone
(output stem, texts file, site path) is its id (:func:`izreport.core.files.zone_slug`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from izreport.blocks.texts import texts_path
from izreport.core.errors import ParameterError
from izreport.core.i18n import _
from izreport.core.periods import Period
from izreport.pipeline import params as registry
from izreport.pipeline.params import ReportSpec, get_report
from izreport.storage.data import is_url
from izreport.storage.datafacts import DataFacts


@dataclass(frozen=True)
class RunRequest:
    """One report to render, checked: nothing downstream validates it again."""

    spec: ReportSpec
    #: the typed, checked parameter values (JSON types), as (name, value) pairs
    params: tuple[tuple[str, Any], ...]
    period: Period | None
    #: the zone's id and display name (``hoa-xa``, ``Hòa Xá``); None: the province
    zone_id: str | None
    zone_name: str | None
    #: output file name without extension: ``half-year_2021-H1_hoa-xa``
    stem: str
    #: the hand-written sections it reads: ``reports/2021-H1_hoa-xa.md`` (None: no period)
    texts: Path | None
    #: the site path without extension: ``bao-cao-6-thang/2021/2021-H1_hoa-xa``
    site: str | None
    #: the data folder (absolute) or database URL; None: the environment's or configuration's
    data: str | None = None

    @property
    def report(self) -> str:
        return self.spec.name

    @property
    def values(self) -> dict[str, Any]:
        """The checked values, a fresh dict (the zone by its display name)."""
        return dict(self.params)

    @property
    def kernel_params(self) -> dict[str, Any]:
        """What papermill injects: the checked values, the zone by its id."""
        values = self.values
        for spec in self.spec.specs:
            if spec.type == "zone" and values.get(spec.name):
                values[spec.name] = self.zone_id
        return values

    @property
    def label(self) -> str:
        """``half-year 2021-H1 Hòa Xá``: the report and its non-empty parameter values."""
        shown = [str(v) for v in self.values.values() if v not in (None, "", False)]
        return " ".join([self.report, *shown])


def _source(data: Path | str | None) -> str | None:
    """A data folder made absolute (workers run elsewhere); a URL as it is."""
    if data is None or str(data) == "":
        return None
    return str(data) if is_url(data) else str(Path(data).resolve())


def resolve(report: str | ReportSpec, raw: Mapping[str, Any], data: Path | str | None = None,
            facts: DataFacts | None = None) -> RunRequest:
    """Check one request once and derive every name from it; a ParameterError otherwise.

    ``facts``: the data as already read for other requests of the same command.
    """
    spec = report if isinstance(report, ReportSpec) else get_report(report)
    source = _source(data)
    facts = facts if facts is not None else DataFacts(source)
    values, zone_id = registry.check_values(spec, dict(raw), facts)
    period_spec = next((s for s in spec.specs if s.type == "period"), None)
    period = (Period.parse(str(values[period_spec.name]))
              if period_spec is not None and values.get(period_spec.name) else None)
    zone_spec = next((s for s in spec.specs if s.type == "zone"), None)
    zone_name = values.get(zone_spec.name) if zone_spec is not None else None
    if zone_id is not None and period is not None:
        _check_reporting(zone_spec.name if zone_spec else "zone", zone_id, period, facts)
    return RunRequest(
        spec=spec, params=tuple(values.items()), period=period, zone_id=zone_id,
        zone_name=zone_name, stem=spec.stem(values, zone_id),
        texts=texts_path(str(period), zone_id) if period is not None else None,
        site=spec.site_key(period, zone_id)[0] if period is not None else None,
        data=source)


def resolve_zones(report: str | ReportSpec, raw: Mapping[str, Any],
                  data: Path | str | None = None) -> list[RunRequest]:
    """The province's request and one per zone with enterprises reporting in the period."""
    spec = report if isinstance(report, ReportSpec) else get_report(report)
    facts = DataFacts(_source(data))
    province = resolve(spec, {k: v for k, v in raw.items() if k != "zone"}, data, facts)
    if province.period is None:
        return [province]
    raw_province = {k: v for k, v in raw.items() if k != "zone"}
    return [province, *(resolve(spec, {**raw_province, "zone": zone_id}, data, facts)
                        for zone_id in facts.reporting_zones(province.period))]


def _check_reporting(name: str, zone_id: str, period: Period, facts: DataFacts) -> None:
    """A zone report needs enterprises reporting in the period (a cluster has none)."""
    reporting = facts.reporting_zones(period)
    if zone_id in reporting:
        return
    rows = {z["zone_id"]: z for z in facts.zones()}
    zone = rows[zone_id]
    # the zone's proper title, as Zone.title_vi writes it (a name, in Vietnamese)
    title = ("Khu công nghiệp " if zone.get("kind") == "KCN" else "Cụm công nghiệp ") + zone["name"]
    operating = ", ".join(rows[z]["name"] for z in reporting) or _("none")
    detail = _("no enterprise of {zone} reported in {period}, so the zone has no report for "
               "this period (zones operating in the period: {operating})").format(
                   zone=title, period=period.label_vi, operating=operating)
    raise ParameterError(_("parameter {name!r}: {detail}").format(name=name, detail=detail))
