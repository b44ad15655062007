"""Numbers as people read them (docs/rules.md, "How things are shown")."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from utils.figures import percent
from utils.formats import dmy, dmy_hm, number, pct, points, threshold


@pytest.mark.parametrize(
    "value, vi, en",
    [
        (0, "0", "0"),
        (999, "999", "999"),
        (44865, "44.865", "44,865"),
        (-1234567, "-1.234.567", "-1,234,567"),
        (Decimal("1024000"), "1.024.000", "1,024,000"),
        (None, "—", "—"),
    ],
)
def test_whole_numbers(value, vi, en):
    assert number(value, locale="vi") == vi
    assert number(value, locale="en") == en


def test_decimals_and_percentages():
    assert number(Decimal("1234.5"), 2, locale="vi") == "1.234,50"
    assert number(Decimal("1234.5"), 2, locale="en") == "1,234.50"
    assert number(1234, 2, locale="vi") == "1.234,00"
    assert pct(Decimal("9.70"), locale="vi") == "9,70%"


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_rounded_decimals_are_written_as_babel_writes_them(locale):
    """Ratios and points already rounded are written without Babel's pattern machinery, with
    its symbols: the same text as Babel's for every shape of value; values with more places go
    through Babel (rounded half to even, as before)."""
    from babel.numbers import format_decimal

    values = [Decimal(v) for v in ("0", "0.5", "9.7", "9.70", "100.00", "1234.5", "-1234.56")]
    values += [Decimal(n).scaleb(-2) for n in range(-1500, 250_000, 997)]
    values += [Decimal("1E+3"), Decimal("12345678901234.25"), 0, 7, 1234]
    for decimals in (0, 1, 2):
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        for value in values:
            want = format_decimal(Decimal(value), format=pattern, locale=locale)
            assert number(value, decimals, locale=locale) == want, (value, decimals)
    assert number(Decimal("0.125"), 2, locale=locale) == format_decimal(
        Decimal("0.125"), format="#,##0.00", locale=locale
    )


def test_ratios_are_rounded_half_up_before_they_are_written():
    # Babel would round 0,125 half to even (0,12): the figures round first, half up.
    assert pct(percent(1, 800), locale="vi") == "0,13%"
    assert pct(percent(1, 800), locale="en") == "0.13%"
    assert points(Decimal("0.5"), locale="en") == "0.50"
    assert threshold(Decimal("2.50"), locale="vi") == "2,5%" and threshold(20, locale="en") == "20%"


def test_dates():
    assert dmy(date(2024, 9, 1)) == "01/09/2024" and dmy(None) == "—"
    assert dmy_hm(datetime(2024, 9, 21, 7, 5)) == "21/09/2024 14:05"  # stored UTC, shown VN time
