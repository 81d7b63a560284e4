"""Reports and their typed parameters, declared once in each notebook and checked early.

papermill injects whatever it is given; a typo (``--perod``) or a zone that does not exist
would only fail, or worse silently fall back to a default, inside the notebook. Here each
report notebook declares its parameters once, in its metadata::

    "izreport": {"report": "monthly", "title": "Báo cáo tháng",
                 "schedule": ["month"],
                 "site": {"month": {"folder": "bao-cao-thang", "title": "Báo cáo tháng"}},
                 "parameters": {"period": {"type": "period", "kinds": ["month"],
                                           "default": "2021-06", "help": "Tháng báo cáo"}}}

Every notebook under ``notebooks/`` (or ``IZREPORT_NOTEBOOKS``) with such a block is a
report (no Python to touch to add one). The declaration gives a pydantic model, used by the
CLI before any kernel starts, by ``izreport params`` and by the tests that hold the
notebook's ``parameters`` cell to it. ``schedule`` names the period shapes for which
``run-due`` renders the report once their last month has data (month, quarter, H1, H2, 9m,
year); ``site`` places each shape in a folder of the published site under a heading.

``help_en`` and ``title_en`` give the English wording of ``help`` and ``title`` for
``--lang en``. Types: ``period`` (``kinds``: month, quarter, half, 9m, year, range), ``zone`` and
``sector`` (checked against the data), ``bool``, ``int`` (``min``, ``max``), ``date``,
``str`` (``choices``). A report with a ``final`` parameter needs every hand-written
section (``reports/<period>.md``) when it is true.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import json
import os
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
)

from izreport.blocks.texts import read_texts
from izreport.core.errors import ParameterError, ScopeError
from izreport.core.files import slug, zone_slug
from izreport.core.i18n import N_, _, language
from izreport.core.periods import SHAPES, Period, PeriodError, period_error
from izreport.storage.data import describe, fold
from izreport.storage.datafacts import DataFacts

#: The value of an option given with no value on the command line (``--final``).
BARE_FLAG = object()
NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"
#: Environment variable naming another folder of report notebooks (a board's own reports).
NOTEBOOKS_ENV = "IZREPORT_NOTEBOOKS"
TYPES = ("period", "zone", "sector", "bool", "int", "date", "str")


@dataclass(frozen=True)
class ParamSpec:
    """One declared parameter."""

    name: str
    type: str
    default: Any = None
    help: str = ""
    kinds: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    min: int | None = None
    max: int | None = None
    help_en: str = ""

    @property
    def text(self) -> str:
        """The help in the current language (``help_en`` when English and declared)."""
        return self.help_en if self.help_en and language() == "en" else self.help

    @property
    def type_label(self) -> str:
        """The type in the user's words: ``kỳ (nửa năm, năm)``, ``cờ``, ``số nguyên 1..9999``."""
        label = _(_TYPE_WORDS.get(self.type, self.type))
        if self.kinds:
            return f"{label} ({', '.join(_(_KIND_WORDS.get(k, k)) for k in self.kinds)})"
        if self.choices:
            return f"{label} ({' | '.join(self.choices)})"
        if self.type == "int" and (self.min is not None or self.max is not None):
            low = "" if self.min is None else self.min
            high = "" if self.max is None else self.max
            return f"{label} {low}..{high}"
        return label

    @property
    def flag(self) -> str:
        """The option that sets it on the command line: ``--all-zones`` for all_zones."""
        return "--" + self.name.replace("_", "-")

    @property
    def examples(self) -> tuple[str, ...]:
        """Values to show in the help, made from the declaration."""
        if self.type == "period":
            return tuple(_EXAMPLES[k] for k in self.kinds if k in _EXAMPLES)
        if self.type == "date":
            return ("2021-07-05", "05/07/2021")
        if self.type == "int":
            return (str(self.min if self.min is not None else 1),)
        if self.choices:
            return self.choices
        if self.type == "zone":
            return ("\"Hòa Xá\"",)
        return ()


_TYPE_WORDS = {"period": N_("period"), "zone": N_("zone"), "sector": N_("sector"),
               "bool": N_("flag"), "int": N_("whole number"), "date": N_("date"),
               "str": N_("text")}
