"""Dates in Vietnam time, and the periods people pick."""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def vn_today():
    """Today's date in Vietnam, whatever the server's time zone."""
    return datetime.now(VN_TZ).date()


def to_vn(moment):
    """A naive-UTC datetime from the database, in Vietnam time."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(VN_TZ)


@dataclass(frozen=True)
class Period:
    """An inclusive range of calendar dates."""

    start: date
    end: date

    def __post_init__(self):
        if self.start > self.end:
            raise ValueError("period start is after its end")

    @property
    def year(self):
        """The year whose rubric scores the period: that of its end date."""
        return self.end.year

    def months(self):
        """Each (year, month) the period touches, in order."""
        y, m = self.start.year, self.start.month
        out = []
        while (y, m) <= (self.end.year, self.end.month):
            out.append((y, m))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_iso_date(value):
    """``yyyy-mm-dd`` (ASCII digits, nothing else) to a date; ``ValueError`` when it is not one.

    ``date.fromisoformat`` alone also takes ``20240101`` and week dates.
    """
    text = (value or "").strip()
    if not _ISO_DATE.fullmatch(text):
        raise ValueError("not a yyyy-mm-dd date")
    return date.fromisoformat(text)


_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", re.ASCII)
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def parse_day(value):
    """A date typed by a person (``dd/mm/yyyy``, as the interface shows dates) or written in a URL
    or script (``YYYY-MM-DD``); ``ValueError`` when it is neither, or no such day.

    The interface's date fields are text fields: a browser's own date input would show the
    date in the browser's language (``12/02/2026`` for 2 December on an English Chrome).
    """
    text = (value or "").strip()
    if _ISO.fullmatch(text):
        return date.fromisoformat(text)
    match = _DMY.fullmatch(text)
    if match is None:
        raise ValueError(f"not a date: {text!r}")
    day, month, year = (int(g) for g in match.groups())
    return date(year, month, day)


def month_end(year, month):
    nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return nxt - timedelta(days=1)


def year_to_date(today=None):
    today = today or vn_today()
    return Period(date(today.year, 1, 1), today)
