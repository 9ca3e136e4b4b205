"""``cards.format.number``: Swedish and English numbers as a person reads them (and as Tavla reads them back)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cards.format import MINUS, NBSP, number, percent, short_day, tkr
from storage.importing import parse_number


@pytest.mark.parametrize(("value", "decimals", "lang", "expected"), [
    (Decimal("150853.2"), 1, "sv", f"150{NBSP}853,2"),
    (Decimal("150853.2"), 1, "en", "150,853.2"),
    (Decimal("-1234567.891"), 2, "sv", f"{MINUS}1{NBSP}234{NBSP}567,89"),
    (Decimal("95.25"), 1, "sv", "95,3"),  # half up, not to even
    (Decimal("-95.25"), 1, "sv", f"{MINUS}95,3"),
    (Decimal("-0.04"), 1, "sv", "0,0"),  # no minus on a value rounded to zero
    (Decimal("-0"), 0, "sv", "0"),
    (Decimal("1E+3"), 0, "sv", f"1{NBSP}000"),  # never an exponent
    (Decimal("0.00001"), 8, "sv", "0,00001000"),
    (999, 0, "sv", "999"),
    (1000, 0, "sv", f"1{NBSP}000"),
    (6147, 0, "en", "6,147"),
    (3.14159, 3, "en", "3.142"),
    (0.1 + 0.2, 2, "sv", "0,30"),  # a float as it prints, not its binary expansion
    (12345678901234567890, 0, "sv", f"12{NBSP}345{NBSP}678{NBSP}901{NBSP}234{NBSP}567{NBSP}890"),
])
def test_number(value: Decimal | int | float, decimals: int, lang: str, expected: str) -> None:
    assert number(value, decimals, lang) == expected


def test_tkr_and_percent() -> None:
    assert tkr(Decimal("150853.24")) == f"150{NBSP}853,2{NBSP}tkr"
    assert percent(Decimal("95.34")) == f"95,3{NBSP}%"
    assert percent(Decimal("95.34"), lang="en") == "95.3%"


@given(value=st.decimals(min_value=-10**12, max_value=10**12, allow_nan=False, allow_infinity=False, places=4),
       decimals=st.integers(0, 3))
def test_what_tavla_writes_it_reads_back_rounded_half_up(value: Decimal, decimals: int) -> None:
    text = number(value, decimals, "sv")
    rounded = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    assert parse_number(text) == rounded  # Swedish: "1 000,5" ("1,000" in English is a Swedish 1,000 = 1)
    assert text.startswith(MINUS) == (rounded < 0)
    english = number(value, decimals, "en")
    assert Decimal(english.replace(",", "").replace(MINUS, "-")) == rounded


def test_importing_the_sdks_dialogs_leaves_decimal_precision_alone() -> None:
    import decimal

    import dialogs.host  # noqa: F401 - botbuilder.dialogs → recognizers_number, which sets it to 15 digits

    assert decimal.getcontext().prec == 28
    assert number(Decimal("1234567890123456789.5")) == f"1{NBSP}234{NBSP}567{NBSP}890{NBSP}123{NBSP}456{NBSP}790"


def test_a_short_deadline_is_day_then_month_in_both_languages() -> None:
    """Staff of a Swedish kommun reading the English cards took "due 5/1" for the 5th of January."""
    assert short_day(date(2018, 5, 1), "sv") == "1/5"
    assert short_day(date(2018, 5, 1), "en") == f"1{NBSP}May"
    assert short_day(date(2018, 8, 31), "en") == f"31{NBSP}Aug"


def test_day_span_writes_both_ends_one_way() -> None:
    from datetime import date

    from cards.format import day_span

    assert day_span(date(2018, 5, 8), date(2018, 5, 15)) == "8–15 maj 2018"
    assert day_span(date(2018, 4, 30), date(2018, 5, 6)) == "30 april–6 maj 2018"
    assert day_span(date(2017, 12, 28), date(2018, 1, 4)) == "28 december 2017–4 januari 2018"
    assert day_span(date(2018, 5, 8), date(2018, 5, 15), "en") == "8–15 May 2018"

