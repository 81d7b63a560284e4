"""Refuse notebook outputs and pages that would load anything from the network.

The intranet has no Internet access and a published page must be complete on its own, so
an output that loads a script, style sheet, image or frame from a remote address (altair's
default HTML renderer loads Vega from a CDN, for example) fails the render instead of
becoming a page with a broken chart. Markup is read with the standard HTML parser, CSS
with tinycss2 (WeasyPrint's own CSS parser), Markdown with mistune (nbconvert's).

What loads (a *finding*):

- a remote URL in an attribute that fetches: ``<script src>``, ``<link href>``,
  ``<img src/srcset>``, ``<iframe src>``, ``<object data>``, ``<embed src>``,
  ``<source src/srcset>``, ``<video src/poster>``, ``<audio src>``, ``<track src>``,
  ``<input src>``, ``<base href>``, ``background=``, SVG ``<image>``/``<use>``/``<feImage>``
  ``href``, ``<meta http-equiv="refresh">``; CSS ``url(…)``, ``image-set(…)`` and
  ``@import`` in ``<style>``, ``style=`` and SVG presentation attributes;
- in code that runs (``<script>`` without ``src`` of a JavaScript type, ``on…=`` handlers,
  ``javascript:`` URLs, ``application/javascript`` outputs): any ``http(s)://``,
  ``ws(s)://`` or ``ftp://`` address, or a protocol-relative ``"//host"`` string;
- in JSON (Vega / Vega-Lite specs in outputs or in ``<script type="application/json">``):
  a remote ``url`` (``data.url``, image marks); in an import map or speculation rules:
  any remote address; HTML inside JSON strings is read as HTML;
- ``<iframe srcdoc>`` is read as a page of its own.

Not findings: links (``<a href>``, ``<area href>``), XML namespace URIs (``xmlns``
attributes and the well-known namespace strings in scripts), ``$schema`` fields,
``data:`` URIs, fragment references (``url(#clip)``) and relative paths.

*Remote* means a URL with a network scheme (http, https, ws, wss, ftp) or starting with
``//`` (browsers also read ``\\\\`` as ``//``), after the white space and control
characters browsers ignore.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from izreport.blocks.notebook_display import LIVE_KEY
from izreport.core.errors import NetworkOutputError
from izreport.core.i18n import _

_NETWORK_SCHEMES = frozenset({"http", "https", "ws", "wss", "ftp"})
_SCHEME_RE = re.compile(r"([a-z][a-z0-9+.-]*):")
#: Characters a browser's URL parser drops anywhere (tab, newline) or trims at the ends.
_DROPPED_RE = re.compile(r"[\t\n\r]")
_TRIMMED = "".join(chr(c) for c in range(0x21))

#: Network addresses inside code: scheme URLs (also with JSON-escaped slashes) and
#: protocol-relative strings ("//cdn.example.org/...").
_CODE_URL_RE = re.compile(
    r"""(?i)\b(?:https?|wss?|ftp):(?:\\?/){2}[^\s"'`<>()\\]*"""
    r"""|(?<=["'`])\s*(?:\\?/){2}[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::\d+)?[^\s"'`<>()\\]*""")
#: Namespace names are identifiers, never fetched (createElementNS and the like).
_NAMESPACES = ("http://www.w3.org/2000/svg", "http://www.w3.org/1999/xhtml",
               "http://www.w3.org/1999/xlink", "http://www.w3.org/2000/xmlns/",
               "http://www.w3.org/XML/1998/namespace", "http://www.w3.org/1998/Math/MathML")

#: (tag, attribute) pairs whose value a browser fetches; "*" is any tag.
_URL_ATTRS: dict[str, tuple[str, ...]] = {
    "script": ("src", "href", "xlink:href"),
    "link": ("href",),
    "img": ("src",),
    "iframe": ("src",),
    "frame": ("src",),
    "object": ("data", "codebase"),
    "embed": ("src",),
    "source": ("src",),
    "track": ("src",),
    "video": ("src", "poster"),
    "audio": ("src",),
    "input": ("src",),
    "base": ("href",),
    "image": ("href", "xlink:href", "src"),
    "use": ("href", "xlink:href"),
    "feimage": ("href", "xlink:href"),
    "*": ("background",),
}
_SRCSET_ATTRS: dict[str, tuple[str, ...]] = {
    "img": ("srcset",), "source": ("srcset",), "link": ("imagesrcset",)}
