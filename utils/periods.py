"""The period of a page, taken from the URL, and the presets people pick.

Lists and the API read ``?from=YYYY-MM-DD&to=YYYY-MM-DD`` (``period_from_request``; also
``dd/mm/yyyy``, as people type dates in the filters). The dashboard's period picker adds presets (``choice_from_args``): this month, this quarter, the year to
date, the first N months of a year ("9 tháng đầu năm 2024"), a whole year, or any range; "today"
is the Vietnam date.

Every page that takes a period opens, when the URL names none, on the organisation's default
reporting period (``default_period``): the one an administrator set in the organisation's settings
(the period of the next review meeting), else 1 January to the last receive date of the latest
year that has dossiers. A period is named by the preset it matches (``match_choice``), or is a
custom range ("Tùy chọn").
"""

from dataclasses import dataclass
from datetime import date

from flask import abort, g, has_app_context
from flask_babel import gettext as _
from sqlalchemy import func, select

from utils.dates import Period, month_end, parse_day, vn_today, year_to_date
from utils.inputs import date_window_message, in_date_window, parse_int

PRESETS = ("month", "quarter", "year_to_date", "months", "year", "custom")
FIRST_YEAR = 2000


class PeriodError(ValueError):
    """The URL's dates are malformed or reversed; ``str(e)`` is a translated message."""


def default_period(today=None):
    """The period every page opens on when its URL names none.

    The setting (``OrgSettings.default_period_from`` and ``_to``) of the user's unit (the first
    unit's for users who see every unit) when it is set;
    otherwise 1 January to the last receive date of the latest year that has dossiers; with no
    dossiers at all, the year to date. Looked up once per request.
    """
    cached = g.get("default_period") if has_app_context() and today is None else None
    if cached is not None:
        return cached
    from extensions import db
    from models import Dossier
    from utils.settings import get_settings

    settings = get_settings(_users_unit())
    if settings.default_period_from and settings.default_period_to:
        period = Period(settings.default_period_from, settings.default_period_to)
    else:
        last = db.session.execute(select(func.max(Dossier.receive_date))).scalar_one_or_none()
        period = Period(date(last.year, 1, 1), last) if last else year_to_date(today)
    if has_app_context() and today is None:
        g.default_period = period
    return period


def _users_unit():
    """The unit whose settings the logged-in user's pages follow (``None``: the first unit's,
    for users who see every unit and outside a request)."""
    from flask import has_request_context
    from flask_login import current_user

    from utils.units import unit_scope

    if has_request_context() and current_user.is_authenticated:
        return unit_scope(current_user)
    return None


def parse_period(start, end, default=None):
    """A ``Period`` from two dates (``dd/mm/yyyy`` or ``YYYY-MM-DD``); both blank gives ``default``
    (the organisation's default period, ``default_period``).

    :raise PeriodError: a malformed date, only one of the two, or a start after the end.
    """
    start, end = (start or "").strip(), (end or "").strip()
    if not start and not end:
        return default or default_period()
    try:
        start_date = parse_day(start)
        end_date = parse_day(end)
    except ValueError:
        raise PeriodError(
            _("Dates must be given as dd/mm/yyyy (or YYYY-MM-DD), both the first and the last day.")
        ) from None
    if not (in_date_window(start_date) and in_date_window(end_date)):
        raise PeriodError(date_window_message())
    if start_date > end_date:
        raise PeriodError(_("The first day of the period is after its last day."))
    return Period(start_date, end_date)


def period_from_request(args, default=None):
    """The period in ``args`` (``from``, ``to``), or a 400 with a clear message."""
    try:
        return parse_period(args.get("from"), args.get("to"), default)
    except PeriodError as e:
        abort(400, description=str(e))


def optional_period_from_request(args):
    """The period in ``args`` when either date is given (``None`` when both are blank), or a 400
    with a clear message; for list filters where no period means all dates."""
    if not (args.get("from") or "").strip() and not (args.get("to") or "").strip():
        return None
    return period_from_request(args)


# --- Presets ----------------------------------------------------------------------------------


def quarter_of(day):
    """1 to 4."""
    return (day.month - 1) // 3 + 1


def preset_period(preset, today=None, year=None, months=None):
    """The period a preset names.

    - ``month``: the first of this month to today;
    - ``quarter``: the first day of this quarter to today;
    - ``year_to_date``: 1 January to today;
    - ``months``: the first ``months`` months of ``year`` (1 January to the last day of month N);
    - ``year``: the whole of ``year``.

    :param today: the Vietnam date (defaults to ``vn_today()``).
    :raise PeriodError: an unknown preset, or a year or month count out of range.
    """
    today = today or vn_today()
    year = today.year if year is None else year
    if not FIRST_YEAR <= year <= today.year + 1:
        raise PeriodError(
            _(
                "Choose a year between %(first)s and %(last)s.",
                first=FIRST_YEAR,
                last=today.year + 1,
            )
        )
    if preset == "month":
        return Period(today.replace(day=1), today)
    if preset == "quarter":
        first_month = (quarter_of(today) - 1) * 3 + 1
        return Period(date(today.year, first_month, 1), today)
    if preset == "year_to_date":
        return Period(date(today.year, 1, 1), today)
    if preset == "months":
        months = 9 if months is None else months
        if not 1 <= months <= 12:
            raise PeriodError(_("The number of months must be between 1 and 12."))
        return Period(date(year, 1, 1), month_end(year, months))
    if preset == "year":
        return Period(date(year, 1, 1), date(year, 12, 31))
    raise PeriodError(_("Unknown period."))


