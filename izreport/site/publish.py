"""Publish the rendered reports to the intranet folder: ``izreport publish --to DIR``.

The site has one stable path per report and period, for example::

    index.html                                     list in Vietnamese, newest first
    bao-cao-thang/2021/2021-06.html | .pdf         monthly report (monthly)
    bao-cao-6-thang/2021/2021-H1.html | .pdf       half-year report (half-year, 2021-H1)
    bao-cao-6-thang/2021/2021-H1_hoa-xa.html       the same for one zone
    bao-cao-nam/2021/2021.html | .pdf              year report (half-year, 2021)
    bao-cao-6-thang/2021/_cu/2021-H1.2026-11-26T101500.html   an earlier version

Only complete renders are published: the latest render of a report (in the run log
``<out>/.state/runs.jsonl``) succeeded, wrote both HTML and PDF, and both files on disk
still have the SHA-256 it recorded. A report whose latest render failed keeps its
published version. When a report is published again with different content, the version
it replaces moves to ``_cu/`` (named by its render time) and the index links it as
"bản trước". Every published page gets a link back to the index ("← Danh mục báo
cáo", not printed); the index gives each report's data cut-off: the last month of its
period that the data held when it was rendered ("số liệu đến tháng 6/2021" for 2021-H1).

Publishing is atomic: the new site is built in a hidden folder next to the target (files
that stay are hard links of the published ones, never rewritten), then swapped in with one
``renameat2(RENAME_EXCHANGE)`` where the system has it, else two renames; an interrupted
publish leaves the previous site in place (a publish interrupted between the two renames
is completed by the next one). Links are relative: the site works from ``file://`` and
any static server, with no network.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import errno
import fcntl
import functools
import html
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from izreport.core.errors import IzReportError
from izreport.core.files import slug
from izreport.core.i18n import _
from izreport.pipeline import runlog

MANIFEST = ".izreport-site.json"
EARLIER = "_cu"

class PublishError(IzReportError):
    """The site cannot be published (the target or the outputs cannot be used)."""


@dataclass
class PublishResult:
    """What a publish did, per site path (``bao-cao-6-thang/2021/2021-H1``)."""

    site: Path
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (stem, why)
    drafts: list[str] = field(default_factory=list)  # keys published as drafts (DỰ THẢO)
    swapped: bool = False


# --------------------------------------------------------------------------- paths


def site_key(report: str, period: Any, zone_id: str | None = None) -> tuple[str, str]:
    """Stable site path without extension, and the kind's folder: the zone by its id.

    A render's request derives it (``RunRequest.site``, kept in the run log); this is for
    records without it and for reports whose notebook is gone.
    """
    from izreport.core.periods import Period
    from izreport.pipeline.params import ReportSpec, get_report

    period = period if isinstance(period, Period) else Period.parse(str(period))
    try:
        spec = get_report(report)
    except IzReportError:  # a report whose notebook is gone: its pages stay where they are
        spec = ReportSpec(report, Path(), report, ())
    return spec.site_key(period, zone_id)


def _site_place(report: str, period: Any) -> tuple[str, str]:
    """Folder and index heading from the report's declaration (``site`` in its notebook)."""
    from izreport.pipeline.params import get_report

    try:
        return get_report(report).place(period)
    except IzReportError:  # a report whose notebook is gone: its pages stay where they are
        return slug(report), report


# --------------------------------------------------------------------------- candidates


@dataclass(frozen=True)
class Candidate:
    """A complete render in the output folder, ready to publish."""

    key: str
    folder: str
    record: dict[str, Any]
    html: Path
    pdf: Path
    signed: Path | None = None  # the signed copy of the PDF (izreport sign), if any


