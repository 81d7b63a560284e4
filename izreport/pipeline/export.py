"""Export an executed notebook to the wanted formats: notebook in, bytes out, no file written.

Each format is an nbconvert exporter, found by its entry-point name (``izreport``,
``izreport_pdf``, ``izreport_docx``, as ``jupyter nbconvert --to`` finds them). The
package's own exporters are looked up in :data:`EXPORTERS` first, so that the classes of
the running code are used even where the installed entry points are of another copy;
any other name goes through :func:`nbconvert.exporters.get_exporter`.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from izreport.core.errors import ParameterError
from izreport.core.i18n import _

#: Output format → nbconvert exporter name (the entry points in pyproject.toml).
FORMATS: dict[str, str] = {"html": "izreport", "pdf": "izreport_pdf", "docx": "izreport_docx"}
#: What a render writes unless told otherwise (the Word file is asked for: --to docx).
DEFAULT_FORMATS = ("html", "pdf")
#: Exporter name → "module:class", the same as the entry points.
EXPORTERS: dict[str, str] = {
    "izreport": "izreport.formats.export:ReportHTMLExporter",
    "izreport_pdf": "izreport.formats.export:ReportPDFExporter",
    "izreport_docx": "izreport.formats.export:ReportDocxExporter",
}


def check_formats(formats: Iterable[str]) -> tuple[str, ...]:
    """The wanted formats, lower-case, in order and once each; unknown ones refused."""
    wanted = tuple(dict.fromkeys(f.strip().lower() for f in formats if f.strip()))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        raise ParameterError(_("unknown output format(s) {value}; choose from {items}").format(
            value=', '.join(unknown) or '(none)', items=', '.join(FORMATS)))
    return wanted


def exporter_class(name: str) -> type[Any]:
    """The nbconvert exporter class registered as ``name``."""
    import importlib

    target = EXPORTERS.get(name)
    if target is None:
        from nbconvert.exporters import get_exporter

        return get_exporter(name)
    module, _sep, cls = target.partition(":")
    return getattr(importlib.import_module(module), cls)  # type: ignore[no-any-return]


def export_formats(nb: Any, formats: Iterable[str], stem: str,
                   on_start: Callable[[str], None] | None = None,
                   timings: dict[str, float] | None = None) -> dict[str, bytes]:
    """Each wanted format's bytes from the executed notebook ``nb`` (which is not changed).

    The notebook's outputs are checked first: one that would load from the network is a
    :class:`izreport.core.errors.NetworkOutputError` and nothing is exported. ``stem`` names the
    page's files (the HTML page links ``<stem>.pdf`` when a PDF is made beside it).
    ``on_start`` hears each format as it starts; ``timings`` gets how long each took.
    """
    import time

    from izreport.formats.export import HIDDEN_TAG
    from izreport.formats.offline import check_notebook

    wanted = check_formats(formats)
    check_notebook(nb, f"{stem}.ipynb", skip_tags={HIDDEN_TAG})
    out: dict[str, bytes] = {}
    with _without_cycle_collector():
        for fmt in wanted:
            if on_start is not None:
                on_start(fmt)
            start = time.perf_counter()
            body, _resources = exporter_class(FORMATS[fmt])().from_notebook_node(
                nb,  # nbconvert works on a copy
                resources={"metadata": {"name": stem}, "izreport_pdf": "pdf" in wanted})
            out[fmt] = body.encode("utf-8") if isinstance(body, str) else bytes(body)
            if timings is not None:
                timings[fmt] = time.perf_counter() - start
    return out


@contextlib.contextmanager
def _without_cycle_collector() -> Iterator[None]:
    """Python's cycle collector paused for the block, as it was after.

    A PDF's layout makes millions of short-lived objects, nearly all freed by reference
    counting; the collector walking them was 15 to 20 % of a PDF's time (measured: 1,16 s
    against 0,94 s for the half-year report, peak memory the same).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def is_draft(nb: Any) -> bool:
    """Whether the executed report declared itself a draft (DỰ THẢO on its pages)."""
    from izreport.formats.export import is_draft as declared

    return declared(nb)


class Prefetch(threading.Thread):
    """Import the exporters (nbconvert ~2 s, WeasyPrint) while the kernel computes."""

    def __init__(self) -> None:
        super().__init__(daemon=True, name="izreport-prefetch")
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            from izreport.blocks import vega
            from izreport.formats import export, pdfengine

            pdfengine.load()

            export.vega_bundle()
            vega.warm_up()   # this process's chart engine, unless a batch's drawer draws
        except BaseException as exc:  # reported when the exporters are used
            self.error = exc

