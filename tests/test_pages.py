"""Numbered pages (``utils.pages``): the rows of a page and their count in one statement, and
what a page past the last one shows."""

from sqlalchemy import func, select

from models import Department
from tests import factories as f
from tests.statements import recorded
from utils.pages import numbered_page


def _departments():
    return select(Department).where(Department.code.like("PG%")).order_by(Department.code)


def test_a_page_reads_its_rows_and_their_count_in_one_statement(app):
    for n in range(7):
        f.department(code=f"PG{n}")
    with recorded() as seen:
        page = numbered_page(_departments(), 2, 3)
    assert len(seen) == 1
    assert [d.code for d in page.items] == ["PG3", "PG4", "PG5"]
    assert (page.total, page.page, page.pages) == (7, 2, 3)
    assert (page.has_prev, page.prev_num, page.has_next, page.next_num) == (True, 1, True, 3)
    last = numbered_page(_departments(), 3, 3)
    assert [d.code for d in last.items] == ["PG6"] and (last.has_next, last.next_num) == (
        False,
        None,
    )


def test_past_the_last_page(app):
    for n in range(4):
        f.department(code=f"PG{n}")
    shown = numbered_page(_departments(), 9, 3)
    assert (shown.page, [d.code for d in shown.items], shown.total) == (2, ["PG3"], 4)
    empty = numbered_page(_departments(), 9, 3, past_last="empty")
    assert (empty.page, empty.items, empty.total, empty.has_next) == (9, [], 4, False)
    none = numbered_page(
        select(Department).where(Department.code == "none"),
        1,
        3,
        count=select(func.count()).select_from(Department).where(Department.code == "none"),
    )
    assert (none.items, none.total, none.pages, none.has_prev) == ([], 0, 1, False)


def test_rows_made_into_items(app):
    f.department(code="PG1", name="Một")
    page = numbered_page(
        select(Department.code, Department.name)
        .where(Department.code == "PG1")
        .order_by(Department.code),
        1,
        10,
        row=lambda values: "-".join(values),
    )
    assert page.items == ["PG1-Một"]