def candidates(out: Path, drafts: bool = False
               ) -> tuple[list[Candidate], list[tuple[str, str]]]:
    """Complete renders of ``out`` and, for the others, why they are not published.

    A draft (DỰ THẢO) is published only with ``drafts``; otherwise the version already on
    the site, if any, stays.
    """
    ready: list[Candidate] = []
    skipped: list[tuple[str, str]] = []
    for stem, rec in sorted(runlog.latest_renders(runlog.read(out)).items()):
        if rec.get("report") == "forms":  # workbooks for the ministry, not for the intranet
            continue
        if rec.get("result") != "ok":
            skipped.append((stem, _("latest render failed ({time}): {error}").format(
                time=rec.get("time"), error=rec.get("error") or _("no message"))))
            continue
        if rec.get("draft") and not drafts:
            skipped.append((stem, _("draft (DỰ THẢO): hand-written sections are missing; "
                                    "drafts are published only with [publish] drafts = true "
                                    "in izreport.toml")))
            continue
        files = rec.get("files") or {}
        problem = None
        for fmt in ("html", "pdf"):
            info = files.get(fmt)
            path = out / str(info.get("path")) if info else None
            if info is None:
                problem = _("no {format} in its latest render").format(format=fmt.upper())
            elif path is None or not path.is_file():
                problem = _("{path} is missing").format(path=info.get("path"))
            elif runlog.sha256_file(path) != info.get("sha256"):
                problem = _("{path} changed since its render").format(path=info.get("path"))
            if problem:
                break
        try:
            key, folder = _recorded_place(rec)
        except (KeyError, IzReportError) as exc:
            problem = problem or _("cannot place it on the site: {error}").format(error=exc)
        if problem:
            skipped.append((stem, problem))
            continue
        pdf = out / files["pdf"]["path"]
        signed, why = _signed_copy(pdf)
        if why:
            skipped.append((_("{report} (signed copy)").format(report=stem), why))
        ready.append(Candidate(key, folder, rec, out / files["html"]["path"], pdf, signed))
    return ready, skipped


def _recorded_place(rec: Mapping[str, Any]) -> tuple[str, str]:
    """The site path its render recorded; a record of an older version names no zone id."""
    site = rec.get("site")
    if site:
        return str(site), str(site).split("/", 1)[0]
    params = rec.get("params") or {}
    if params.get("zone") and not rec.get("zone_id"):
        raise PublishError(_("rendered by an earlier version that did not record the zone's "
                             "id; render it again to publish it"))
    return site_key(str(rec.get("report")), params["period"], rec.get("zone_id"))


def _signed_copy(pdf: Path) -> tuple[Path | None, str | None]:
    """The signed copy beside a rendered PDF, if it signs exactly that PDF, intact.

    A signature is an incremental update: the signed file starts with the very bytes of
    the render. Anything else (an older render's signature, a damaged file) is not
    published, and the reason is given.
    """
    from izreport.signing.sign import signatures_intact, signed_path

    path = signed_path(pdf)
    if path == pdf or not path.is_file():
        return None, None
    data, original = path.read_bytes(), pdf.read_bytes()
    if len(data) <= len(original) or data[:len(original)] != original:
        return None, _("{signed} is not a signed copy of the present {pdf}: not published"
                       ).format(signed=path.name, pdf=pdf.name)
    if not signatures_intact(data):
        return None, _("{signed}: the digital signature is no longer intact: not published"
                       ).format(signed=path.name)
    return path, None


# --------------------------------------------------------------------------- publish


def publish(out: Path | str, to: Path | str, now: dt.datetime | None = None,
            drafts: bool | None = None) -> PublishResult:
    """Publish every complete render of ``out`` into the site folder ``to``, atomically.

    ``drafts``: also publish drafts (default: ``[publish] drafts`` of izreport.toml).
    """
    out, target = Path(out), Path(to).absolute()
    if drafts is None:
        from izreport.core.config import publish_drafts

        drafts = publish_drafts()
    if not out.is_dir():
        raise PublishError(_("{out}: output folder not found").format(out=out))
    if target.exists() and not target.is_dir():
        raise PublishError(_("{target}: exists and is not a folder").format(target=target))
    check_target(out, target)
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    stamp = (now or dt.datetime.now().astimezone()).isoformat(timespec="seconds")
    with _site_lock(parent, target.name):
        _recover(parent, target.name)
        result = PublishResult(site=target)
        ready, result.skipped = candidates(out, drafts)
        manifest = _read_manifest(target)
        build = Path(tempfile.mkdtemp(dir=parent, prefix=f".{target.name}.new-"))
        try:  # mkdtemp makes it private; a site is read by the web server
            os.chmod(build, target.stat().st_mode & 0o7777 if target.is_dir() else 0o755)
            if target.is_dir():
                _link_tree(target, build)
            entries = manifest.get("entries", {})
            for cand in ready:
                _place(cand, entries, build, stamp, result)
            manifest = {"entries": entries, "board": _board_name()}
            (build / MANIFEST).write_text(
                json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                encoding="utf-8")
            index = render_index(manifest)
            (build / "index.html").write_text(index, encoding="utf-8")
            old_index = target / "index.html"
            same = (not result.added and not result.updated and old_index.is_file()
                    and old_index.read_text(encoding="utf-8") == index)
            if not same:
                _fsync_tree(build)
                _swap(build, target)
                result.swapped = True
        finally:
            shutil.rmtree(build, ignore_errors=True)
    return result


