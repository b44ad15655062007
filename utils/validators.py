"""Identifiers (docs/formats.md): procedure codes, dossier codes, UPU S10 item numbers."""

import re
from dataclasses import dataclass

PROCEDURE_CODE_RE = re.compile(r"^\d\.\d{6}(\.\d{3}\.\d{2}\.\d{2}\.H\d{2}(\.\d{2})?)?$")
DOSSIER_CODE_RE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}-\d{6}-\d{4}$")
S10_RE = re.compile(r"^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$")
S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def is_procedure_code(code):
    """True when ``code`` is a national or provincial procedure code."""
    return bool(PROCEDURE_CODE_RE.match(code or ""))


def is_usual_dossier_code(code):
    """True for the dossier code shape seen in practice; other shapes are accepted with a warning."""
    return bool(DOSSIER_CODE_RE.match(code or ""))


def normalise_tracking_number(value):
    """Trim, upper-case and drop inner white space."""
    return "".join((value or "").split()).upper()


def s10_check_digit(serial):
    """The S10 check digit of an 8-digit serial string."""
    total = sum(int(d) * w for d, w in zip(serial, S10_WEIGHTS))
    check = 11 - (total % 11)
    if check == 10:
        return 0
    if check == 11:
        return 5
    return check


@dataclass(frozen=True)
class TrackingCheck:
    """The result of checking a postal item number."""

    number: str
    well_formed: bool
    check_digit_ok: bool

    @property
    def warning(self):
        """A well-formed number whose check digit is wrong: accepted once the user confirms."""
        return self.well_formed and not self.check_digit_ok


def check_tracking_number(value):
    """Normalise ``value`` and check it against the S10 shape and check digit."""
    number = normalise_tracking_number(value)
    match = S10_RE.match(number)
    if not match:
        return TrackingCheck(number, False, False)
    serial, digit = match.group(2), int(match.group(3))
    return TrackingCheck(number, True, s10_check_digit(serial) == digit)


PHONE_RE = re.compile(r"^0(?:[35789]\d{8}|2\d{9})$")


def normalise_phone(value):
    """Digits only, with a leading +84 or 84 country code turned into 0."""
    text = (value or "").strip()
    digits = re.sub(r"[\s.\-()]", "", text)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    return digits


def is_vn_phone(value):
    """A Vietnamese mobile (03x, 05x, 07x, 08x, 09x + 7 digits) or landline (02xx + 7 digits)."""
    return bool(PHONE_RE.match(normalise_phone(value)))
