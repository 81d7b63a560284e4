"""The one parser of submitted numbers: exactly the documented forms, nothing float() also reads."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from izreport.core.catalogue import INDICATORS
from izreport.core.numbers import MAX_MAGNITUDE, NumberError, parse
from izreport.incoming.ingest import SubmissionError, ingest
from tests.conftest import DATA, sqlite_store, store_state

HEADER = ("month,enterprise_id,production_value,revenue,export_value,import_value,"
          "budget_paid,workers,female_workers,foreign_workers,avg_income")

amounts = st.decimals(min_value=Decimal("-999999999.99"), max_value=Decimal("999999999.99"),
                      places=2, allow_nan=False, allow_infinity=False)


def _grouped(digits: str, sep: str) -> str:
    """'1234567' -> '1.234.567' with sep '.'."""
    head = len(digits) % 3 or 3
    return sep.join([digits[:head], *(digits[i:i + 3] for i in range(head, len(digits), 3))])


@given(amounts, st.booleans())
def test_every_documented_form_reads_back_exactly(value: Decimal, grouped: bool) -> None:
    sign = "-" if value < 0 else ""
    whole, frac = f"{abs(value):.2f}".split(".")
    dot = sign + (_grouped(whole, ",") if grouped else whole) + "." + frac
    comma = sign + (_grouped(whole, ".") if grouped else whole) + "," + frac
    assert parse(dot, "dot") == float(value)
    assert parse(comma, "comma") == float(value)
    assert parse(f" {comma}\u00a0".replace("-", "\u2212"), "comma") == float(value)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_a_spreadsheet_number_is_accepted_only_finite_and_in_range(value: float) -> None:
    if math.isfinite(value) and abs(value) < MAX_MAGNITUDE:
        assert parse(value, "dot") == value
    else:
        with pytest.raises(NumberError):
            parse(value, "dot")


@given(st.text(alphabet="0123456789.,+-_eEinfatyINFATY \u00a0", max_size=14),
       st.sampled_from(["dot", "comma"]))
def test_whatever_text_is_read_is_finite_in_range_and_never_a_python_only_form(
        text: str, convention: str) -> None:
    try:
        number = parse(text, convention)  # type: ignore[arg-type]
    except NumberError as exc:
        assert str(exc)  # a rule is named
        return
    assert math.isfinite(number) and abs(number) < MAX_MAGNITUDE
    cleaned = text.replace(" ", "").replace("\u00a0", "")
    assert "_" not in cleaned and not any(c in cleaned for c in "eEiInNaAtTyY")


@pytest.mark.parametrize(("text", "rule"), [
    ("2_28", "không dùng dấu '_'"),
    ("nan", "NaN và vô cực"),
    ("NaN", "NaN và vô cực"),
    ("inf", "NaN và vô cực"),
    ("-Infinity", "NaN và vô cực"),
    ("1e308", "dạng số mũ"),
    ("1e400", "dạng số mũ"),
    ("2.5E3", "dạng số mũ"),
    ("1000000000", "vượt giới hạn"),
    ("0x1F", "không phải số"),
    ("4,50", "sai dấu thập phân"),
])
def test_each_refusal_names_its_rule(text: str, rule: str) -> None:
    with pytest.raises(NumberError, match=rule):
        parse(text, "dot")


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return sqlite_store(tmp_path / "data")


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["2_28", "nan", "inf", "Infinity", "1e308", "1e400", "-1e3",
                        "1000000000", "12_000.5"]),
       st.sampled_from(["production_value", "revenue", "export_value", "workers"]))
def test_ingest_refuses_python_only_numbers_and_leaves_the_store_unchanged(
        store: Path, tmp_path: Path, text: str, column: str) -> None:
    values = dict(zip(HEADER.split(","), ["2025-07", "DN0001", "1234.5", "5.25", "0.1", "0.1",
                                          "0.1", "1200", "900", "1", "6.5"], strict=True))
    values[column] = text
    path = tmp_path / "so.csv"
    path.write_text(HEADER + "\n" + ",".join(values.values()) + "\n", encoding="utf-8")
    before = store_state(store)
    with pytest.raises(SubmissionError) as err:
        ingest([path], store)
    header = INDICATORS[column].workbook  # columns are named by their workbook header
    assert any(f"'{header}'" in p and f" {text}: " in p for p in err.value.problems), \
        err.value.problems
    assert store_state(store) == before


@pytest.mark.parametrize(("text", "rule"), [("36_500", "không dùng dấu '_'"),
                                            ("inf", "NaN và vô cực"),
                                            ("3.65e4", "dạng số mũ")])
def test_intakes_use_the_same_parser(store: Path, tmp_path: Path, text: str, rule: str) -> None:
    from izreport.incoming.intake import IntakeError, take_in

    plans = (DATA / "intakes" / "plans" / "ke-hoach-2026.csv").read_text(encoding="utf-8")
    path = tmp_path / "ke-hoach.csv"
    path.write_text(plans.replace("Giá trị SXCN,36500,", f"Giá trị SXCN,{text},", 1),
                    encoding="utf-8")
    before = store_state(store)
    with pytest.raises(IntakeError) as err:
        take_in("plans", [path], store)
    assert len(err.value.problems) == 1 and rule in err.value.problems[0]
    assert store_state(store) == before