@dataclass(frozen=True)
class PeriodChoice:
    """What the picker shows: the preset, its year and month count, and the resulting period."""

    preset: str
    period: Period
    year: int
    months: int

    def query(self):
        """The URL parameters that name this choice (the dashboard pushes them)."""
        if self.preset == "custom":
            return {
                "preset": "custom",
                "from": self.period.start.isoformat(),
                "to": self.period.end.isoformat(),
            }
        if self.preset == "months":
            return {"preset": "months", "year": self.year, "months": self.months}
        if self.preset == "year":
            return {"preset": "year", "year": self.year}
        return {"preset": self.preset}

    def range_query(self):
        """``{"from", "to"}``: what lists and the API understand."""
        return {"from": self.period.start.isoformat(), "to": self.period.end.isoformat()}

    @property
    def label(self):
        """ "9 tháng đầu năm 2024", "Quý 3/2024", "Năm 2024", …"""
        p = self.period
        if self.preset == "month":
            return _("Month %(month)s/%(year)s", month=p.start.month, year=p.start.year)
        if self.preset == "quarter":
            return _("Quarter %(q)s/%(year)s", q=quarter_of(p.start), year=p.start.year)
        if self.preset == "year_to_date":
            return _("Year %(year)s to date", year=p.start.year)
        if self.preset == "months":
            if self.months == 12:
                return _("Year %(year)s", year=self.year)
            return _("First %(n)s months of %(year)s", n=self.months, year=self.year)
        if self.preset == "year":
            return _("Year %(year)s", year=self.year)
        return _("%(start)s to %(end)s", start=f"{p.start:%d/%m/%Y}", end=f"{p.end:%d/%m/%Y}")


def _int(value, name):
    value = (value or "").strip()
    if not value:
        return None
    number = parse_int(value, maximum=9999)
    if number is None:
        if name == "year":
            raise PeriodError(_("The year must be a number such as 2024."))
        raise PeriodError(_("The number of months must be between 1 and 12."))
    return number


def match_choice(period, today=None):
    """The ``PeriodChoice`` naming ``period``: the first N months of a year or a whole year,
    else this month, this quarter or the year to date, else a custom range."""
    today = today or vn_today()
    start, end = period.start, period.end
    if (
        start == date(start.year, 1, 1)
        and end.year == start.year
        and end == month_end(end.year, end.month)
    ):
        if end.month == 12:
            return PeriodChoice("year", period, start.year, 9)
        return PeriodChoice("months", period, start.year, end.month)
    for preset in ("month", "quarter", "year_to_date"):
        if preset_period(preset, today) == period:
            return PeriodChoice(preset, period, today.year, 9)
    return PeriodChoice("custom", period, end.year, 9)


def _asked_preset(args, default):
    """The preset the URL asks for: its ``preset``, else "custom" when it gives a date, else
    ``default`` (``None``: the organisation's default period)."""
    preset = (args.get("preset") or "").strip()
    if preset:
        return preset
    return "custom" if (args.get("from") or args.get("to")) else default


def _custom_choice(args, today):
    if not (args.get("from") or "").strip() and not (args.get("to") or "").strip():
        raise PeriodError(
            _("Dates must be given as dd/mm/yyyy (or YYYY-MM-DD), both the first and the last day.")
        )
    return match_choice(parse_period(args.get("from"), args.get("to")), today)


def choice_from_args(args, today=None, default=None):
    """The picker's choice from URL parameters ``preset``, ``year``, ``months``, ``from``, ``to``.

    Without ``preset``, ``from`` and ``to`` make a range, named by the preset it matches
    (``match_choice``); nothing at all gives ``default`` (a preset name), or else the
    organisation's default period, named the same way. The picker's form sends every field;
    only those of the chosen preset count.

    :raise PeriodError: with a translated message.
    """
    today = today or vn_today()
    preset = _asked_preset(args, default)
    if preset is None:
        return match_choice(default_period(today), today)
    if preset not in PRESETS:
        raise PeriodError(_("Unknown period."))
    # Checked whatever the preset: the form sends them all.
    year = _int(args.get("year"), "year")
    year = today.year if year is None else year
    months = _int(args.get("months"), "months")
    months = 9 if months is None else months
    if preset == "custom":
        return _custom_choice(args, today)
    period = preset_period(preset, today, year, months)
    if preset in ("month", "quarter", "year_to_date"):
        year = today.year
    return PeriodChoice(preset, period, year, months)


def choice_from_request(args, today=None, default=None):
    """``choice_from_args``, or a 400 with a clear message."""
    try:
        return choice_from_args(args, today, default)
    except PeriodError as e:
        abort(400, description=str(e))


def quick_choices(years):
    """The picker's shortcuts: this month, this quarter, the year to date, and for each of
    ``years`` its first 6 and 9 months and the whole year.

    :return: ``[(URL parameters, label)]``.
    """
    out = [
        ({"preset": "month"}, _("This month")),
        ({"preset": "quarter"}, _("This quarter")),
        ({"preset": "year_to_date"}, _("Year to date")),
    ]
    for year in years:
        for months in (6, 9):
            out.append(
                (
                    {"preset": "months", "year": year, "months": months},
                    _("First %(n)s months of %(year)s", n=months, year=year),
                )
            )
        out.append(({"preset": "year", "year": year}, _("Year %(year)s", year=year)))
    return out
