"""docs/formats.md, "Identifiers"."""

import pytest

from utils.validators import (
    check_tracking_number,
    is_procedure_code,
    is_usual_dossier_code,
    normalise_tracking_number,
    s10_check_digit,
)


@pytest.mark.parametrize(
    "number, well_formed, check_ok",
    [
        ("EB123456785VN", True, True),
        ("RR473124829VN", True, True),
        ("RR000000080VN", True, True),
        ("RR000000005VN", True, True),
        ("EB123456789VN", True, False),
        (" eb 1234 5678 5vn ", True, True),
        ("EB12345678VN", False, False),
        ("E1123456785VN", False, False),
        ("EB123456785V", False, False),
        ("", False, False),
        ("EB1234567850VN", False, False),
    ],
)
def test_s10(number, well_formed, check_ok):
    result = check_tracking_number(number)
    assert result.well_formed is well_formed
    assert result.check_digit_ok is check_ok
    assert result.warning is (well_formed and not check_ok)


@pytest.mark.parametrize(
    "serial, digit", [("12345678", 5), ("47312482", 9), ("00000008", 0), ("00000000", 5)]
)
def test_check_digit_rules(serial, digit):
    # C = 10 gives 0 and C = 11 gives 5.
    assert s10_check_digit(serial) == digit


def test_normalise_tracking_number():
    assert normalise_tracking_number("  rr 4731 24829 vn\t") == "RR473124829VN"


# Each code check with codes it accepts and codes it refuses.
CODES = {
    is_procedure_code: [
        ("1.001108", True),
        ("1.010708.000.00.00.H56", True),
        ("1.010708.000.00.00.H56.01", True),
        ("2.000001", True),
        ("1.00110", False),
        ("1.010708.000.00.00.X56", False),
        ("1.010708.000.00.00", False),
        ("", False),
    ],
    is_usual_dossier_code: [
        ("000.17.22.H56-210531-0001", True),
        ("000.00.22.H56-240115-0012", True),
        ("000.17.22.h56-210531-0001", False),
        ("H56-210531-0001", False),
        ("000.17.22.H56-21053-0001", False),
    ],
}


@pytest.mark.parametrize(
    "check, code, ok",
    [
        pytest.param(check, code, ok, id=f"{check.__name__}-{code}")
        for check, cases in CODES.items()
        for code, ok in cases
    ],
)
def test_code_shapes(check, code, ok):
    assert check(code) is ok
