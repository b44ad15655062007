"""Numbers as people read them (docs/rules.md, "How things are shown")."""
from decimal import Decimal

import pytest

from utils.formats import number, pct


@pytest.mark.parametrize("value, vi, en", [
    (0, "0", "0"),
    (999, "999", "999"),
    (44865, "44.865", "44,865"),
    (-1234567, "-1.234.567", "-1,234,567"),
    (Decimal("1024000"), "1.024.000", "1,024,000"),
    (None, "—", "—"),
])
def test_whole_numbers(value, vi, en):
    assert number(value, locale="vi") == vi
    assert number(value, locale="en") == en


def test_decimals_and_percentages():
    assert number(Decimal("1234.5"), 2, locale="vi") == "1.234,50"
    assert number(Decimal("1234.5"), 2, locale="en") == "1,234.50"
    assert number(1234, 2, locale="vi") == "1.234,00"
    assert pct(Decimal("9.70"), locale="vi") == "9,70%"