_JS_TYPES = frozenset({
    "", "module", "text/javascript", "application/javascript", "application/ecmascript",
    "text/ecmascript", "application/x-javascript", "application/x-ecmascript",
    "text/jscript", "text/livescript", "text/x-javascript", "text/x-ecmascript",
    "text/javascript1.0", "text/javascript1.1", "text/javascript1.2", "text/javascript1.3",
    "text/javascript1.4", "text/javascript1.5"})
#: JSON script types whose string values are all addresses the browser loads.
_URL_JSON_TYPES = frozenset({"importmap", "speculationrules"})
#: Output mime types shown as text only (escaped in the page), never as markup.
_PLAIN_TYPES = frozenset({"text/plain", "text/latex"})


@dataclass(frozen=True)
class Finding:
    """One place that would load from the network: what kind of reference, and the URL."""

    what: str
    url: str


def is_remote(url: str) -> bool:
    """Whether a browser would fetch this URL from another host (not data:, not relative)."""
    text = _DROPPED_RE.sub("", url).strip(_TRIMMED).replace("\\", "/")
    if text.startswith("//"):
        return True
    match = _SCHEME_RE.match(text.lower())
    return bool(match) and match.group(1) in _NETWORK_SCHEMES


def code_urls(code: str) -> list[str]:
    """Network addresses written in code that runs (scripts, event handlers)."""
    found = []
    for match in _CODE_URL_RE.finditer(code):
        url = match.group(0).strip().replace("\\/", "/")
        if url not in _NAMESPACES:
            found.append(url)
    return found


def css_findings(css: str, stylesheet: bool = True) -> list[Finding]:
    """``url()``, ``image-set()`` and ``@import`` references to remote addresses.

    ``stylesheet=False`` reads a declaration list or attribute value (``style=``, SVG
    ``fill="url(#g)"``), where at-rules cannot occur.
    """
    import tinycss2

    nodes = (tinycss2.parse_stylesheet(css) if stylesheet
             else tinycss2.parse_component_value_list(css))
    found: list[Finding] = []
    for what, url in _css_refs(nodes):
        if is_remote(url):
            found.append(Finding(what, url))
    return found


def _css_refs(nodes: Any) -> Iterator[tuple[str, str]]:
    """Every URL a CSS token tree refers to, with the form it was written in."""
    for node in nodes or ():
        kind = getattr(node, "type", "")
        if kind == "url":
            yield "CSS url()", node.value
        elif kind == "function" and node.lower_name in ("url", "src"):
            strings = [t.value for t in node.arguments if t.type == "string"]
            yield "CSS url()", strings[0] if strings else "".join(
                t.serialize() for t in node.arguments).strip()
        elif kind == "function" and node.lower_name.endswith("image-set"):
            for token in node.arguments:
                if token.type == "string":
                    yield "CSS image-set()", token.value
            yield from _css_refs(node.arguments)
        elif kind == "at-rule" and node.lower_at_keyword == "import":
            for token in node.prelude:
                if token.type == "string":
                    yield "CSS @import", token.value
                    break
            yield from _css_refs(node.prelude)
        else:
            for child in ("prelude", "content", "arguments"):
                value = getattr(node, child, None)
                if isinstance(value, list):
                    yield from _css_refs(value)


def json_findings(value: Any, all_strings: bool = False) -> list[Finding]:
    """Remote ``url`` values of a JSON document (a Vega or Vega-Lite spec, a widget).

    ``$schema`` and other fields that only name a document are not fetched; strings that
    hold markup are read as HTML. ``all_strings``: every string is an address (import maps).
    """
    found: list[Finding] = []

    def walk(node: Any, in_url: bool) -> None:
        if isinstance(node, Mapping):
            for key, child in node.items():
                walk(child, in_url or key == "url")
        elif isinstance(node, list):
            for child in node:
                walk(child, in_url)
        elif isinstance(node, str):
            if (in_url or all_strings) and (is_remote(node) or code_urls(f'"{node}"')):
                found.append(Finding("JSON url" if in_url else "JSON", node))
            elif "<" in node:
                found.extend(html_findings(node))

    walk(value, False)
    return found


