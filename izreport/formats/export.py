"""nbconvert exporters for executed report notebooks: intranet HTML, print HTML and PDF.

Registered as nbconvert entry points, so ``jupyter nbconvert --to izreport`` (HTML) and
``--to izreport_pdf`` work as users expect; :mod:`izreport.pipeline.render` uses the same classes
in-process. The pages load nothing from outside: the Vega bundle is inlined once per page
and the PDF embeds the project's fonts. A notebook whose output would load from the
network is refused (:mod:`izreport.formats.offline`), and every exported page is checked again.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from jinja2.bccache import Bucket, BytecodeCache
from nbconvert.exporters import Exporter, TemplateExporter
from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor
from traitlets import default

import izreport
from izreport.blocks.document import DRAFT_KEYWORD, FINAL_KEYWORD
from izreport.blocks.notebook_display import strip_live
from izreport.blocks.numbering import renumber
from izreport.blocks.vega import draw_pending, svg_image
from izreport.core.resources import FONTS_DIR, TEMPLATES_DIR, asset, vega_bundle
from izreport.formats.offline import check_notebook, check_page

#: Cells with this tag are for analysts (notes, scratch work) and never reach a reader.
HIDDEN_TAG = "hide"


#: Document properties the header block declares (document.header), written into the PDF.
_DOC_KEYS = ("subject", "author", "issued", "number")
#: PDF/A-2a: the archives take PDF/A (part 2 allows the charts' transparency, part 1 does
#: not), and level "a" keeps the structure tags a screen reader needs.
ARCHIVE_VARIANT = "pdf/a-2a"


def _outline(nb: Any) -> dict[str, Any]:
    """What the report's blocks declared in their output metadata: title, draft, sections,
    and the document's properties (subject, author, date, number)."""
    title, draft, sections = None, False, []
    doc: dict[str, str] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("izreport", {})
            title = title or meta.get("title")
            draft = draft or bool(meta.get("draft"))
            for key in _DOC_KEYS:
                if meta.get(key) and key not in doc:
                    doc[key] = str(meta[key])
            if meta.get("section"):
                sections.append({"id": meta["section"], "title": meta.get("section_title", "")})
    params = nb.metadata.get("papermill", {}).get("parameters", {}) or {}
    final = bool(params.get("final")) and not draft
    status = DRAFT_KEYWORD if draft else FINAL_KEYWORD if final else ""
    return {"title": str(title or nb.metadata.get("izreport", {}).get("title") or "Báo cáo"),
            "draft": draft, "final": final, "sections": sections,
            "keywords": ", ".join(k for k in ("Báo cáo", status) if k),
            "created": _created(doc.get("issued")), **doc}


def is_draft(nb: Any) -> bool:
    """Whether an executed report declared itself a draft (DỰ THẢO on its pages)."""
    return bool(_outline(nb)["draft"])


def _created(issued: str | None) -> str | None:
    """The PDF's creation date: SOURCE_DATE_EPOCH if set, else the date the document bears.

    Never the clock: the same inputs give the same bytes.
    """
    import datetime as dt

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if issued:
        return f"{issued}T00:00:00+07:00"  # Vietnam time, the board's day
    return None


def markdown_to_html(source: str) -> str:
    """Markdown cells as HTML, without the "¶" anchor links meant for notebook authors."""
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    renderer = IPythonRenderer(escape=False, exclude_anchor_links=True,
                               allow_harmful_protocols=False)
    return MarkdownWithMath(renderer=renderer).render(source)


class ChartDrawer(Preprocessor):
    """Draw the SVG of charts a render kernel left to the rendering process
    (:mod:`izreport.blocks.vega`); a notebook with none is unchanged."""

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        draw_pending(nb)
        return nb, resources


class LiveOutputRemover(Preprocessor):
    """Drop what only a live JupyterLab session needs: the Vega bundle output and the
    per-chart scripts (a notebook run in JupyterLab exports like one run by papermill)."""

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        return strip_live(nb), resources


class Renumber(Preprocessor):
    """Number tables and figures in page order once hidden cells are gone (Bảng 1, 2, …)."""

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        return renumber(nb), resources