def check_target(out: Path, target: Path) -> None:
    """Refuse a site folder that publishing would damage, before anything is written.

    The swap replaces the whole target folder: a target equal to, inside or above the
    output folder would mix or swap the wrong files; a symlink would become a real folder;
    a file system mounted inside would be swapped away; a folder with other content than a
    site izreport made (its manifest) would be replaced.
    """
    src, dst = out.resolve(), target.resolve()
    if dst == src or dst.is_relative_to(src) or src.is_relative_to(dst):
        raise PublishError(_("--to {target}: is, is inside or contains the output folder --from "
                             "{out}; the site must be a folder of its own").format(
                                 target=target, out=out))
    if target.is_symlink():
        raise PublishError(_("--to {target}: is a link (symlink) to {dst}; point straight at the "
                             "site folder").format(target=target, dst=dst))
    if not target.is_dir():
        return
    if not (target / MANIFEST).is_file() and any(target.iterdir()):
        raise PublishError(_("--to {target}: the folder has content but is not a site made by "
                             "izreport ({MANIFEST} missing); choose an empty folder or an "
                             "earlier site").format(target=target, MANIFEST=MANIFEST))
    for folder, subfolders, files in os.walk(target):  # never follows symlinks
        for name in [*subfolders, *files]:
            path = os.path.join(folder, name)
            if os.path.islink(path):
                # izreport never makes one; copying or removing through it would reach
                # files outside the site
                raise PublishError(_("--to {target}: the site holds a symbolic link at {path} "
                                     "(izreport never makes one and does not follow it); "
                                     "remove it").format(target=target, path=path))
            if name in subfolders and os.path.ismount(path):
                raise PublishError(_("--to {target}: a disk is mounted at {value}; nothing is "
                                     "published there").format(target=target, value=path))


def _place(cand: Candidate, entries: dict[str, Any], build: Path, stamp: str,
           result: PublishResult) -> None:
    rec = cand.record
    digests = {fmt: rec["files"][fmt]["sha256"] for fmt in ("html", "pdf")}
    if cand.signed is not None:
        digests["signed"] = runlog.sha256_file(cand.signed)
    old = entries.get(cand.key)
    if old is not None and old.get("sha256") == digests and \
            bool(old.get("draft")) == bool(rec.get("draft")):
        result.unchanged.append(cand.key)
        return
    earlier = list(old.get("earlier", [])) if old else []
    if old is not None:
        earlier.insert(0, _keep_earlier(old, build))
        result.updated.append(cand.key)
    else:
        result.added.append(cand.key)
    if rec.get("draft"):
        result.drafts.append(cand.key)
    files = {}
    sources = [("html", cand.html, ".html"), ("pdf", cand.pdf, ".pdf")]
    if cand.signed is not None:
        from izreport.signing.sign import SIGNED_SUFFIX

        sources.append(("signed", cand.signed, f"{SIGNED_SUFFIX}.pdf"))
    for fmt, source, ext in sources:
        rel = f"{cand.key}{ext}"
        dest = build / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.unlink(missing_ok=True)  # a hard link of the published file: never write into it
        shutil.copyfile(source, dest)
        files[fmt] = {"path": rel, "size": dest.stat().st_size}
    _site_links(build / files["html"]["path"], Path(files["pdf"]["path"]).name, build)
    files["html"]["size"] = (build / files["html"]["path"]).stat().st_size
    params = rec.get("params") or {}
    entries[cand.key] = {
        "report": rec.get("report"), "period": params.get("period"), "zone": params.get("zone"),
        "folder": cand.folder, "stem": rec.get("stem"), "sha256": digests, "files": files,
        "rendered": rec.get("time"), "data_until": rec.get("data_until"), "published": stamp,
        "draft": bool(rec.get("draft")), "earlier": earlier,
    }


_PDF_LINK = re.compile(r'(<p class="iz-pdf-link"><a href=")[^"]*(")')
_SITE_LINK = re.compile(r'<p class="iz-site-link">.*?</p>\n?')
#: Where the link back to the index goes: first thing in the body, the tag right after the
#: last "</head>" (the inlined Vega code in the head holds "</head><body" itself).
_BODY = re.compile(r"\s*<body[^>]*>\n?")
INDEX_LINK_TEXT = "← Danh mục báo cáo"


