"""The period of a page, taken from the URL (``?from=YYYY-MM-DD&to=YYYY-MM-DD``)."""
from flask import abort
from flask_babel import gettext as _

from utils.dates import Period, parse_iso_date, year_to_date


class PeriodError(ValueError):
    """The URL's dates are malformed or reversed; ``str(e)`` is a translated message."""


def parse_period(start, end, default=None):
    """A ``Period`` from two ISO strings; both blank gives ``default`` (the year to date).

    :raise PeriodError: a malformed date, only one of the two, or a start after the end.
    """
    start, end = (start or "").strip(), (end or "").strip()
    if not start and not end:
        return default or year_to_date()
    try:
        start_date = parse_iso_date(start)
        end_date = parse_iso_date(end)
    except ValueError:
        raise PeriodError(_("Dates must be given as YYYY-MM-DD, both the first and the last day.")) from None
    if start_date > end_date:
        raise PeriodError(_("The first day of the period is after its last day."))
    return Period(start_date, end_date)


def period_from_request(args, default=None):
    """The period in ``args`` (``from``, ``to``), or a 400 with a clear message."""
    try:
        return parse_period(args.get("from"), args.get("to"), default)
    except PeriodError as e:
        abort(400, description=str(e))