class NetworkOutputChecker(Preprocessor):
    """Refuse a notebook whose outputs load from the network, naming the cell.

    Runs after the live outputs and analyst cells are removed: what it reads is what the
    page would show.
    """

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        check_notebook(nb, _page_name(resources, ".ipynb"))
        return nb, resources


class _CompiledTemplates(BytecodeCache):
    """Jinja's compiled templates kept in memory for the process's next exports.

    Each exporter makes a new Jinja environment, which compiled the page templates
    (nbconvert's and ours) again for every report of a batch. Jinja checks each entry
    against the template's source, so an edited template is compiled anew.
    """

    def __init__(self) -> None:
        self._codes: dict[str, tuple[str, Any]] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        checksum, code = self._codes.get(bucket.key, ("", None))
        if code is not None and checksum == bucket.checksum:
            bucket.code = code

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._codes[bucket.key] = (bucket.checksum, bucket.code)


_TEMPLATE_CODE = _CompiledTemplates()


def _page_name(resources: dict[str, Any], suffix: str) -> str:
    return f"{resources.get('metadata', {}).get('name') or 'report'}{suffix}"


class _ReportExporter(TemplateExporter):
    """Common set-up: project templates, no code or prompts, analyst cells removed."""

    output_mimetype = "text/html"
    _css_files: tuple[str, ...] = ()

    @default("file_extension")
    def _file_extension_default(self) -> str:
        return ".html"

    @default("extra_template_basedirs")
    def _extra_template_basedirs_default(self) -> list[str]:
        return [str(TEMPLATES_DIR)]

    @default("exclude_input")
    def _exclude_input_default(self) -> bool:
        return True

    @default("exclude_input_prompt")
    def _exclude_input_prompt_default(self) -> bool:
        return True

    @default("exclude_output_prompt")
    def _exclude_output_prompt_default(self) -> bool:
        return True

    @default("optimistic_validation")
    def _optimistic_validation_default(self) -> bool:
        # the notebook is validated once, after the last preprocessor, not after each of
        # the sixteen: 0,1 s of every export of the half-year report
        return True

    def _create_environment(self) -> Any:
        env = super()._create_environment()
        env.bytecode_cache = _TEMPLATE_CODE
        return env

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.register_preprocessor(ChartDrawer(enabled=True), enabled=True)
        self.register_preprocessor(LiveOutputRemover(enabled=True), enabled=True)
        self.register_preprocessor(
            TagRemovePreprocessor(remove_cell_tags={HIDDEN_TAG}, enabled=True), enabled=True)
        self.register_preprocessor(Renumber(enabled=True), enabled=True)
        self.register_preprocessor(NetworkOutputChecker(enabled=True), enabled=True)

    def default_filters(self) -> Any:
        yield from super().default_filters()
        yield ("markdown2html", markdown_to_html)
        yield ("svg_image", svg_image)

    def _izreport_resources(self, nb: Any, resources: dict[str, Any]) -> dict[str, Any]:
        css = "\n".join(asset(name) for name in self._css_files)
        stem = resources.get("metadata", {}).get("name") or "report"
        # the page links its PDF unless the caller says none is made beside it
        pdf = f"{stem}.pdf" if resources.get("izreport_pdf", True) else None
        return {"version": izreport.__version__, "css": css, "pdf": pdf,
                **_outline(nb)}

    def from_notebook_node(self, nb: Any, resources: dict[str, Any] | None = None, **kw: Any
                           ) -> tuple[str, dict[str, Any]]:
        resources = dict(resources or {})
        resources["izreport"] = self._izreport_resources(nb, resources)
        page, resources = super().from_notebook_node(nb, resources, **kw)
        # the last word: whatever a template or filter added, the page loads nothing
        check_page(page, _page_name(resources, ".html"), self._page_scripts(resources))
        return page, resources

    def _page_scripts(self, resources: dict[str, Any]) -> tuple[str, ...]:
        """The inline scripts the template itself puts in the page (see check_page)."""
        return ()