_KIND_WORDS = {"month": N_("month"), "quarter": N_("quarter"), "half": N_("half-year"),
               "9m": N_("nine months"), "year": N_("year"), "range": N_("range of months")}
_EXAMPLES = {"month": "2021-06", "quarter": "2021-Q2", "half": "2021-H1", "9m": "2021-9M",
             "year": "2021", "range": "2021-01..2021-05"}
#: Words a boolean parameter accepts after its flag (``--final``, ``--final true``).
TRUE_WORDS = ("true", "yes", "1", "on", "có", "co")
FALSE_WORDS = ("false", "no", "0", "off", "không", "khong")


def _period_checker(kinds: tuple[str, ...]) -> Any:
    def check(value: str) -> str:
        accepted = ", ".join(f"{_EXAMPLES.get(k, '?')} ({_(_KIND_WORDS.get(k, k))})"
                             for k in kinds)
        try:
            period = Period.parse(value)
        except PeriodError as exc:  # name only the forms this report takes
            raise ValueError(str(period_error(value, exc.reason, accepted or None))) from None
        if kinds and period.kind not in kinds:
            raise ValueError(_("{value!r} is a {kind}; this report takes: {accepted}").format(
                value=value, kind=_(_KIND_WORDS.get(period.kind, period.kind)),
                accepted=accepted))
        return str(period)
    return check


def _text_or_none(value: Any) -> Any:
    if value is not None and not isinstance(value, str):
        raise ValueError(_("expected a name such as 'Hòa Xá', got {value!r}").format(
            value=value))
    return value or None


def _flag(value: Any) -> Any:
    """A boolean from the command line's words (true/false, có/không, 1/0)."""
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError(_("a flag: give it alone (--final) or with true/false, got {value!r}"
                           ).format(value=value))
    return value


def parse_date(value: Any) -> Any:
    """A date as YYYY-MM-DD or, as written in Vietnam, DD/MM/YYYY."""
    if not isinstance(value, str) or not value.strip():
        return value or None
    text = value.strip()
    try:
        if re.fullmatch(r"\d{1,2}[/.]\d{1,2}[/.]\d{4}", text):
            day, month, year = (int(x) for x in re.split(r"[/.]", text))
            return datetime.date(year, month, day)
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ValueError(_("expected a date as YYYY-MM-DD (2021-07-05) or DD/MM/YYYY "
                           "(05/07/2021), got {value!r}").format(value=value)) from None


def _annotation(spec: ParamSpec) -> Any:
    """The pydantic type of a declared parameter."""
    if spec.type == "period":
        return Annotated[str, AfterValidator(_period_checker(spec.kinds))]
    if spec.type in ("zone", "sector"):
        return Annotated[str | None, BeforeValidator(_text_or_none)]
    if spec.type == "bool":
        return Annotated[bool, BeforeValidator(_flag)]
    if spec.type == "int":
        return Annotated[int | None, Field(ge=spec.min, le=spec.max)]
    if spec.type == "date":
        return Annotated[datetime.date | None, BeforeValidator(parse_date)]
    if spec.choices:
        return Literal[spec.choices] if spec.default is not None else Literal[spec.choices] | None
    return str | None


