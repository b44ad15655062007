"""Numbered pages of a list ("page 3 of 12"), for the lists short enough to be counted: the
procedure catalogue and the audit log. The long lists (dossiers, shipments) page by key instead
(``utils.seek``), never by skipping rows.

One statement reads a page's rows and how many rows match in all (a window count beside each
row); only a page with no rows (past the last, or an empty list) costs a second, plain count.
"""

from dataclasses import dataclass

from sqlalchemy import func, select

from extensions import db


@dataclass
class Page:
    """One page of a list: its ``items``, how many match in all (``total``), its number
    (``page``, from 1) and ``per_page``."""

    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self):
        """How many pages the list has; an empty list has one, empty."""
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self):
        return self.page > 1

    @property
    def has_next(self):
        return self.page < self.pages

    @property
    def prev_num(self):
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self):
        return self.page + 1 if self.has_next else None


def numbered_page(stmt, page, per_page, count=None, row=None, past_last="last"):
    """Page ``page`` (from 1) of the ordered statement ``stmt``, ``per_page`` rows.

    :param count: the statement counting the rows ``stmt`` matches, used only when the page has
        no rows (default: a count over ``stmt`` as a subquery).
    :param row: turns each result row's values (a tuple, without the window count) into an
        item (default: the first value, the ORM object a ``select(Model)`` reads).
    :param past_last: ``"last"`` shows the last page instead of a page past it; ``"empty"``
        keeps the asked number and no items.
    :return: a ``Page``.
    """
    page = max(1, page)
    counted = stmt.add_columns(func.count().over().label("_total")).limit(per_page)

    def read(number):
        return db.session.execute(counted.offset((number - 1) * per_page)).all()

    rows = read(page)
    if rows:
        total = rows[0][-1]
    else:
        if count is None:
            count = select(func.count()).select_from(stmt.order_by(None).subquery())
        total = db.session.execute(count).scalar_one()
        last = max(1, -(-total // per_page))
        if past_last == "last" and page > last:
            page = last
            rows = read(page) if total else []
    make = row or (lambda values: values[0])
    items = [make(tuple(r)[:-1]) for r in rows]
    return Page(items, int(total), page, per_page)