class ReportHTMLExporter(_ReportExporter):
    """The intranet page: one self-contained file with interactive charts, works offline."""

    export_from_notebook = "izreport HTML"
    _css_files = ("common.css", "screen.css")

    @default("template_name")
    def _template_name_default(self) -> str:
        return "izreport"

    def _izreport_resources(self, nb: Any, resources: dict[str, Any]) -> dict[str, Any]:
        return super()._izreport_resources(nb, resources) | {
            "vega_js": vega_bundle(), "embed_js": asset("embed.js")}

    def _page_scripts(self, resources: dict[str, Any]) -> tuple[str, ...]:
        return (resources["izreport"]["vega_js"],)


class PrintHTMLExporter(_ReportExporter):
    """The print version of the same page: static SVG charts and A4 page rules."""

    export_from_notebook = "izreport print HTML"
    _css_files = ("common.css", "print.css")

    @default("template_name")
    def _template_name_default(self) -> str:
        return "izreport_print"


class _FromPrintExporter(Exporter):
    """A binary document laid out from the print version of the page (PDF, Word)."""

    _extension = ""

    @default("file_extension")
    def _file_extension_default(self) -> str:
        return self._extension

    def from_notebook_node(self, nb: Any, resources: dict[str, Any] | None = None, **kw: Any
                           ) -> tuple[bytes, dict[str, Any]]:
        html, resources = PrintHTMLExporter(config=self.config).from_notebook_node(
            nb, resources, **kw)
        resources["output_extension"] = self._extension
        return self.convert(html, resources["izreport"]), resources

    def convert(self, html: str, iz: dict[str, Any]) -> bytes:
        """The document's bytes from the print page and its outline (``_outline``)."""
        raise NotImplementedError


class ReportPDFExporter(_FromPrintExporter):
    """A4 PDF made by WeasyPrint from the print version, with the project fonts embedded.

    A final report is an archival PDF/A (ARCHIVE_VARIANT); drafts stay plain PDF.
    """

    export_from_notebook = "izreport PDF"
    output_mimetype = "application/pdf"
    _extension = ".pdf"

    def convert(self, html: str, iz: dict[str, Any]) -> bytes:
        return html_to_pdf(html, ARCHIVE_VARIANT if iz["final"] else None)


class ReportDocxExporter(_FromPrintExporter):
    """The Word file (.docx) for comments on a draft, laid out from the print version."""

    export_from_notebook = "izreport Word"
    output_mimetype = ("application/vnd.openxmlformats-officedocument."
                       "wordprocessingml.document")
    _extension = ".docx"

    def convert(self, html: str, iz: dict[str, Any]) -> bytes:
        from izreport.formats.word import html_to_docx

        return html_to_docx(html, iz)


def local_fetcher() -> Any:
    """WeasyPrint's fetcher limited to the package's own files and ``data:`` URLs.

    Every other URL (http, ftp, a file elsewhere) is refused before any connection or
    read, so a URL that slipped into a page can neither reach the network nor read the
    machine's files; WeasyPrint leaves the resource out.
    """
    from urllib.parse import urlsplit
    from urllib.request import url2pathname

    from izreport.formats.pdfengine import URLFetcher

    root = Path(izreport.__file__).resolve().parent

    class LocalFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            if scheme == "data" or (
                    scheme == "file" and not parts.netloc
                    and Path(url2pathname(parts.path)).resolve().is_relative_to(root)):
                return super().fetch(url, headers)
            raise ValueError(f"izreport: only local assets are loaded, refused {url[:200]}")

    return LocalFetcher()


def html_to_pdf(html: str, variant: str | None = None) -> bytes:
    """Lay out a print page as PDF; fonts resolve against the package's font folder.

    ``variant`` ("pdf/a-2a") makes an archival PDF/A with structure tags; a draft is a
    plain PDF, tagged too, so that a screen reader follows its headings and tables. The
    file identifier is a hash of the content, so the same page gives the same bytes.
    """
    from izreport.formats.pdfengine import HTML, FontConfiguration

    fonts = FontConfiguration()
    document = HTML(string=html, base_url=str(FONTS_DIR) + os.sep, url_fetcher=local_fetcher())
    return document.write_pdf(font_config=fonts, uncompressed_pdf=False, pdf_variant=variant,
                              pdf_identifier=True, pdf_tags=True)
