from __future__ import annotations

import pytest

from izreport.narrative import compare_clause, flow_sentence


@pytest.mark.parametrize(("args", "expected"), [
    # growth, within plan
    (("giá trị sản xuất công nghiệp", 12000.2, "bn_vnd", 25940, 10426.0),
     "giá trị sản xuất công nghiệp đạt 12 nghìn tỷ đồng, bằng 46,26% kế hoạch năm "
     "(25.940 tỷ đồng), tăng 15,1% so với cùng kỳ"),
    # plan exceeded, in USD: larger unit for the plan
    (("giá trị xuất khẩu", 1077.0, "musd", 1000, 923.0),
     "giá trị xuất khẩu đạt 1,08 tỷ USD, vượt kế hoạch năm 7,7% (1 tỷ USD), "
     "tăng 16,7% so với cùng kỳ"),
    # decline
    (("nộp ngân sách Nhà nước", 81.2, "bn_vnd", None, 100.0),
     "nộp ngân sách Nhà nước đạt 81,2 tỷ đồng, giảm 18,8% so với cùng kỳ"),
    # no change
    (("doanh thu", 500.0, "bn_vnd", None, 500.2), "doanh thu đạt 500 tỷ đồng, bằng cùng kỳ"),
    # no plan, no previous year
    (("giá trị nhập khẩu", 273.6, "musd", None, None), "giá trị nhập khẩu đạt 273,6 triệu USD"),
    # zero value: no meaningless percentages
    (("giá trị xuất khẩu", 0.0, "musd", 100.0, 0.0), "giá trị xuất khẩu chưa phát sinh"),
    # zero base: no growth clause
    (("giá trị xuất khẩu", 12.0, "musd", None, 0.0), "giá trị xuất khẩu đạt 12 triệu USD"),
])
def test_flow_sentence(args: tuple, expected: str) -> None:  # type: ignore[type-arg]
    assert flow_sentence(*args) == expected


def test_compare_clause_with_another_base() -> None:
    assert compare_clause(0.812, "so với tháng trước") == "giảm 18,8% so với tháng trước"
    assert compare_clause(1.0, "so với tháng trước") == "không thay đổi so với tháng trước"
    assert compare_clause(None) == ""
