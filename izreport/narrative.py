"""Sentences drafted from the figures, in the phrasing of the board's published reports.

"Giá trị sản xuất công nghiệp đạt 12 nghìn tỷ đồng, bằng 46,26% kế hoạch năm (25.940 tỷ
đồng), tăng 15,1% so với cùng kỳ". The sentence builders are pure functions of numbers,
unit-tested for growth, decline, no change, a missing plan or base and zero values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from izreport import investment as inv
from izreport import metrics
from izreport.formatting import change_phrase, number, percent, plan_phrase, quantity

if TYPE_CHECKING:
    from izreport.report import ReportContext


def compare_clause(ratio: float | None, what: str = "so với cùng kỳ") -> str:
    """'tăng 15,1% so với cùng kỳ' / 'giảm 2% …' / 'bằng cùng kỳ'; '' without a base."""
    if ratio is None:
        return ""
    phrase = change_phrase(ratio)
    if phrase == "không thay đổi":
        return "bằng cùng kỳ" if what == "so với cùng kỳ" else f"không thay đổi {what}"
    return f"{phrase} {what}"


def flow_sentence(label: str, actual: float, unit: str, plan: float | None = None,
                  same_period: float | None = None, *, previous: float | None = None,
                  previous_what: str = "so với tháng trước", estimated: bool = False,
                  prose: bool = True) -> str:
    """One indicator: value, share of the annual plan, change against the previous month
    (monthly report) and against the same period.

    A zero value reads "chưa phát sinh" and nothing more; a plan or base that is missing
    or zero leaves its clause out rather than printing a meaningless percentage. An
    estimated value reads "ước đạt"; ``prose=False`` keeps the table unit ('2.143 tỷ
    đồng' rather than '2,14 nghìn tỷ đồng').
    """
    if actual == 0:
        return f"{label} chưa phát sinh"
    verb = "ước đạt" if estimated else "đạt"
    parts = [f"{label} {verb} {quantity(actual, unit, prose=prose)}"]
    of_plan = metrics.ratio(actual, plan)
    if of_plan is not None:
        # as published: "(25.940 tỷ đồng)" in full, "(1 tỷ USD)" in the larger unit
        shown = quantity(plan, unit, prose=unit != "bn_vnd")
        parts.append(f"{plan_phrase(of_plan)} ({shown})")
    for base, what in ((previous, previous_what), (same_period, "so với cùng kỳ")):
        clause = compare_clause(metrics.ratio(actual, base), what)
        if clause:
            parts.append(clause)
    return ", ".join(parts)


def _capital(value: float, ownership: str) -> str:
    return quantity(value, inv.CAPITAL_UNIT[ownership], 2 if ownership == "FDI" else 1)


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")


def production(ctx: ReportContext) -> list[str]:
    """The production and business paragraph."""
    k = ctx.kpis
    labels = (("production_value", "giá trị sản xuất công nghiệp"),
              ("revenue", "doanh thu"), ("export_value", "giá trị xuất khẩu"),
              ("import_value", "giá trị nhập khẩu"), ("budget_paid", "nộp ngân sách Nhà nước"))
    clauses = [flow_sentence(label, k[key].actual, k[key].indicator.unit, k[key].plan,
                             k[key].same_period) for key, label in labels]
    first = (f"Trong {ctx.period.label_vi}, hoạt động sản xuất kinh doanh của "
             f"{number(k['enterprises'].actual)} doanh nghiệp trong {ctx.scope_vi} "
             f"cơ bản ổn định.")
    return [first + " " + _sentence("; ".join(clauses))]


def labour(ctx: ReportContext) -> list[str]:
    """Workers and income."""
    k = ctx.kpis
    totals = metrics.totals(ctx.data, ctx.period, ctx.zone_id) or {}
    workers = k["workers"]
    sentence = (f"Đến tháng {ctx.period.last}/{ctx.period.year}, {ctx.scope_vi} tạo việc làm "
                f"cho {number(workers.actual)} lao động")
    clause = compare_clause(workers.vs_same_period)
    if clause:
        sentence += f", {clause}"
    female, foreign = totals.get("female_workers", 0), totals.get("foreign_workers", 0)
    if workers.actual:
        sentence += (f"; trong đó lao động nữ {number(female)} người "
                     f"({percent(female / workers.actual, 1)}), lao động nước ngoài "
                     f"{number(foreign)} người")
    income = k["avg_income"]
    second = (f"Thu nhập bình quân của người lao động đạt "
              f"{quantity(income.actual, 'mvnd_per_person_month')}")
    clause = compare_clause(income.vs_same_period)
    if clause:
        second += f", {clause}"
    return [_sentence(sentence), _sentence(second)]


def investment_sentences(flows: dict[tuple[str, str], tuple[int, float]], label: str,
                         who: str = "các khu công nghiệp") -> list[str]:
    """Certificates of the period: new projects, capital adjustments, revocations."""
    def both(kind: str) -> str:
        parts = []
        for own, who in (("FDI", "dự án FDI"), ("DDI", "dự án trong nước")):
            count, capital = flows[(kind, own)]
            if count:
                parts.append(f"{number(count)} {who} ({_capital(capital, own)})")
        return " và ".join(parts)

    sentences = []
    new = both("new")
    sentences.append(f"Trong {label}, {who} cấp mới giấy chứng nhận đăng ký đầu tư cho {new}"
                     if new else f"Trong {label}, {who} chưa cấp mới dự án nào")
    increase = both("increase")
    if increase:
        sentences.append(f"điều chỉnh tăng vốn cho {increase}")
    decrease = both("decrease")
    if decrease:
        sentences.append(f"điều chỉnh giảm vốn {decrease}")
    revoked = both("revoked")
    if revoked:
        sentences.append(f"thu hồi {revoked}")
    return ["; ".join(sentences)]


def investment(ctx: ReportContext) -> list[str]:
    """Investment paragraph: the period's certificates, then the register to date."""
    table = inv.flows(ctx.data, ctx.period, ctx.zone_id)
    flows = {(r.kind, r.ownership): (int(r.projects), float(r.capital))
             for r in table.itertuples(index=False)}
    who = ctx.zone.title_vi if ctx.zone is not None else "các khu công nghiệp"
    first = investment_sentences(flows, ctx.period.label_vi, who)[0]
    stock = inv.stock(ctx.data, ctx.last_day, ctx.zone_id)
    second = (f"Lũy kế đến hết tháng {ctx.period.last}/{ctx.period.year}, {ctx.scope_vi} có "
              f"{number(stock.projects['FDI'] + stock.projects['DDI'])} dự án còn hiệu lực, "
              f"gồm {number(stock.projects['FDI'])} dự án FDI với tổng vốn đăng ký "
              f"{_capital(stock.capital['FDI'], 'FDI')} và {number(stock.projects['DDI'])} dự án "
              f"trong nước với tổng vốn đăng ký {_capital(stock.capital['DDI'], 'DDI')}")
    return [_sentence(first), _sentence(second)]


def situation(ctx: ReportContext) -> list[str]:
    """A drafted 'Đặc điểm tình hình' that analysts may replace in the period's text file."""
    zones = ctx.data.operating_zones(ctx.period)
    k = ctx.kpis
    own = metrics.breakdown(ctx.data, ctx.period, "ownership", ctx.zone_id).set_index(
        "ownership")["enterprises"]
    scope = (f"{number(len(zones))} khu công nghiệp đang hoạt động "
             f"({', '.join(z.name for z in zones)})" if ctx.zone is None else ctx.zone.title_vi)
    first = (f"Trong {ctx.period.label_vi}, trên địa bàn có {scope} với "
             f"{number(k['enterprises'].actual)} doanh nghiệp hoạt động sản xuất kinh doanh, "
             f"trong đó {number(own.get('FDI', 0))} doanh nghiệp có vốn đầu tư nước ngoài và "
             f"{number(own.get('DDI', 0))} doanh nghiệp trong nước")
    growth = k["production_value"].vs_same_period
    second = ("Hoạt động sản xuất kinh doanh của các doanh nghiệp cơ bản ổn định"
              + (f"; giá trị sản xuất công nghiệp {compare_clause(growth)}" if growth else ""))
    return [_sentence(first), _sentence(second)]


# --- monthly report -------------------------------------------------------------------------

def month_label(year: int, month: int) -> str:
    """'tháng 6/2021': a month in sentences and table headers."""
    return f"tháng {month}/{year}"


def previous_month_what(year: int, month: int) -> str:
    """'so với tháng trước'; in January the month before is named: 'so với tháng 12/2020'."""
    if month == 1:
        return f"so với {month_label(year - 1, 12)}"
    return "so với tháng trước"


def estimate_method(months: int) -> str:
    """How the figures of enterprises that have not reported are estimated."""
    return (f"mỗi doanh nghiệp chưa báo cáo được ước bằng bình quân {months} tháng gần nhất "
            "của chính doanh nghiệp đó")


def head_count_clause(now: float, before: float | None, what: str) -> str:
    """'tăng 120 người so với tháng trước' / 'giảm 45 người …' / '' without a base."""
    if before is None:
        return ""
    diff = round(now - before)
    if diff == 0:
        return f"không thay đổi {what}"
    return f"{'tăng' if diff > 0 else 'giảm'} {number(abs(diff))} người {what}"


def coverage_sentences(month: str, expected: int, reported: int, estimated: int,
                       method: str, share: float | None = None) -> list[str]:
    """Who reported for the month; when some have not, that the totals are estimates."""
    if expected == 0:
        return [_sentence(f"Trong {month}, không có doanh nghiệp nào phải báo cáo")]
    rate = percent(reported / expected, 1)
    if reported >= expected:
        return [_sentence(f"Tất cả {number(expected)} doanh nghiệp đang hoạt động đã gửi báo "
                          f"cáo {month} ({rate}); số liệu của báo cáo là số liệu thực hiện do "
                          "doanh nghiệp báo cáo, không có số ước")]
    missing = expected - reported
    first = (f"Đến thời điểm lập báo cáo, {number(reported)}/{number(expected)} doanh nghiệp "
             f"đang hoạt động đã gửi báo cáo {month} ({rate}); còn {number(missing)} doanh "
             "nghiệp chưa báo cáo (danh sách dưới đây)")
    second = (f"Số liệu {month} và số lũy kế là số ước: {method}")
    if share is not None:
        second += (f"; phần ước chiếm {percent(share, 1)} giá trị sản xuất công nghiệp "
                   f"của {month}")
    out = [_sentence(first), _sentence(second)]
    if estimated < missing:
        out.append(_sentence(f"{number(missing - estimated)} doanh nghiệp chưa từng báo cáo nên "
                             "chưa có cơ sở để ước và chưa được tính vào tổng số"))
    return out


def ytd_label(year: int, month: int) -> str:
    """The year to date in the published wording: '6 tháng đầu năm 2021', '9 tháng năm 2021'."""
    if month == 1:
        return month_label(year, 1)
    if month == 12:
        return f"năm {year}"
    if month == 9:
        return f"9 tháng năm {year}"
    return f"{month} tháng đầu năm {year}"
