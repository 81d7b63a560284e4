"""Nothing is fetched: the PDF renderer loads only the package's files, texts bring no image."""

from __future__ import annotations

import http.server
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from izreport.blocks.texts import TEXTS_ENV, read_texts
from izreport.core.errors import DataError
from izreport.formats.export import html_to_pdf
from izreport.pipeline.params import get_report, validate
from tests.conftest import DATA


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.seen.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that records every request it gets."""
    seen: ClassVar[list[str]] = []
    handler = type("Handler", (_Recorder,), {"seen": seen})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def _page(base: str) -> str:
    return (f'<html lang="vi"><head><link rel="stylesheet" href="{base}/a.css">'
            f'<style>@import url("{base}/b.css"); @font-face {{ font-family: X; '
            f'src: url("{base}/c.ttf"); }} body {{ background: url("{base}/d.png"); '
            f'font-family: "IZ Serif"; }} @font-face {{ font-family: "IZ Serif"; '
            f'src: url("LiberationSerif-Regular.ttf"); }}</style></head>'
            f'<body><p>Khu công nghiệp</p><img src="{base}/e.png">'
            f'<img src="file:///etc/hostname"><object data="{base}/f.svg"></object>'
            "</body></html>")


def test_the_pdf_renderer_requests_nothing_but_embeds_its_own_fonts(
        server: tuple[str, list[str]], tmp_path: Path) -> None:
    base, seen = server
    pdf = tmp_path / "p.pdf"
    pdf.write_bytes(html_to_pdf(_page(base)))
    assert seen == []
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                           check=True).stdout
    assert "IZ-Serif" in fonts  # the package's own font still loads and is embedded


def test_the_server_does_see_weasyprints_default_fetcher(
        server: tuple[str, list[str]]) -> None:
    """Control: without the local fetcher the same page makes requests to the server."""
    from weasyprint import HTML

    base, seen = server
    HTML(string=_page(base)).write_pdf()
    assert seen  # so the empty list above means "nothing fetched", not "server down"


@pytest.mark.parametrize(("image", "line"), [
    ("![sơ đồ](http://example.invalid/a.png)", 7),
    ("![x][ref]\n\n[ref]: https://example.invalid/b.png", 9),
    ("![x](/etc/hostname)", 7), ("![x](../secret.png)", 7)])
def test_hand_written_texts_cannot_bring_in_an_outside_image(
        image: str, line: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    texts = tmp_path / "reports"
    texts.mkdir()
    (texts / "2021-H1.md").write_text(
        f"# Báo cáo\n\n## Công tác bảo vệ môi trường\n\nNội dung.\n\n{image}\n",
        encoding="utf-8")
    monkeypatch.setenv(TEXTS_ENV, str(texts))
    with pytest.raises(DataError, match=rf"2021-H1\.md, dòng {line}: không dùng được ảnh"):
        read_texts("2021-H1")
    with pytest.raises(DataError, match="không tải gì từ mạng"):  # before any kernel starts
        validate(get_report("half-year"), {"period": "2021-H1"}, DATA)


def test_an_embedded_image_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "2021-H1.md").write_text(
        "## Công tác bảo vệ môi trường\n\n![x](data:image/png;base64,iVBORw0KGgo=)\n",
        encoding="utf-8")
    assert "data:image/png" in read_texts("2021-H1", folder=tmp_path).sections["environment"]
