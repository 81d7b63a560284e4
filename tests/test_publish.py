"""Publishing to the intranet folder: stable paths, index, earlier versions, atomic swap.

Renders are faked (files plus their run-log record, as ``izreport render`` writes them):
publishing only reads the output folder, and real renders are covered in test_due.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from izreport.commands.cli import app
from izreport.core.resources import asset
from izreport.pipeline import runlog
from izreport.pipeline.params import get_report
from izreport.site import publish
from izreport.site.publish import EARLIER

#: the wording checked here is the English msgid (Vietnamese: test_i18n)
pytestmark = pytest.mark.usefixtures("english")

runner = CliRunner()


def fake_render(out: Path, report: str, params: dict[str, Any], content: str = "v1",
                formats: tuple[str, ...] = ("html", "pdf"), result: str = "ok",
                data_until: str = "2025-06", size: int = 0) -> str:
    """Write a report's files and its run-log record, as a render would."""
    out.mkdir(parents=True, exist_ok=True)
    zone_id = publish.slug(params["zone"]) if params.get("zone") else None
    stem = get_report(report).stem(params, zone_id)
    site = publish.site_key(report, params["period"], zone_id)[0]
    files = {}
    if result == "ok":
        for fmt in formats:
            path = out / f"{stem}.{fmt}"
            # the page links its PDF by the output name, as the exporter writes it
            link = f'<p class="iz-pdf-link"><a href="{stem}.pdf" type="application/pdf">PDF</a>'
            body = (f"<p>{stem} {content}</p>{link}" if fmt == "html"
                    else f"%PDF {stem} {content}")
            path.write_bytes(body.encode() + b" " * size)
            files[fmt] = path
    runlog.append(out, runlog.record(
        report=report, params=params, stem=stem, result=result, trigger="render", out=out,
        files=files, error=None if result == "ok" else "plans.csv: bad", data_until=data_until,
        zone_id=zone_id, site=site))
    return stem


