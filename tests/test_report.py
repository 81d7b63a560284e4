from __future__ import annotations

import pytest

from izreport import report as rp
from izreport.tables import Column, Table


@pytest.fixture(scope="module")
def ctx() -> rp.ReportContext:
    return rp.open_report("2021-H1", data_dir=None)


def test_narrative_reads_like_the_source_article(ctx: rp.ReportContext) -> None:
    text = rp.production_text(ctx).html
    assert ("Giá trị sản xuất công nghiệp đạt 12 nghìn tỷ đồng, bằng 46,26% kế hoạch năm "
            "(25.940 tỷ đồng)") in text
    assert "giá trị xuất khẩu đạt 450 triệu USD, bằng 45% kế hoạch năm (1 tỷ USD)" in text
    assert "nộp ngân sách Nhà nước đạt 200 tỷ đồng" in text
    assert "150 doanh nghiệp" in text
    labour = rp.labour_text(ctx).html
    assert "Thu nhập bình quân của người lao động đạt 6,3 triệu đồng/người/tháng" in labour
    assert "tạo việc làm cho 45.500 lao động" in labour
    assert "6 tháng đầu năm 2021" in text
    assert "so với cùng kỳ" in text


def test_kpi_table_rows_and_headers(ctx: rp.ReportContext) -> None:
    table = rp.kpi_table(ctx)
    html = table.to_html()
    assert table.caption.endswith("Các chỉ tiêu chủ yếu 6 tháng đầu năm 2021")
    first = table.rows[0]
    assert first[0].startswith("Giá trị sản xuất công nghiệp")
    assert first[2:5] == ("12.000", "25.940", "46,26%")
    assert '<th scope="col"' in html and '<th scope="row">' in html
    workers = next(r for r in table.rows if r[0] == "Lao động")
    assert workers[3] == "—" and workers[4] == "—"  # no plan for head counts


def test_tables_and_figures_are_numbered_in_order() -> None:
    ctx = rp.open_report("2021-H1")
    assert rp.kpi_table(ctx).caption.startswith("Bảng 1.")
    assert rp.monthly_chart(ctx).caption.startswith("Hình 1.")
    assert rp.top_exporters(ctx).caption.startswith("Bảng 2.")
    assert rp.zone_chart(ctx).caption.startswith("Hình 2.")


def test_zone_report_scope(ctx: rp.ReportContext) -> None:
    zone = rp.open_report("2021-H1", "hoa xa")
    assert zone.scope_vi == "Khu công nghiệp Hòa Xá"
    assert zone.kpis["production_value"].actual < ctx.kpis["production_value"].actual
    assert "Khu công nghiệp Hòa Xá" in rp.header(zone).html


def test_title_travels_in_output_metadata(ctx: rp.ReportContext) -> None:
    data, meta = rp.header(ctx)._repr_mimebundle_()
    assert meta["izreport"]["title"] == (
        "Báo cáo tình hình hoạt động của các khu công nghiệp tỉnh Nam Định 6 tháng đầu năm 2021")
    assert '<h1 class="iz-title">' in data["text/html"]


def test_figure_bundle_carries_html_svg_and_text_alternative(ctx: rp.ReportContext) -> None:
    figure = rp.monthly_chart(ctx)
    data, meta = figure._repr_mimebundle_()
    assert data["image/svg+xml"].lstrip().startswith("<svg")
    html = data["text/html"]
    assert 'role="img"' in html and "aria-label=" in html and "<figcaption>" in html
    assert "tháng 1/2021" in figure.alt_text
    assert meta["izreport"]["caption"] == figure.caption
    # the spec carries the Vietnamese number locale, so tooltips and axes read 12.000,5
    assert figure.spec["config"]["locale"]["number"]["decimal"] == ","
    # the same chart gives the same output (no random ids); only its number moves on
    again = rp.monthly_chart(ctx)._repr_mimebundle_()[0]
    assert again["image/svg+xml"] == data["image/svg+xml"]
    assert again["text/html"].split("<figcaption>")[0] == html.split("<figcaption>")[0]


def test_static_svg_uses_vietnamese_number_format(ctx: rp.ReportContext) -> None:
    svg = rp.zone_chart(ctx)._repr_mimebundle_()[0]["image/svg+xml"]
    assert "Liberation Sans" in svg
    assert "1.000" in svg or "2.000" in svg  # axis ticks with "." as thousands separator


def test_untrusted_text_is_escaped_in_tables() -> None:
    evil = '<script>alert("x")</script> & Co'
    table = Table.build("Bảng <1>", [Column("Tên", numeric=False), Column("Giá trị")],
                        [(evil, "1")])
    html = table.to_html()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in html
    assert "Bảng &lt;1&gt;" in html


def test_table_rejects_ragged_rows() -> None:
    with pytest.raises(ValueError, match="2 columns"):
        Table.build("t", [Column("a"), Column("b")], [("1",)])


def test_chart_specs_are_valid_vega_lite(ctx: rp.ReportContext) -> None:
    # rendering skips schema validation for speed; this is where it happens
    for figure in (rp.monthly_chart(ctx), rp.monthly_chart(ctx, "export_value"),
                   rp.zone_chart(ctx)):
        spec = figure.chart.to_dict(validate=True)
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/v6")
