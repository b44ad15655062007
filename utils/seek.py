"""Keyset ("seek") pagination for long lists: a page is found from the key of the row before or
after it, through an index, never by skipping rows with a growing OFFSET, so the thousandth
page costs what the first does.

A list is ordered by one column (a date, a code), newest or highest first, then by id; rows
whose column is NULL come after all the others (by id). The URL carries the page's number (for
display only, bounded) and the key of the row the page starts after (``after``) or ends before
(``before``), or ``last=1`` for the last page::

    /dossiers?…&page=3&after=2026-11-30.81234
"""
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, tuple_

from utils.inputs import arg_int, parse_int

MAX_PAGE = 100_000  # a page number beyond this is shown as this: the key finds the page
NULL = "~"


@dataclass
class Cursor:
    """Where a page starts: ``kind`` ``first``, ``after``, ``before`` or ``last``; ``key`` the
    ``(value, id)`` of the row it starts after or ends before; ``page`` its number (display)."""

    kind: str = "first"
    key: tuple | None = None
    page: int = 1


def _parse_value(text, kind):
    if text == NULL:
        return None
    if kind == "date":
        return date.fromisoformat(text)
    return text


def parse_cursor(args, kind):
    """The ``Cursor`` of a request's ``after``/``before``/``last``/``page`` values; a malformed
    key gives the first page. ``kind`` is ``date`` or ``text``, the ordering column's type."""
    page = min(arg_int(args, "page", default=1), MAX_PAGE)
    if args.get("last") == "1":
        return Cursor("last", None, page)
    for kind_name in ("after", "before"):
        raw = (args.get(kind_name) or "").strip()
        if not raw:
            continue
        value, sep, ident = raw.rpartition(".")
        ident = parse_int(ident, minimum=0)  # ASCII digits within the ids' range, or None
        if not sep or ident is None or len(raw) > 120:
            return Cursor()
        try:
            return Cursor(kind_name, (_parse_value(value, kind), ident), max(page, 1))
        except ValueError:
            return Cursor()
    return Cursor()


def key_text(value, ident):
    """A row's key as the URL carries it."""
    if value is None:
        text = NULL
    elif isinstance(value, date):
        text = value.isoformat()
    else:
        text = str(value)
    return f"{text}.{ident}"


@dataclass
class Page:
    """One page of a list and where its neighbours are."""

    rows: list
    page: int
    has_prev: bool
    has_next: bool
    first_key: str | None = None
    last_key: str | None = None
    is_last: bool = False
    extra: dict = field(default_factory=dict)


def seek(session, stmt, column, id_column, cursor, per_page, nullable=True, key_of=None):
    """One page of ``stmt`` (a SELECT with its filters, not ordered) ordered by ``column``
    descending then ``id_column`` descending, NULLs of ``column`` last.

    :param key_of: a function of a row giving its ``(value, id)``; by default the row's
        attributes named like the two columns.
    """
    if key_of is None:
        def key_of(row):
            return getattr(row, column.key), getattr(row, id_column.key)

    def run(query, limit):
        return list(session.execute(query.limit(limit)).scalars().all()) if limit > 0 else []

    desc = (column.desc(), id_column.desc())
    asc = (column.asc(), id_column.asc())
    # Rows without a value (few) are read through the column's index ("IS NULL") and sorted:
    # "+ 0" keeps planners from walking the whole table in id order to find them.
    plain_id = id_column + 0
    not_null = stmt.where(column.is_not(None)) if nullable else stmt
    null = stmt.where(column.is_(None)) if nullable else None
    want = per_page + 1
    kind, key = cursor.kind, cursor.key

    if kind in ("first", "after"):
        if kind == "after" and key[0] is None:
            rows = run(null.where(plain_id < key[1]).order_by(plain_id.desc()), want) \
                if nullable else []
        else:
            head = not_null
            if kind == "after":
                # The plain range first, so that every planner seeks on the column's index.
                head = head.where(and_(column <= key[0],
                                       tuple_(column, id_column) < tuple_(key[0], key[1])))
            rows = run(head.order_by(*desc), want)
            if nullable and len(rows) < want:
                rows += run(null.order_by(plain_id.desc()), want - len(rows))
        has_next = len(rows) > per_page
        rows = rows[:per_page]
        page = cursor.page if kind == "after" else 1
        result = Page(rows, page, kind == "after", has_next)
    else:  # before, last: the rows in ascending order, read backwards
        if kind == "before" and key[0] is not None:
            rows = run(not_null.where(and_(column >= key[0],
                                           tuple_(column, id_column) > tuple_(key[0], key[1])))
                       .order_by(*asc), want)
        else:
            rows = []
            if nullable:
                tail = null if kind == "last" else null.where(plain_id > key[1])
                rows = run(tail.order_by(plain_id.asc()), want)
            if len(rows) < want:
                rows += run(not_null.order_by(*asc), want - len(rows))
        has_prev = len(rows) > per_page
        rows = list(reversed(rows[:per_page]))
        if kind == "before" and not has_prev:
            # Back at the start: the first page, whole.
            return seek(session, stmt, column, id_column, Cursor(), per_page, nullable, key_of)
        page = max(cursor.page, 1) if kind == "before" else cursor.page
        result = Page(rows, page, has_prev, kind == "before", is_last=kind == "last")
    if result.rows:
        result.first_key = key_text(*key_of(result.rows[0]))
        result.last_key = key_text(*key_of(result.rows[-1]))
    return result


def capped_count(session, stmt, cap):
    """How many rows ``stmt`` (a SELECT) gives, counting at most ``cap + 1``: ``(n, capped)``."""
    from sqlalchemy import func, select

    inner = stmt.limit(cap + 1).subquery()
    n = session.execute(select(func.count()).select_from(inner)).scalar_one()
    return (cap, True) if n > cap else (int(n), False)