def tree(root: Path) -> dict[str, str]:
    """Every file under root (relative path -> SHA-256)."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a":
            self.hrefs.append(str(values.get("href")))
        if tag == "html":
            self.lang = values.get("lang")


def links(site: Path) -> _Links:
    parser = _Links()
    parser.feed((site / "index.html").read_text(encoding="utf-8"))
    return parser


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    fake_render(folder, "half-year", {"period": "2021-H1"})
    fake_render(folder, "half-year", {"period": "2021-H1", "zone": "Hòa Xá"})
    fake_render(folder, "half-year", {"period": "2020"}, data_until="2021-01")
    fake_render(folder, "half-year", {"period": "2021"}, size=1_600_000)
    return folder


def test_stable_paths_index_and_relative_links(out: Path, tmp_path: Path) -> None:
    site = tmp_path / "intranet" / "bao-cao"
    result = publish.publish(out, site)
    assert result.swapped and len(result.added) == 4 and not result.skipped
    files = set(tree(site))
    assert {"bao-cao-6-thang/2021/2021-H1.html", "bao-cao-6-thang/2021/2021-H1.pdf",
            "bao-cao-6-thang/2021/2021-H1_hoa-xa.html", "bao-cao-6-thang/2021/2021-H1_hoa-xa.pdf",
            "bao-cao-nam/2020/2020.html", "bao-cao-nam/2021/2021.pdf", "index.html"} <= files
    parsed = links(site)
    assert parsed.lang == "vi"
    assert len(parsed.hrefs) == 8
    for href in parsed.hrefs:
        assert not href.startswith(("/", "http", "file:")), href
        assert (site / href).is_file(), href
    page = (site / "index.html").read_text(encoding="utf-8")
    assert page.index("Năm 2021") < page.index("Năm 2020")  # newest first
    assert page.index("Báo cáo năm") < page.index("Báo cáo 6 tháng")
    assert page.index("toàn tỉnh") < page.index("Hòa Xá")
    assert "1,5 MB" in page  # Vietnamese decimal comma
    # each report's cut-off: its period's end when the data went further
    assert "số liệu đến tháng 12/2020" in page and "số liệu đến tháng 6/2021" in page
    assert "tháng 6/2025" not in page and "tháng 1/2021" not in page
    assert os.stat(site).st_mode & 0o755 == 0o755  # readable by the web server


def test_everything_in_the_index_is_escaped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    out = tmp_path / "out"
    fake_render(out, "half-year", {"period": "2021-H1", "zone": "A&B <script>"})
    site = tmp_path / "site"
    publish.publish(out, site)
    page = (site / "index.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "A&amp;B &lt;script&gt;" in page
    assert all((site / h).is_file() for h in links(site).hrefs)


def test_republishing_changed_content_keeps_the_earlier_version(out: Path, tmp_path: Path
                                                                ) -> None:
    site = tmp_path / "site"
    publish.publish(out, site)
    first = (site / "bao-cao-6-thang/2021/2021-H1.html").read_bytes()
    again = publish.publish(out, site)
    assert not again.swapped and len(again.unchanged) == 4  # nothing changed: site untouched

    fake_render(out, "half-year", {"period": "2021-H1"}, content="v2")
    second = publish.publish(out, site)
    assert second.updated == ["bao-cao-6-thang/2021/2021-H1"] and second.swapped
    assert b"v2" in (site / "bao-cao-6-thang/2021/2021-H1.html").read_bytes()
    earlier = sorted((site / "bao-cao-6-thang/2021/_cu").iterdir())
    assert [p.suffix for p in earlier] == [".html", ".pdf"]
    assert earlier[0].name.startswith("2021-H1.") and b"v1" in earlier[0].read_bytes()
    assert first != earlier[0].read_bytes()  # its PDF link now names the kept PDF
    page = (site / "index.html").read_text(encoding="utf-8")
    assert "bản trước" in page
    hrefs = links(site).hrefs
    assert f"bao-cao-6-thang/2021/_cu/{earlier[0].name}" in hrefs
    assert all((site / h).is_file() for h in hrefs)


def test_failed_and_partial_renders_are_not_published(tmp_path: Path) -> None:
    out = tmp_path / "out"
    site = tmp_path / "site"
    fake_render(out, "half-year", {"period": "2021-H1"})
    publish.publish(out, site)
    before = tree(site)
    # the re-render failed: the published version stays, the failure is reported
    fake_render(out, "half-year", {"period": "2021-H1"}, result="failed")
    fake_render(out, "half-year", {"period": "2021-H2"}, formats=("html",))  # no PDF
    fake_render(out, "half-year", {"period": "2020"})
    (out / "half-year_2020.pdf").write_bytes(b"%PDF truncated")  # not what was rendered
    fake_render(out, "half-year", {"period": "2019"}, result="failed")  # never succeeded
    result = publish.publish(out, site)
    reasons = dict(result.skipped)
    assert "latest render failed" in reasons["half-year_2021-H1"]
    assert "no PDF" in reasons["half-year_2021-H2"]
    assert "changed since its render" in reasons["half-year_2020"]
    assert "latest render failed" in reasons["half-year_2019"]
    assert not result.added and not result.updated
    assert tree(site) == before


def test_a_failing_swap_leaves_the_previous_site(out: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    publish.publish(out, site)
    before = tree(site)
    fake_render(out, "half-year", {"period": "2021-H1"}, content="v2")

    def broken(build: Path, target: Path) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(publish, "_swap", broken)
    with pytest.raises(OSError, match="disk full"):
        publish.publish(out, site)
    assert tree(site) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site.new")] == []


def test_a_publish_stopped_between_the_two_renames_is_completed_next_time(
        out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    publish.publish(out, site)
    before = tree(site)
    fake_render(out, "half-year", {"period": "2021-H1"}, content="v2")
    monkeypatch.setattr(publish, "_exchange", lambda a, b: False)  # no renameat2
    real_rename = os.rename
    calls = []

    def dies_after_first(src: Any, dst: Any) -> None:
        calls.append(src)
        if len(calls) == 2:
            raise KeyboardInterrupt  # stands for a kill between the renames
        real_rename(src, dst)

    monkeypatch.setattr(publish.os, "rename", dies_after_first)
    with pytest.raises(KeyboardInterrupt):
        publish.publish(out, site)
    monkeypatch.setattr(publish.os, "rename", real_rename)
    assert not site.exists()  # moved aside, not lost
    aside = [p for p in tmp_path.iterdir() if p.name.startswith(".site.old-")]
    assert len(aside) == 1 and tree(aside[0]) == before
    result = publish.publish(out, site)
    assert result.updated == ["bao-cao-6-thang/2021/2021-H1"]
    assert b"v2" in (site / "bao-cao-6-thang/2021/2021-H1.html").read_bytes()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith((".site.old", ".site.new"))]


_SLOW_PUBLISH = """
import sys, time
from pathlib import Path
from izreport.site import publish
def slow(root):
    Path(sys.argv[3]).write_text("building")
    time.sleep(60)