@dataclass(frozen=True)
class ReportSpec:
    """A report: its notebook, title and declared parameters."""

    name: str
    path: Path
    title: str
    specs: tuple[ParamSpec, ...]
    title_en: str = ""
    #: period shapes run-due renders the report for (``periods.SHAPES``)
    schedule: tuple[str, ...] = ()
    #: shape -> (site folder, heading of the group in the site index)
    site: tuple[tuple[str, str, str], ...] = ()
    #: the Jupyter kernel the notebook asks for (its ``kernelspec``)
    kernel: str = "python3"

    def __getstate__(self) -> dict[str, Any]:
        """The declared fields only: the cached pydantic model is rebuilt where unpickled."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def heading(self) -> str:
        """The title in the current language (``title_en`` when English and declared)."""
        return self.title_en if self.title_en and language() == "en" else self.title

    @property
    def notebook(self) -> str:
        return self.path.name

    def place(self, period: Period) -> tuple[str, str]:
        """The site folder and index heading of this report for ``period``."""
        for shape, folder, title in self.site:
            if shape == period.shape:
                return folder, title
        return slug(self.name), self.title

    @functools.cached_property
    def params(self) -> type[BaseModel]:
        """The pydantic model of the parameters (unknown names are errors), built once."""
        fields = {s.name: (_annotation(s), Field(s.default, description=s.help))
                  for s in self.specs}
        model_name = "".join(p.title() for p in re.split(r"[-_]", self.name)) + "Params"
        return create_model(model_name, __config__=ConfigDict(extra="forbid", frozen=True),
                            **fields)

    def spec(self, name: str) -> ParamSpec | None:
        return next((s for s in self.specs if s.name == name), None)

    def stem(self, values: dict[str, Any], zone_id: str | None = None) -> str:
        """Stable output file name: report, period, zone id, sector, e.g.
        half-year_2021-H1_hoa-xa. The zone is named by its id (:func:`files.zone_slug`), as
        in the texts file and the site path."""
        parts = [self.name]
        for s in self.specs:
            value = values.get(s.name)
            if s.type == "zone" and value:
                if zone_id is None:
                    raise ValueError(f"{self.name}: the stem of a zone report needs its zone id")
                parts.append(zone_slug(zone_id))
            elif s.type in ("period", "sector") and value:
                parts.append(re.sub(r"[^0-9A-Za-z.-]+", "-", str(value)))
        return "_".join(parts)

    def site_key(self, period: Period, zone_id: str | None = None) -> tuple[str, str]:
        """Stable site path without extension, and its folder:
        bao-cao-6-thang/2021/2021-H1_hoa-xa."""
        folder = self.place(period)[0]
        name = str(period) + (f"_{zone_slug(zone_id)}" if zone_id else "")
        return f"{folder}/{period.year}/{name}", folder


def _spec_from(name: str, raw: dict[str, Any], where: Path) -> ParamSpec:
    kind = raw.get("type")
    if kind not in TYPES:
        raise ParameterError(_("{where}: parameter {name!r} has type {kind!r}; types: {types}"
                               ).format(where=where, name=name, kind=kind,
                                        types=", ".join(TYPES)))
    return ParamSpec(name=name, type=kind, default=raw.get("default"), help=raw.get("help", ""),
                     kinds=tuple(raw.get("kinds", ())), choices=tuple(raw.get("choices", ())),
                     min=raw.get("min"), max=raw.get("max"), help_en=raw.get("help_en", ""))


def read_report(path: Path) -> ReportSpec | None:
    """The report a notebook declares, or None for a notebook that declares none.

    Read once per process while the file is unchanged (keyed by its path, modification
    time and size): resolving many requests, and the render, parse no notebook twice.
    """
    stat = path.stat()
    return _read_report(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=256)
def _read_report(path: Path, _mtime_ns: int, _size: int) -> ReportSpec | None:
    metadata = _notebook_metadata(path)
    meta = metadata.get("izreport")
    if not meta or "parameters" not in meta:
        return None
    specs = tuple(_spec_from(n, raw, path) for n, raw in meta["parameters"].items())
    name = meta.get("report") or path.stem.replace("_report", "").replace("_", "-")
    schedule, site = _schedule_from(meta, specs, path)
    kernel = str((metadata.get("kernelspec") or {}).get("name") or "python3")
    return ReportSpec(name=name, path=path, title=meta.get("title", name), specs=specs,
                      title_en=meta.get("title_en", ""), schedule=schedule, site=site,
                      kernel=kernel)


def _notebook_metadata(path: Path) -> dict[str, Any]:
    """The notebook's metadata: the one place a notebook's JSON is parsed in the parent."""
    return dict(json.loads(path.read_text(encoding="utf-8")).get("metadata", {}))


def _schedule_from(meta: dict[str, Any], specs: tuple[ParamSpec, ...], where: Path
                   ) -> tuple[tuple[str, ...], tuple[tuple[str, str, str], ...]]:
    """Check ``schedule`` and ``site``: known shapes that the period parameter accepts."""
    period = next((s for s in specs if s.type == "period"), None)
    kinds = period.kinds if period else ()
    schedule = meta.get("schedule") or []
    site = meta.get("site") or {}
    if not isinstance(schedule, list) or not isinstance(site, dict):
        raise ParameterError(_("{where}: 'schedule' must be a list and 'site' an object")
                             .format(where=where))
    for shape in [*schedule, *site]:
        if shape not in SHAPES:
            raise ParameterError(_("{where}: unknown period shape {shape!r} in the schedule or "
                                   "site; shapes: {shapes}").format(
                where=where, shape=shape, shapes=", ".join(SHAPES)))
        kind = "half" if shape in ("H1", "H2") else shape
        if period is None or (kinds and kind not in kinds):
            raise ParameterError(_("{where}: the schedule names {shape!r} but the report's "
                                   "period parameter does not take it").format(
                where=where, shape=shape))
    places = []
    for shape, place in site.items():
        folder, title = (place or {}).get("folder", ""), (place or {}).get("title", "")
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", str(folder)) or not title:
            raise ParameterError(_("{where}: site[{shape!r}] needs a folder (a-z, 0-9, -) "
                                   "and a title").format(where=where, shape=shape))
        places.append((shape, str(folder), str(title)))
    return tuple(schedule), tuple(places)


def reports(folder: Path | None = None) -> dict[str, ReportSpec]:
    """Every report declared by a notebook in ``notebooks/``, by name."""
    found: dict[str, ReportSpec] = {}
    folder = folder or Path(os.environ.get(NOTEBOOKS_ENV) or NOTEBOOKS_DIR)
    for path in sorted(folder.glob("*.ipynb")):
        spec = read_report(path)
        if spec is None:
            continue
        if spec.name in found:
            raise ParameterError(_("report name {name!r} is declared by both {first} and "
                                   "{second}").format(name=spec.name,
                                                      first=found[spec.name].path.name,
                                                      second=path.name))
        found[spec.name] = spec
    return found


def __getattr__(name: str) -> Any:
    if name == "REPORTS":  # the registry, read from the notebooks when asked for
        return reports()
    raise AttributeError(name)


def get_report(name: str) -> ReportSpec:
    """The declared report of that name; the error lists the known ones."""
    known = reports()
    try:
        return known[name]
    except KeyError:
        message = _("unknown report {name!r}; reports: {reports}").format(
            name=name, reports=", ".join(sorted(known)))
        close = difflib.get_close_matches(name, sorted(known), n=1)
        if close:
            message = _("{message}; did you mean {name!r}?").format(message=message,
                                                                   name=close[0])
        raise ParameterError(message) from None


def validate(report: ReportSpec, raw: dict[str, Any], data_dir: Path | None = None
             ) -> dict[str, Any]:
    """Typed, checked parameter values, or a ParameterError naming each bad parameter.

    Renders go through :func:`izreport.pipeline.request.resolve` instead, which also
    gives the zone's id and the names derived from it.
    """
    return check_values(report, raw, DataFacts(data_dir))[0]


def check_values(report: ReportSpec, raw: dict[str, Any], facts: DataFacts
                 ) -> tuple[dict[str, Any], str | None]:
    """The one check of a report's parameters: typed values and the zone's id (or None).

    The pydantic model, then the data (periods inside it, zones and sectors known), then
    the hand-written texts the report would read.
    """
    raw = dict(raw)
    for name, value in list(raw.items()):
        if value is BARE_FLAG:
            spec = report.spec(name)
            if spec is not None and spec.type == "bool":
                raw[name] = True
            elif spec is not None:
                raise ParameterError(_("parameter {name!r} has no value (e.g. {flag} {example})"
                                       ).format(name=name, flag=spec.flag,
                                                example=(spec.examples or ("…",))[0]))
    model = report.params
    try:
        checked = model(**raw)
    except ValidationError as exc:
        problems = [_problem(report, err) for err in exc.errors()]
        raise ParameterError("; ".join(problems)) from None
    values = checked.model_dump(mode="json")
    zone_id = _check_against_data(report, values, facts)
    if values.get("final"):
        _check_texts(values, zone_id)
    elif values.get("period"):
        read_texts(values["period"], zone_id)  # refuses outside images before any kernel
    return values, zone_id


def _problem(report: ReportSpec, err: Any) -> str:
    """One pydantic error in the user's words, naming the parameter and what it takes."""
    name = ".".join(str(x) for x in err["loc"]) or "?"
    value = err.get("input")
    spec = report.spec(name)
    kind = err["type"]
    if kind == "extra_forbidden" or spec is None:
        return unknown_parameter(report, name)
    if kind == "value_error":
        detail = str(err["ctx"]["error"]) if "ctx" in err else str(err["msg"])
    elif kind in ("int_parsing", "int_from_float", "int_type"):
        detail = _("expected a whole number, got {value!r}").format(value=value)
    elif kind in ("greater_than_equal", "less_than_equal"):
        detail = _("must be from {min} to {max}, got {value!r}").format(
            min=spec.min if spec.min is not None else "…",
            max=spec.max if spec.max is not None else "…", value=value)
    elif kind == "literal_error":
        detail = _("must be one of {choices}, got {value!r}").format(
            choices=", ".join(spec.choices), value=value)
    else:
        detail = _("invalid value {value!r} (type: {type})").format(value=value,
                                                                     type=spec.type_label)
    return _("parameter {name!r}: {detail}").format(name=name, detail=detail)


