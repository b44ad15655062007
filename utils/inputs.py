"""What a request may carry: bounded integers, dates inside the supported window, text without
control characters, and a ``next`` address that stays on this site.

The limits are written down in ``docs/limits.md``; every view reads its parameters through these
helpers so that bad input is a 400 or 404 with a message, never a 500 from the database.
"""

import re
from urllib.parse import urlsplit

from flask import abort, current_app, has_app_context, url_for
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

# The largest integer both databases store in a BIGINT column (and SQLite in any integer).
MAX_ID = 2**63 - 1
# Page numbers beyond this are no page of any list (and keep OFFSET far from overflowing).
MAX_PAGE = 1_000_000
_ASCII_INT = re.compile(r"[0-9]{1,19}")

DEFAULT_DATE_WINDOW = (2000, 2099)

# Characters every text may hold among the control characters (Unicode category Cc: C0, DEL, C1).
MULTILINE_ALLOWED = frozenset("\t\n\r")
LINE_ALLOWED = frozenset("\t")
CODE_ALLOWED = frozenset()


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` with ASCII digits only and at most ``MAX_ID``: anything else is a 404.

    Werkzeug's own converter matches ``\\d``, which takes other scripts' digits too, and has no
    upper bound, so ``/procedures/99999999999999999999`` reached the database and answered 500.
    """

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(
            map,
            fixed_digits=fixed_digits,
            min=min,
            max=MAX_ID if max is None else max,
            signed=signed,
        )


def parse_int(value, minimum=None, maximum=MAX_ID):
    """``value`` as an int when it is ASCII digits within [minimum, maximum], else ``None``.

    Unicode digits ("²", "١٢") are not numbers here, and neither are signs or spaces inside.
    """
    text = str(value).strip() if value is not None else ""
    if not _ASCII_INT.fullmatch(text):
        return None
    number = int(text)
    if (minimum is not None and number < minimum) or number > maximum:
        return None
    return number


def arg_int(args, name, default=None, minimum=1, maximum=MAX_ID):
    """The integer query parameter ``name`` (see ``parse_int``), or ``default`` when it is absent,
    malformed or out of range: a list filter that cannot be read is left off, never a 500."""
    number = parse_int(args.get(name), minimum=minimum, maximum=maximum)
    return default if number is None else number


# --- dates ------------------------------------------------------------------------------------


def date_window():
    """``(first year, last year)`` of the dates the product accepts (``DATE_WINDOW``)."""
    if has_app_context():
        return tuple(current_app.config.get("DATE_WINDOW", DEFAULT_DATE_WINDOW))
    return DEFAULT_DATE_WINDOW


def in_date_window(day):
    first, last = date_window()
    return day is None or first <= day.year <= last


def date_window_message():
    first, last = date_window()
    return _("Dates must lie between 01/01/%(first)s and 31/12/%(last)s.", first=first, last=last)


# --- text -------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # Unicode category Cc: C0, DEL and C1


def control_characters(value, allowed=LINE_ALLOWED):
    """The control characters of ``value`` outside ``allowed`` (NUL, other C0, DEL, C1)."""
    if not value:
        return []
    return [ch for ch in _CONTROL.findall(str(value)) if ch not in allowed]


def describe_character(ch):
    """``U+0000`` for a message."""
    return f"U+{ord(ch):04X}"


def control_character_message(value, allowed=LINE_ALLOWED):
    """A translated message naming the first refused character of ``value``, or ``None``."""
    found = control_characters(value, allowed)
    if not found:
        return None
    if allowed == CODE_ALLOWED and found[0] == "\t":
        return _("A code cannot contain a tab.")
    return _(
        "The text contains a control character (%(char)s) that cannot be stored; "
        "remove it and try again.",
        char=describe_character(found[0]),
    )


def strip_control_characters(value):
    """``value`` without any control character (for addresses, never for stored text)."""
    return _CONTROL.sub("", value)


# --- the next address -------------------------------------------------------------------------


def safe_next(target, default=None):
    """``target`` when it is a path on this site, else ``default`` (the home page).

    Control characters are removed first, as browsers remove tabs and line breaks from URLs:
    ``/\\t/evil.example`` would otherwise pass a "starts with one slash" check and become
    ``//evil.example``. What remains must be a path with no scheme, no host and no backslash.
    """
    fallback = default if default is not None else url_for("main.home")
    if not target:
        return fallback
    path = strip_control_characters(str(target)).strip()
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return fallback
    parts = urlsplit(path)
    if parts.scheme or parts.netloc:
        return fallback
    return path


def install(app):
    """Register the bounded ``int`` converter (before any blueprint adds its rules)."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.config.setdefault("DATE_WINDOW", DEFAULT_DATE_WINDOW)


def refuse_control_characters(values, allowed=MULTILINE_ALLOWED):
    """A 400 with a message when any of ``values`` holds a control character outside ``allowed``."""
    for value in values:
        message = control_character_message(value, allowed)
        if message:
            abort(400, description=message)