publish._fsync_tree = slow
publish.publish(sys.argv[1], sys.argv[2])
"""


def test_a_killed_publish_leaves_the_previous_site(out: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    publish.publish(out, site)
    before = tree(site)
    fake_render(out, "half-year", {"period": "2021-H1"}, content="v2")
    ready = tmp_path / "ready"
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_PUBLISH, str(out), str(site),
                             str(ready)])
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert ready.exists(), "the publish did not reach its build step"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert tree(site) == before  # the new site was complete but never swapped in
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".site.new-")]
    publish.publish(out, site)  # the next publish cleans up and publishes
    assert b"v2" in (site / "bao-cao-6-thang/2021/2021-H1.html").read_bytes()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site.new-")]


def test_publish_command(out: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    fake_render(out, "half-year", {"period": "2021-H2"}, formats=("html",))
    result = runner.invoke(app, ["publish", "--to", str(site), "--from", str(out)])
    assert result.exit_code == 0, result.output
    assert "added     bao-cao-6-thang/2021/2021-H1" in result.output
    assert "not published: half-year_2021-H2" in " ".join(result.output.split())
    missing = runner.invoke(app, ["publish", "--to", str(site), "--from",
                                  str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "output folder not found" in missing.output


def test_site_paths() -> None:
    assert publish.site_key("monthly", "2021-06") == (
        "bao-cao-thang/2021/2021-06", "bao-cao-thang")
    assert publish.site_key("half-year", "2021-H1", "my-trung")[0] == \
        "bao-cao-6-thang/2021/2021-H1_my-trung"
    assert publish.site_key("half-year", "2021")[0] == "bao-cao-nam/2021/2021"
    assert publish.slug("Đồng Văn") == "dong-van"


def test_earlier_version_names_use_the_render_time(tmp_path: Path) -> None:
    out = tmp_path / "out"
    site = tmp_path / "site"
    fake_render(out, "half-year", {"period": "2021-H1"})
    publish.publish(out, site)
    fake_render(out, "half-year", {"period": "2021-H1"}, content="v2")
    publish.publish(out, site, now=dt.datetime(2030, 1, 1).astimezone())
    rendered = runlog.read(out)[0]["time"]
    label = dt.datetime.fromisoformat(rendered).strftime("%Y-%m-%dT%H%M%S")
    assert (site / f"bao-cao-6-thang/2021/_cu/2021-H1.{label}.html").is_file()


def _pdf_link(page: Path) -> str:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return next(h for h in parser.hrefs if h.endswith(".pdf"))


def test_each_published_page_links_its_own_pdf(out: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    publish.publish(out, site)
    for page in site.rglob("*.html"):
        if page.name != "index.html":
            target = page.parent / _pdf_link(page)
            assert target.is_file() and target.with_suffix(".html").name == page.name
    fake_render(out, "half-year", {"period": "2021-H1"}, content="v2")
    publish.publish(out, site)
    kept = next((site / "bao-cao-6-thang/2021/_cu").glob("*.html"))
    pdf = kept.parent / _pdf_link(kept)
    assert pdf.is_file() and b"v1" in pdf.read_bytes()  # the earlier page opens its own PDF


def _index_links(page: Path) -> list[tuple[str, str]]:
    """(href, text) of the page's links back to the index."""
    found = re.findall(r'<p class="iz-site-link"><a href="([^"]*)">([^<]*)</a></p>',
                       page.read_text(encoding="utf-8"))
    return [(href, text) for href, text in found]


def test_every_published_page_links_back_to_the_index(out: Path, tmp_path: Path) -> None:
    # a page as the exporter writes it: scripts in the head may hold "<body" themselves
    page = out / "half-year_2021.html"
    page.write_text('<!DOCTYPE html><html lang="vi"><head><script>x="</head><body>"</script>'
                    '</head>\n'
                    '<body class="iz-is-draft">\n<nav class="iz-toc"></nav><main>2021</main>'
                    "</body></html>", encoding="utf-8")
    record = runlog.read(out)[-1]
    record["files"]["html"] = runlog.file_info(page, out)
    runlog.append(out, record)
    site = tmp_path / "site"
    publish.publish(out, site)
    fake_render(out, "half-year", {"period": "2021-H1"}, content="v2")
    publish.publish(out, site)  # the earlier version moves one folder down, into _cu/
    pages = [p for p in site.rglob("*.html") if p.name != "index.html"]
    assert any(EARLIER in p.parts for p in pages) and len(pages) == 5
    for page in pages:
        found = _index_links(page)
        assert len(found) == 1, f"{page}: {found}"
        href, text = found[0]
        assert not href.startswith(("/", "http", "file:")) and text == "← Danh mục báo cáo"
        assert (page.parent / href).resolve() == (site / "index.html").resolve(), page
    year = (site / "bao-cao-nam/2021/2021.html").read_text(encoding="utf-8")
    assert '<script>x="</head><body>"</script>' in year  # the script is left as it was
    assert year.index('<body class="iz-is-draft">\n<p class="iz-site-link">') < year.index("<nav")
    # the link is for the screen: the page's own style sheet leaves it out of print
    css = asset("screen.css")
    assert re.search(r"@media print\s*{[^}]*\.iz-site-link[^{]*{\s*display:\s*none", css)


