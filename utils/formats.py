"""Numbers and dates as people read them, registered as Jinja filters (docs/rules.md, "How
things are shown").

Vietnamese: ``44.865``, ``9,70%``, ``1.024.000 đồng``, ``21/09/2024``; English: ``44,865``,
``9.70%``, ``21/09/2024``. The locale comes from the user's choice, never the browser. Numbers,
percentages and dates go through Babel with the locale's own symbols; ratios arrive already
rounded half up by ``utils.figures`` (Babel would round half to even), so Babel only writes them.
The place-and-date line of a document keeps its own function (``document_date``): its leading-zero
rule has no Babel pattern.
"""

from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, get_decimal_symbol, get_group_symbol
from flask_babel import get_locale, gettext
from markupsafe import Markup, escape

from utils.dates import to_vn

DASH = "—"
DATE = "dd/MM/yyyy"
DATE_TIME = "dd/MM/yyyy HH:mm"


def _locale_code():
    try:
        return _identifier(get_locale())
    except RuntimeError:  # outside a request: documents are Vietnamese
        return "vi"


@lru_cache(maxsize=8)
def _identifier(locale):
    # ``str(Locale)`` rebuilds the identifier on every call; a page asks hundreds of times.
    return str(locale or "vi")


@lru_cache(maxsize=8)
def _group_symbol(locale):
    return get_group_symbol(locale)


@lru_cache(maxsize=8)
def _pattern(decimals):
    return "#,##0" + ("." + "0" * decimals if decimals else "")


@lru_cache(maxsize=8)
def _separators(locale):
    """``str.translate`` table from Python's ``,`` and ``.`` to the locale's group and decimal
    symbols (Babel's)."""
    return str.maketrans({",": _group_symbol(locale), ".": get_decimal_symbol(locale)})


def number(value, decimals=0, locale=None):
    """``44865`` → ``44.865`` (vi) or ``44,865`` (en), ``decimals`` places; ``None`` → "—"."""
    if value is None:
        return DASH
    locale = locale or _locale_code()
    if not decimals and type(value) is int:
        # Counts, the common case (a list shows two per row): the locale's grouping symbol
        # from Babel, without its pattern machinery (ten times cheaper).
        return f"{value:,}".replace(",", _group_symbol(locale))
    value = Decimal(value)
    if _rounded(value, decimals):
        # A figure's ratio or points, already rounded (``utils.figures``): nothing for Babel's
        # rounding to do, so only its symbols (a page writes hundreds; Babel's pattern
        # machinery costs a millisecond each on a busy machine).
        return f"{value:,.{decimals}f}".translate(_separators(locale))
    return format_decimal(value, format=_pattern(decimals), locale=locale)


_QUANTA = {n: Decimal(1).scaleb(-n) for n in range(7)}


def _rounded(value, decimals):
    """``value`` has at most ``decimals`` places (a finite number of usual size)."""
    quantum = _QUANTA.get(decimals)
    if quantum is None or not value.is_finite():
        return False
    try:
        return value == value.quantize(quantum)
    except InvalidOperation:  # more digits than the context holds
        return False


def pct(value, locale=None):
    """A ``Decimal`` percentage → ``9,70%``; ``None`` → "—"."""
    if value is None:
        return DASH
    return number(value, 2, locale) + "%"


def points(value, locale=None):
    """Points → ``0,50``; ``None`` → "—"."""
    if value is None:
        return DASH
    return number(value, 2, locale)


def threshold(value, locale=None):
    """A band's threshold → ``20%``, ``2,5%`` (no trailing zeros); ``None`` → "—"."""
    if value is None:
        return DASH
    value = Decimal(value)
    decimals = max(0, -value.normalize().as_tuple().exponent)
    return number(value, min(decimals, 2), locale) + "%"


def money(value, locale=None):
    """Whole đồng → ``1.024.000 đồng``."""
    if value is None:
        return DASH
    return f"{number(value, 0, locale)} đồng"


@lru_cache(maxsize=4096)
def _date_text(value, locale):
    # A list repeats its dates: each is written by Babel once.
    return format_date(value, DATE, locale=locale)


def dmy(value):
    """A date → ``21/09/2024``; ``None`` → "—"."""
    if value is None:
        return DASH
    return _date_text(value, _locale_code())


def dmy_hm(value):
    """A naive-UTC datetime → Vietnam time ``21/09/2024 14:05``."""
    if value is None:
        return DASH
    return format_datetime(to_vn(value), DATE_TIME, locale=_locale_code())


def document_date(value, place=None):
    """``Hạ Long, ngày 05 tháng 01 năm 2025``: day below 10 and months 1 and 2 take a zero."""
    day = f"{value.day:02d}"
    month = f"{value.month:02d}" if value.month <= 2 else str(value.month)
    text = f"ngày {day} tháng {month} năm {value.year}"
    return f"{place}, {text}" if place else text


def long_date(value):
    """``ngày 21 tháng 9 năm 2024`` (no leading zeros), for running text."""
    return f"ngày {value.day} tháng {value.month} năm {value.year}"


def linked_number(value, url=None, locale=None):
    """A count (``number``), a link to ``url`` when there is one (the markup of
    ``_macros.html``'s ``linked_number``)."""
    text = escape(number(value, locale=locale or _locale_code()))
    return Markup(f'<a href="{escape(url)}">{text}</a>') if url else text


def ratio(
    numerator,
    denominator,
    percent_value,
    numerator_url=None,
    denominator_url=None,
    zero_reason=None,
):
    """A criterion's rate with its numerator and denominator, each linked to the list it counts
    (``_macros.html``'s ``ratio``, which calls this): ``9,70% (29/299)``; on a zero denominator no
    rate, ``zero_reason`` (default: "nothing to divide by") and the numerator alone if any. The
    locale is looked up once for the three numbers (a roll-up writes a few hundred ratios)."""
    locale = _locale_code()
    if denominator:
        return Markup(
            f'<span class="figure-ratio"><span class="ratio-pct">{escape(pct(percent_value, locale))}'
            f'</span> <span class="ratio-parts text-muted">('
            f"{linked_number(numerator, numerator_url, locale)}/"
            f"{linked_number(denominator, denominator_url, locale)})</span></span>"
        )
    count = f"{linked_number(numerator, numerator_url, locale)}; " if numerator else ""
    # A translation is the template's own markup, as Jinja's ``_()`` gives it.
    reason = escape(zero_reason) if zero_reason else Markup(gettext("nothing to divide by"))
    return Markup(
        f'<span class="figure-ratio ratio-undefined"><span class="ratio-pct">{escape(pct(None))}'
        f'</span> <span class="ratio-parts text-muted">({count}<span class="ratio-reason">'
        f"{reason}</span>)</span></span>"
    )


# Template globals: the markup of a figure, built in Python (a roll-up writes hundreds).
GLOBALS = {"ratio_markup": ratio, "linked_number_markup": linked_number}

FILTERS = {
    "number": number,
    "pct": pct,
    "points": points,
    "money": money,
    "threshold": threshold,
    "dmy": dmy,
    "dmy_hm": dmy_hm,
    "document_date": document_date,
    "long_date": long_date,
}
