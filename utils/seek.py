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


class _Keyset:
    """The statements a list's pages are read from: the rows with a value in ``column``, read
    through its index in key order, and (``nullable``) those without one, after them by id."""

    def __init__(self, session, stmt, column, id_column, nullable):
        self.session, self.column, self.id_column, self.nullable = (
            session,
            column,
            id_column,
            nullable,
        )
        # Rows without a value (few) are read through the column's index ("IS NULL") and sorted:
        # "+ 0" keeps planners from walking the whole table in id order to find them.
        self.plain_id = id_column + 0
        self.not_null = stmt.where(column.is_not(None)) if nullable else stmt
        self.null = stmt.where(column.is_(None)) if nullable else None

    def run(self, query, limit):
        return list(self.session.execute(query.limit(limit)).scalars().all()) if limit > 0 else []

    def forward(self, key, want):
        """Up to ``want`` rows in list order, from the top or after ``key``."""
        if key is not None and key[0] is None:
            if not self.nullable:
                return []
            return self.run(
                self.null.where(self.plain_id < key[1]).order_by(self.plain_id.desc()), want
            )
        head = self.not_null
        if key is not None:
            # The plain range first, so that every planner seeks on the column's index.
            head = head.where(
                and_(
                    self.column <= key[0],
                    tuple_(self.column, self.id_column) < tuple_(key[0], key[1]),
                )
            )
        rows = self.run(head.order_by(self.column.desc(), self.id_column.desc()), want)
        if self.nullable and len(rows) < want:
            rows += self.run(self.null.order_by(self.plain_id.desc()), want - len(rows))
        return rows

    def backward(self, key, want):
        """Up to ``want`` rows in reverse list order, from the bottom or before ``key``."""
        ascending = (self.column.asc(), self.id_column.asc())
        if key is not None and key[0] is not None:
            return self.run(
                self.not_null.where(
                    and_(
                        self.column >= key[0],
                        tuple_(self.column, self.id_column) > tuple_(key[0], key[1]),
                    )
                ).order_by(*ascending),
                want,
            )
        rows = []
        if self.nullable:
            tail = self.null if key is None else self.null.where(self.plain_id > key[1])
            rows = self.run(tail.order_by(self.plain_id.asc()), want)
        if len(rows) < want:
            rows += self.run(self.not_null.order_by(*ascending), want - len(rows))
        return rows


def seek(session, stmt, column, id_column, cursor, per_page, nullable=True, key_of=None):
    """One page of ``stmt`` (a SELECT with its filters, not ordered) ordered by ``column``
    descending then ``id_column`` descending, NULLs of ``column`` last.

    :param key_of: a function of a row giving its ``(value, id)``; by default the row's
        attributes named like the two columns.
    """
    keyset = _Keyset(session, stmt, column, id_column, nullable)
    want = per_page + 1
    kind = cursor.kind
    if kind in ("first", "after"):
        after = kind == "after"
        rows = keyset.forward(cursor.key if after else None, want)
        result = Page(rows[:per_page], cursor.page if after else 1, after, len(rows) > per_page)
    else:  # before, last: the rows in ascending order, read backwards
        before = kind == "before"
        rows = keyset.backward(cursor.key if before else None, want)
        has_prev = len(rows) > per_page
        if before and not has_prev:
            # Back at the start: the first page, whole.
            return seek(session, stmt, column, id_column, Cursor(), per_page, nullable, key_of)
        result = Page(
            list(reversed(rows[:per_page])),
            max(cursor.page, 1) if before else cursor.page,
            has_prev,
            before,
            is_last=kind == "last",
        )
    if result.rows:
        if key_of is None:

            def key_of(row):
                return getattr(row, column.key), getattr(row, id_column.key)

        result.first_key = key_text(*key_of(result.rows[0]))
        result.last_key = key_text(*key_of(result.rows[-1]))
    return result


def capped_count(session, stmt, cap):
    """How many rows ``stmt`` (a SELECT) gives, counting at most ``cap + 1``: ``(n, capped)``."""
    from sqlalchemy import func, select

    inner = stmt.limit(cap + 1).subquery()
    n = session.execute(select(func.count()).select_from(inner)).scalar_one()
    return (cap, True) if n > cap else (int(n), False)
