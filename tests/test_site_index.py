"""The site's index page is a Jinja2 template (izreport/site/templates/index.html)."""

from __future__ import annotations

from izreport.site.publish import render_index


def test_the_index_escapes_the_manifest_and_keeps_the_links() -> None:
    entry = {"report": "monthly", "period": "2021-06", "zone": "<b>Hòa Xá</b>",
             "folder": "bao-cao-thang", "draft": True, "rendered": "2021-07-05T06:30:00Z",
             "files": {"html": {"path": "2021/a b.html", "size": 2048}}}
    page = render_index({"board": "Ban <script>x</script>", "entries": {"a": entry}})
    assert "<script>" not in page and "Ban &lt;script&gt;x&lt;/script&gt;" in page
    assert "&lt;b&gt;Hòa Xá&lt;/b&gt;" in page
    assert '<a href="2021/a%20b.html">HTML</a>' in page
    assert page.count(">Dự thảo</span>") == 1


def test_an_empty_site_says_so_and_is_the_same_each_time() -> None:
    page = render_index({"entries": {}})
    assert "Chưa có báo cáo nào được đăng." in page and "<section>" not in page
    assert page == render_index({"entries": {}})
