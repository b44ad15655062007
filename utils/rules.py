"""Each validation rule once, with one message: forms, services and imports call the same function.

A broken rule raises ``CellError``: a (lazy) translatable message and its parameters. An import
reports it against the row's cell (``utils.tabular`` parses cells with these rules), a form shows
it under its field, a service refuses with it. The identifiers' shapes are in ``utils.validators``
(docs/formats.md, *Identifiers*).
"""

from flask_babel import lazy_gettext as _l

from models import Direction
from utils.dates import vn_today
from utils.validators import PROCEDURE_CODE_RE, check_tracking_number


class MessageError(ValueError):
    """An error carrying a (lazy) translatable ``message`` and the ``params`` it is filled with."""

    def __init__(self, message, **params):
        super().__init__(str(message))
        self.message = message
        self.params = params

    def text(self):
        return str(self.message) % self.params if self.params else str(self.message)


class CellError(MessageError):
    """One value breaks a rule; ``reason`` is its message. (Named for the imports, which report
    it against a cell.)"""

    @property
    def reason(self):
        return self.message


# --- Identifiers ----------------------------------------------------------------------------


def procedure_code(code):
    """A national or provincial procedure code. :return: ``code``."""
    if not PROCEDURE_CODE_RE.match(code or ""):
        raise CellError(
            _l("Not a procedure code (like 1.001108 or 1.010708.000.00.00.H56): %(value)s"),
            value=code or "",
        )
    return code


def tracking_number(value):
    """A postal item number of the UPU S10 shape (normalised first; a wrong check digit is a
    warning the caller decides on). :return: its ``TrackingCheck``."""
    check = check_tracking_number(str(value or ""))
    if not check.well_formed:
        raise CellError(
            _l(
                "Not a postal item number (S10: two letters, nine digits, two "
                "letters, like EB123456785VN): %(value)s"
            ),
            value=check.number,
        )
    return check


# --- Shipments ------------------------------------------------------------------------------


def known_dossier(dossier, code):
    """A dossier code names a dossier the product knows (``dossier``: what the lookup found).
    :return: ``dossier``."""
    if dossier is None:
        raise CellError(_l("Unknown dossier code: %(code)s"), code=code)
    return dossier


def same_unit(dossier_unit_id, unit_id, code):
    """A dossier code names a dossier of the unit the row belongs to. Dossier codes are unique
    across the province, so a code another unit's dossier holds is refused, saying no more than
    that (the other unit's dossier stays its own). :return: ``dossier_unit_id``."""
    if dossier_unit_id != unit_id:
        raise CellError(_l("Dossier code %(code)s belongs to another unit."), code=code)
    return dossier_unit_id


def not_in_future(day, today=None):
    """A date of something that happened: not after today (Vietnam's). :return: ``day``."""
    if day is not None and day > (today or vn_today()):
        raise CellError(_l("The date %(value)s is in the future."), value=day.strftime("%d/%m/%Y"))
    return day


def shipment_date(day, today=None):
    """A shipment's date: required, not in the future. :return: ``day``."""
    if day is None:
        raise CellError(_l("A date is required."))
    return not_in_future(day, today)


def fee(amount):
    """A fee in whole đồng, or ``None`` when not known: never negative. :return: ``amount``."""
    if amount is not None and amount < 0:
        raise CellError(_l("A fee cannot be negative."))
    return amount


def returned_after_received(direction, day, dossier):
    """A result is not returned before its dossier was received (when both dates are known)."""
    received = getattr(dossier, "receive_date", None)
    if (
        direction == Direction.RETURN
        and day is not None
        and received is not None
        and day < received
    ):
        raise CellError(
            _l("A result cannot be returned before the dossier was received (%(date)s)."),
            date=f"{received:%d/%m/%Y}",
        )


# --- Postal eligibility of a procedure --------------------------------------------------------


def reason_listed(reason_code, codes):
    """A reason code, when given, is one of ``codes`` (the common reasons and "other")."""
    if reason_code and reason_code not in codes:
        raise CellError(_l("Choose one of the listed reasons."))


def reason_given(receive, ret, reason):
    """A "no" (``False``) in either direction needs a reason; ``None`` is a flag left as it is."""
    if (receive is False or ret is False) and not reason:
        raise CellError(_l("Say why the procedure cannot go by post in one direction."))


def reason_described(reason_code, reason_text):
    """The reason "other" needs its text."""
    if reason_code == "other" and not reason_text:
        raise CellError(_l("Describe the reason."))
