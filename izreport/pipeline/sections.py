"""Which reports read hand-written sections (izreport texts): a question to the registry.

Kept out of :mod:`izreport.blocks.texts`, which the notebooks use to read the sections,
because the answer comes from the report notebooks' declarations (the pipeline's registry).
"""

from __future__ import annotations

from izreport.core.errors import ParameterError
from izreport.core.i18n import _
from izreport.core.periods import Period
from izreport.pipeline.params import _EXAMPLES, reports


def reports_with_texts() -> dict[str, tuple[str, ...]]:
    """The reports that read hand-written sections, with the kinds of period each takes.

    A report reads them when it declares a ``final`` parameter (a final report needs every
    section); the others (the monthly and quarterly reports) are made from the data alone.
    """
    found: dict[str, tuple[str, ...]] = {}
    for name, spec in reports().items():
        period = spec.spec("period")
        if spec.spec("final") is not None and period is not None:
            found[name] = period.kinds
    return found


def check_reads_texts(period: str) -> None:
    """Refuse a period no report with hand-written sections takes (a month, a quarter)."""
    kind = Period.parse(period).kind
    readers = reports_with_texts()
    if any(not kinds or kind in kinds for kinds in readers.values()):
        return
    others = sorted(name for name, spec in reports().items()
                    if (s := spec.spec("period")) is not None and kind in s.kinds)
    offered = "; ".join(f"{name} ({', '.join(_EXAMPLES.get(k, k) for k in kinds)})"
                        for name, kinds in sorted(readers.items()))
    raise ParameterError(_(
        "--period {period}: the {reports} report of this period has no hand-written "
        "sections, it is made from the data alone; izreport texts is for: {offered}").format(
            period=period, reports=", ".join(others) or "—", offered=offered))