def _site_links(page: Path, pdf_name: str, site: Path) -> None:
    """Point the page's "Bản in PDF" link at its PDF's published name (same folder) and
    put a link back to the site's index at the top of the page (relative, as every link).

    The page is written anew (never in place: it may be a hard link into the live site).
    """
    text = page.read_text(encoding="utf-8")
    fixed = _SITE_LINK.sub("", text)  # an earlier version's page has one already
    fixed = _PDF_LINK.sub(lambda m: m.group(1) + escape(pdf_name) + m.group(2), fixed, count=1)
    index = Path(os.path.relpath(site / "index.html", page.parent)).as_posix()
    back = f'<p class="iz-site-link"><a href="{_href(index)}">{INDEX_LINK_TEXT}</a></p>\n'
    head = fixed.rfind("</head>") + len("</head>") if "</head>" in fixed else 0
    body = _BODY.match(fixed, head)
    at = body.end() if body else head
    fixed = fixed[:at] + back + fixed[at:]
    if fixed != text:
        tmp = page.with_name(f".{page.name}.tmp")
        tmp.write_text(fixed, encoding="utf-8")
        os.replace(tmp, page)


def _keep_earlier(old: Mapping[str, Any], build: Path) -> dict[str, Any]:
    """Move the published files of ``old`` into ``_cu/``, named by their render time."""
    when = _parse_time(old.get("rendered") or old.get("published"))
    label = when.strftime("%Y-%m-%dT%H%M%S") if when else "truoc"
    kept: dict[str, Any] = {}
    for fmt, info in (old.get("files") or {}).items():
        current = build / info["path"]
        folder = current.parent / EARLIER
        folder.mkdir(parents=True, exist_ok=True)
        ext = Path(info["path"]).suffix or f".{fmt}"
        name = f"{Path(info['path']).stem}.{label}"
        dest, n = folder / f"{name}{ext}", 1
        while dest.exists():
            n += 1
            dest = folder / f"{name}-{n}{ext}"
        if current.exists():
            os.replace(current, dest)
        kept[fmt] = {"path": dest.relative_to(build).as_posix(),
                     "size": dest.stat().st_size if dest.exists() else info.get("size", 0)}
    if "html" in kept and "pdf" in kept and (build / kept["html"]["path"]).exists():
        _site_links(build / kept["html"]["path"], Path(kept["pdf"]["path"]).name, build)
    return {"files": kept, "rendered": old.get("rendered"), "data_until": old.get("data_until"),
            "published": old.get("published"), "sha256": old.get("sha256"),
            "draft": bool(old.get("draft"))}


def _parse_time(text: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(text))
    except ValueError:
        return None


def _board_name() -> str:
    try:
        from izreport.core.config import load_board

        return load_board().name
    except (IzReportError, OSError):
        return "Ban Quản lý các Khu công nghiệp"


def _read_manifest(target: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError):
        return {"entries": {}}
    return manifest if isinstance(manifest, dict) else {"entries": {}}


# --------------------------------------------------------------------------- files


def _link_tree(source: Path, dest: Path) -> None:
    """Recreate ``source`` in ``dest`` with hard links (copies across file systems)."""
    for root, dirs, files in os.walk(source):
        rel = Path(root).relative_to(source)
        for d in dirs:
            (dest / rel / d).mkdir(exist_ok=True)
        for f in files:
            if rel == Path(".") and f in ("index.html", MANIFEST):
                continue  # regenerated
            src, dst = Path(root) / f, dest / rel / f
            try:
                os.link(src, dst)
            except OSError:
                shutil.copy2(src, dst)


def _fsync_tree(root: Path) -> None:
    """Flush the new site to disk before it becomes the site (power loss after the swap)."""
    for folder, _dirs, files in os.walk(root):
        for name in [*files, "."]:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