class _Scanner(HTMLParser):
    """Collects findings while the standard parser walks a document or fragment."""

    def __init__(self, trusted_scripts: Collection[str], scan_scripts: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[Finding] = []
        self._trusted = {s.strip() for s in trusted_scripts}
        self._scan_scripts = scan_scripts
        self._script: str | None = None  # the open <script>'s type, lower case
        self._style = False
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attributes(tag, {k: v or "" for k, v in attrs})
        if tag == "script" and not any(k in ("src", "href", "xlink:href") and v
                                       for k, v in attrs):
            self._script = (dict(attrs).get("type") or "").strip().lower()
            self._text = []
        elif tag == "style":
            self._style, self._text = True, []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attributes(tag, {k: v or "" for k, v in attrs})

    def handle_data(self, data: str) -> None:
        if self._script is not None or self._style:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self._script_text(self._script, "".join(self._text))
            self._script = None
        elif tag == "style" and self._style:
            self.found.extend(css_findings("".join(self._text)))
            self._style = False

    def close(self) -> None:
        super().close()
        self.handle_endtag("script")  # an unclosed element at the end still counts
        self.handle_endtag("style")

    def _attributes(self, tag: str, attrs: dict[str, str]) -> None:
        for name in (*_URL_ATTRS.get(tag, ()), *_URL_ATTRS["*"]):
            if is_remote(attrs.get(name, "")):
                self.found.append(Finding(f"<{tag} {name}>", attrs[name].strip()))
        for name in _SRCSET_ATTRS.get(tag, ()):
            for candidate in attrs.get(name, "").split(","):
                url = candidate.strip().split(" ")[0]
                if is_remote(url):
                    self.found.append(Finding(f"<{tag} {name}>", url))
        if tag == "meta" and attrs.get("http-equiv", "").strip().lower() == "refresh":
            _, _, target = attrs.get("content", "").partition("=")
            if is_remote(target.strip(" '\"")):
                self.found.append(Finding("<meta http-equiv=refresh>", target.strip(" '\"")))
        if tag == "iframe" and attrs.get("srcdoc"):
            self.found.extend(html_findings(attrs["srcdoc"]))
        for name, value in attrs.items():
            if name == "style" or "url(" in value.lower():
                self.found.extend(
                    Finding(f"{f.what} ({name}=)", f.url)
                    for f in css_findings(value, stylesheet=False))
            runs = name.startswith("on") or value.strip().lower().startswith("javascript:")
            if self._scan_scripts and runs:
                self.found.extend(Finding(f"JavaScript ({name}=)", u) for u in code_urls(value))

    def _script_text(self, kind: str, text: str) -> None:
        if kind in _JS_TYPES:
            if self._scan_scripts and text.strip() not in self._trusted:
                self.found.extend(Finding("JavaScript <script>", u) for u in code_urls(text))
        elif "json" in kind or kind in _URL_JSON_TYPES:
            try:
                value = json.loads(text)
            except ValueError:
                return  # not JSON: nothing a browser would load from it
            self.found.extend(json_findings(value, all_strings=kind in _URL_JSON_TYPES))


def html_findings(html: str, trusted_scripts: Collection[str] = (),
                  scan_scripts: bool = True) -> list[Finding]:
    """Findings in an HTML document, fragment or SVG, in document order.

    ``trusted_scripts``: inline scripts whose exact text is known (the page's own Vega
    bundle) and not searched for addresses. ``scan_scripts=False`` checks only markup and
    CSS, not the code of inline scripts.
    """
    scanner = _Scanner(trusted_scripts, scan_scripts)
    scanner.feed(html)
    scanner.close()
    return scanner.found


def markdown_findings(markdown: str) -> list[Finding]:
    """Findings in Markdown as the page shows it (``![](…)`` images and inline HTML)."""
    import mistune

    return html_findings(str(mistune.html(markdown)))


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def output_findings(data: Mapping[str, Any]) -> list[Finding]:
    """Findings in one output's mime bundle; every mime type holding text is read."""
    found: list[Finding] = []
    for mime, value in data.items():
        kind = mime.split(";")[0].strip().lower()
        if kind in _PLAIN_TYPES or (kind.startswith("image/") and kind != "image/svg+xml"):
            continue
        if isinstance(value, str | list):
            found.extend(_text_findings(kind, _text(value)))
        elif kind.endswith("json"):
            found.extend(json_findings(value))
        elif kind in _CODE_TYPES:
            found.extend(_text_findings(kind, _text(value)))
    return found


#: Mime types read as code or text of their own kind, not as HTML.
_CODE_TYPES = frozenset({"application/javascript", "text/javascript", "text/markdown",
                         "text/css"})


@functools.lru_cache(maxsize=512)
def _text_findings(kind: str, text: str) -> tuple[Finding, ...]:
    """Findings in one output's text of mime type ``kind``.

    Remembered: a render checks each output three times (before exporting, then in the
    HTML and the print exporter, on copies holding the same strings), and parsing the
    outputs' HTML each time would cost 0,1 s of every report.
    """
    if kind.endswith("json"):
        try:
            value = json.loads(text)
        except ValueError:
            return tuple(html_findings(text))
        return tuple(json_findings(value))
    if kind in ("application/javascript", "text/javascript"):
        return tuple(Finding("JavaScript", u) for u in code_urls(text))
    if kind == "text/markdown":
        return tuple(markdown_findings(text))
    if kind == "text/css":
        return tuple(css_findings(text))
    return tuple(html_findings(text))


def _cell_label(cell: Mapping[str, Any], number: int) -> str:
    """'ô mã số 3 (id …): «first line»': how an analyst finds the cell."""
    kind = "ô mã" if cell.get("cell_type") == "code" else "ô Markdown"
    source = _text(cell.get("source", "")).strip()
    first = source.splitlines()[0] if source else ""
    if len(first) > 60:
        first = first[:59] + "…"
    ident = f" (id {cell['id']})" if cell.get("id") else ""
    return f"{kind} số {number}{ident}: «{first}»"


def notebook_findings(nb: Mapping[str, Any], skip_tags: Collection[str] = ()
                      ) -> list[tuple[str, Finding]]:
    """(cell label, finding) for every place in the notebook's outputs and Markdown.

    Cells are numbered per kind from 1 as the analyst's notebook shows them: the cell
    papermill injects (tagged ``injected-parameters``) is not counted. Cells tagged with
    one of ``skip_tags`` and outputs only a live front end shows (which the exporters
    drop) are not read.
    """
    found: list[tuple[str, Finding]] = []
    numbers = {"code": 0, "markdown": 0}
    for cell in nb.get("cells", []):
        tags = set(cell.get("metadata", {}).get("tags", []))
        kind = cell.get("cell_type", "")
        if "injected-parameters" in tags or kind not in numbers:
            continue
        numbers[kind] += 1
        if tags & set(skip_tags):
            continue
        label = _cell_label(cell, numbers[kind])
        if kind == "markdown":
            found.extend((label, f) for f in _text_findings("text/markdown",
                                                            _text(cell.get("source", ""))))
            continue
        for output in cell.get("outputs", []):
            if output.get("metadata", {}).get("izreport", {}).get(LIVE_KEY):
                continue
            found.extend((label, f) for f in output_findings(output.get("data", {})))
    return found


def _short(url: str) -> str:
    return url if len(url) <= 100 else url[:99] + "…"


def _more(count: int) -> str:
    return _(" (and {count} more)").format(count=count) if count else ""


def check_notebook(nb: Mapping[str, Any], name: str = "notebook",
                   skip_tags: Collection[str] = ()) -> None:
    """Raise :class:`NetworkOutputError` naming the first cell whose output loads from
    the network (see :func:`notebook_findings`)."""
    found = notebook_findings(nb, skip_tags)
    if found:
        label, first = found[0]
        raise NetworkOutputError(_(
            "{name}: {label} shows content loaded from the network ({what} {url}){more}; the "
            "report page must work without a network: remove this content from the cell"
        ).format(name=name, label=label, what=first.what, url=_short(first.url),
                 more=_more(len(found) - 1)))


def check_page(html: str, name: str = "page", trusted_scripts: Collection[str] = ()) -> None:
    """Raise :class:`NetworkOutputError` if an exported page would load from the network.

    The page's own inline scripts (the Vega bundle, given as ``trusted_scripts``) are not
    searched: the bundle holds addresses it never loads (the Vega editor link, schema and
    namespace names). Every other inline script is.
    """
    found = html_findings(html, trusted_scripts)
    if found:
        first = found[0]
        raise NetworkOutputError(_(
            "{name}: the exported page loads content from the network ({what} {url}){more}; "
            "the report page must work without a network").format(
                name=name, what=first.what, url=_short(first.url), more=_more(len(found) - 1)))