def unknown_parameter(report: ReportSpec, name: str, options: tuple[str, ...] = ()) -> str:
    """An unknown ``--name``: the nearest report parameter or command option, and the lists."""
    flags = [s.flag for s in report.specs]
    given = "--" + name.replace("_", "-")
    close = difflib.get_close_matches(given, [*flags, *options], n=1, cutoff=0.6)
    message = _("unknown parameter {name!r}").format(name=name)
    if close:
        message += "; " + _("did you mean {option}?").format(option=close[0])
    message += " (" + _("parameters of {report}: {flags}").format(
        report=report.name, flags=", ".join(flags))
    if options:
        message += "; " + _("options: {options}").format(options=", ".join(options))
    return message + ")"


def _check_texts(values: dict[str, Any], zone_id: str | None) -> None:
    """A final report needs every hand-written section (reports/<period>.md)."""
    texts = read_texts(values["period"], zone_id)
    if zone_id is not None and not texts.path.is_file():
        return
    if texts.missing:
        raise ParameterError(
            _("parameter 'final': {file} still lacks: {sections} (render without --final for "
              "a draft marked DỰ THẢO)").format(file=texts.path.name,
                                                sections="; ".join(texts.missing)))


def _check_against_data(report: ReportSpec, values: dict[str, Any], facts: DataFacts
                        ) -> str | None:
    """Zones, sectors and periods exist in the data, read cheaply (no pandas in the parent).

    Returns the zone's id (None for the province).
    """
    zone_id = None
    try:
        for spec in report.specs:
            value = values.get(spec.name)
            if not value:
                continue
            if spec.type == "zone":
                zones = facts.zones()
                wanted = fold(value)
                match = ([z for z in zones if z["zone_id"] == value]  # an id: exactly that
                         or [z for z in zones if wanted in (fold(z["zone_id"]),
                                                            fold(z["name"]))])
                if not match:
                    # offer the zones a report can be made for: those with enterprises, not
                    # planned zones or clusters that report elsewhere
                    reporting = {e["zone_id"] for e in facts.enterprises()}
                    known = ", ".join(z["name"] for z in zones if z["zone_id"] in reporting)
                    raise ParameterError(_("parameter {name!r}: unknown zone {value!r}; "
                                           "zones: {known}").format(name=spec.name,
                                                                    value=value, known=known))
                values[spec.name], zone_id = match[0]["name"], match[0]["zone_id"]
            elif spec.type == "sector":
                sectors = {(e["vsic"], e["sector"]) for e in facts.enterprises()}
                match = [s for s in sorted(sectors) if fold(value) in (fold(s[0]), fold(s[1]))]
                if not match:
                    known = "; ".join(f"{code} {name}" for code, name in sorted(sectors))
                    raise ParameterError(_("parameter {name!r}: unknown sector {value!r}; "
                                           "sectors (VSIC): {known}").format(
                                               name=spec.name, value=value, known=known))
                values[spec.name] = match[0][0]
            elif spec.type == "period":
                months = facts.months()
                first, last = months[0], months[-1]
                period = Period.parse(value)
                if period.first_month < first or period.last_month > last:
                    raise ParameterError(_("parameter {name!r}: {period} is outside the data, "
                                           "which covers {first}..{last}").format(
                                               name=spec.name, period=period, first=first,
                                               last=last))
    except OSError as exc:
        raise ScopeError(_("cannot read the data {source}: {error}").format(
            source=describe(facts.source), error=exc)) from exc
    return zone_id