def test_the_index_gives_each_report_its_own_data_cut_off(tmp_path: Path) -> None:
    out = tmp_path / "out"
    for period in ("2021-H1", "2025-H1", "2023"):
        fake_render(out, "half-year", {"period": period}, data_until="2025-06")
    fake_render(out, "monthly", {"period": "2023-11"}, data_until="2025-06")
    site = tmp_path / "site"
    publish.publish(out, site)
    page = (site / "index.html").read_text(encoding="utf-8")
    items = dict(re.findall(r'<span class="title">([^<]*)</span>.*?số liệu đến ([^;]*);',
                            page, flags=re.S))
    assert items == {"6 tháng đầu năm 2021 — toàn tỉnh": "tháng 6/2021",
                     "6 tháng đầu năm 2025 — toàn tỉnh": "tháng 6/2025",
                     "Năm 2023 — toàn tỉnh": "tháng 12/2023",
                     "Tháng 11 năm 2023 — toàn tỉnh": "tháng 11/2023"}


def _everything(root: Path) -> dict[str, bytes | str]:
    """Every entry under root: file bytes, or the target of a symlink, or 'dir'."""
    found: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        found[rel] = (f"-> {os.readlink(path)}" if path.is_symlink() else
                      "dir" if path.is_dir() else path.read_bytes())
    return found


@pytest.mark.parametrize("where", ["same", "inside", "above"])
def test_publish_refuses_a_site_that_overlaps_the_outputs(out: Path, tmp_path: Path,
                                                          where: str) -> None:
    site = {"same": out, "inside": out / "site", "above": tmp_path}[where]
    before = _everything(tmp_path)
    result = runner.invoke(app, ["publish", "--to", str(site), "--from", str(out)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "is, is inside or contains the output folder" in " ".join(result.output.split())
    assert _everything(tmp_path) == before


def test_publish_refuses_a_symlinked_site_and_a_folder_it_did_not_make(
        out: Path, tmp_path: Path) -> None:
    real = tmp_path / "real-site"
    publish.publish(out, real)
    link = tmp_path / "site-link"
    link.symlink_to(real)
    other = tmp_path / "documents"
    other.mkdir()
    (other / "thu-cong-van.docx").write_bytes(b"not a site")
    before = _everything(tmp_path)
    with pytest.raises(publish.PublishError, match="symlink"):
        publish.publish(out, link)
    with pytest.raises(publish.PublishError, match="is not a site made by izreport"):
        publish.publish(out, other)
    assert _everything(tmp_path) == before
    assert publish.publish(out, real).unchanged  # its own site is still accepted


def test_publish_refuses_a_site_with_a_mount_point_inside(
        out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    publish.publish(out, site)
    mounted = site / "bao-cao-nam"
    real_ismount = os.path.ismount
    monkeypatch.setattr(os.path, "ismount", lambda p: str(p) == str(mounted) or real_ismount(p))
    before = _everything(tmp_path)
    with pytest.raises(publish.PublishError, match="mount"):
        publish.publish(out, site)
    assert _everything(tmp_path) == before


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize("kind", ["folder", "file"])
def test_publish_never_goes_through_a_symbolic_link_inside_the_site(
        out: Path, tmp_path: Path, kind: str) -> None:
    """A link inside the site (izreport never makes one) is refused before anything is
    copied or removed: neither what it points at nor the site changes."""
    site = tmp_path / "site"
    publish.publish(out, site)
    outside = tmp_path / "ngoai"
    outside.mkdir()
    (outside / "bi-mat.txt").write_text("not for the intranet", encoding="utf-8")
    inner = next(p for p in sorted(site.iterdir()) if p.is_dir())
    link = inner / "lien-ket"
    link.symlink_to(outside if kind == "folder" else outside / "bi-mat.txt")
    before = _everything(tmp_path)
    with pytest.raises(publish.PublishError) as err:
        publish.publish(out, site)
    assert str(err.value) == (f"--to {site}: the site holds a symbolic link at {link} "
                              "(izreport never makes one and does not follow it); remove it")
    assert _everything(tmp_path) == before
    result = runner.invoke(app, ["publish", "--to", str(site), "--from", str(out)])
    assert result.exit_code == 2 and "Traceback" not in result.output