@contextlib.contextmanager
def _site_lock(parent: Path, name: str) -> Iterator[None]:
    """One publish at a time per site (waits for the other to finish)."""
    fd = os.open(parent / f".{name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _recover(parent: Path, name: str) -> None:
    """Undo what an interrupted publish left: a half-built site, a site moved aside."""
    target = parent / name
    aside = sorted(parent.glob(f".{name}.old-*"), key=lambda p: p.stat().st_mtime)
    if not target.exists() and aside:
        os.rename(aside.pop(), target)  # interrupted between the two renames
    for leftover in [*aside, *parent.glob(f".{name}.new-*")]:
        shutil.rmtree(leftover, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap(build: Path, target: Path) -> None:
    """Make ``build`` the site. Afterwards ``build`` holds the old site (or nothing)."""
    if not target.exists():
        os.rename(build, target)
        return
    if _exchange(build, target):
        return
    aside = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.old-"))
    aside.rmdir()  # a fresh name: the site moves there
    os.rename(target, aside)
    os.rename(build, target)  # between these two renames the site is aside: _recover
    os.rename(aside, build)


# --------------------------------------------------------------------------- index


def _size(n: int) -> str:
    from izreport.core.formatting import number

    if n >= 1024 * 1024:
        return f"{number(n / (1024 * 1024), 1)} MB"
    return f"{number(max(1, round(n / 1024)))} KB"


def _when(text: Any) -> str:
    moment = _parse_time(text)
    return moment.strftime("%d/%m/%Y %H:%M") if moment else "—"


def _until(month: Any, period: Any = None) -> str:
    """The report's data cut-off: the last month of its period the data held.

    ``month`` is the store's last month when the report was rendered; a report of an
    earlier period uses data only up to its period's end.
    """
    from izreport.core.periods import Period

    if not month or not re.fullmatch(r"\d{4}-\d{2}", str(month)):
        return "không rõ"
    month = str(month)
    with contextlib.suppress(IzReportError):
        month = min(month, Period.parse(str(period)).last_month)
    return f"tháng {int(month[5:])}/{month[:4]}"


def _href(path: str) -> str:
    return html.escape(quote(path, safe="/"), quote=True)


_LINK_TEXT = {"html": "HTML", "pdf": "PDF", "signed": "PDF ký số"}


def _links(files: Mapping[str, Any]) -> str:
    parts = []
    for fmt, text in _LINK_TEXT.items():
        info = files.get(fmt)
        if info:
            parts.append(f'<a href="{_href(info["path"])}">{text}</a> '
                         f'<span class="size">({html.escape(_size(int(info["size"])))})</span>')
    return " · ".join(parts)


def _label(entry: Mapping[str, Any]) -> str:
    from izreport.core.periods import Period

    try:
        text = Period.parse(str(entry.get("period"))).label_vi
        text = text[:1].upper() + text[1:]
    except IzReportError:
        text = str(entry.get("period"))
    zone = entry.get("zone")
    return f"{text} — {zone}" if zone else f"{text} — toàn tỉnh"


def render_index(manifest: Mapping[str, Any]) -> str:
    """The site's index.html: by year (newest first), then type, newest period first."""
    from izreport.core.periods import Period

    entries = list((manifest.get("entries") or {}).values())

    def order(e: Mapping[str, Any]) -> tuple[Any, ...]:
        try:
            p = Period.parse(str(e.get("period")))
            end = (p.year, p.last, p.first)
        except IzReportError:
            end = (0, 0, 0)
        return (-end[0], -end[1], -end[2], e.get("zone") is not None, str(e.get("zone") or ""))

    years: dict[int, dict[str, list[Mapping[str, Any]]]] = {}
    for e in sorted(entries, key=order):
        try:
            year = Period.parse(str(e.get("period"))).year
        except IzReportError:
            year = 0
        years.setdefault(year, {}).setdefault(str(e.get("folder")), []).append(e)
    listed = []
    for year in sorted(years, reverse=True):
        groups = years[year]
        length: dict[str, int] = {}
        for folder, items in groups.items():
            with contextlib.suppress(IzReportError):  # the year's report first, then shorter
                length[folder] = len(Period.parse(str(items[0].get("period"))).months)
        shown = []
        for folder in sorted(groups, key=lambda f: (-length.get(f, 0), f)):
            first = groups[folder][0]
            title = folder
            with contextlib.suppress(IzReportError):
                title = _site_place(str(first.get("report")),
                               Period.parse(str(first.get("period"))))[1]
            shown.append({"title": title, "entries": [_item(e) for e in groups[folder]]})
        listed.append({"year": year, "groups": shown})
    return _index_template().render(
        board=str(manifest.get("board") or "Ban Quản lý các Khu công nghiệp"), years=listed)


@functools.cache
def _index_template() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined)
    return env.get_template("index.html")


def _item(e: Mapping[str, Any]) -> dict[str, Any]:
    """One report of the index, with its earlier versions: texts, and links as HTML."""
    from markupsafe import Markup

    return {"label": _label(e), "draft": bool(e.get("draft")),
            "signed": bool((e.get("files") or {}).get("signed")),
            "links": Markup(_links(e.get("files") or {})),
            "until": _until(e.get("data_until"), e.get("period")),
            "when": _when(e.get("rendered")),
            "earlier": [{"draft": bool(old.get("draft")),
                         "when": _when(old.get("rendered")),
                         "until": _until(old.get("data_until"), e.get("period")),
                         "links": Markup(_links(old.get("files") or {}))}
                        for old in e.get("earlier") or []]}
