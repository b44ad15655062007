"""utils/bulk.py writes PostgreSQL's COPY text: a column whose text needs no escape goes as it is,
any other value is escaped (backslash, tab, line breaks), so what the server stores is what was
given, on PostgreSQL read back through a real COPY."""

from datetime import date, datetime

import pytest

from extensions import db
from utils.bulk import copy_rows, copy_text

AWKWARD = ("back\\slash", "tab\there", "line\nbreak", "return\rhere", r"\N", "plain")


def test_plain_text_columns_go_as_they_are():
    rows = [("000.17.22.H56-240603-0001", 1), ("000.17.22.H56-240603-0002", 2)]
    assert copy_text(rows) == "000.17.22.H56-240603-0001\t1\n000.17.22.H56-240603-0002\t2\n"


def test_a_column_with_one_awkward_value_is_escaped_throughout():
    rows = [(code, None, date(2024, 1, 2), True) for code in AWKWARD]
    lines = copy_text(rows).split("\n")
    assert lines[:-1] == [
        "back\\\\slash\t\\N\t2024-01-02\tt",
        "tab\\there\t\\N\t2024-01-02\tt",
        "line\\nbreak\t\\N\t2024-01-02\tt",
        "return\\rhere\t\\N\t2024-01-02\tt",
        "\\\\N\t\\N\t2024-01-02\tt",
        "plain\t\\N\t2024-01-02\tt",
    ]
    assert lines[-1] == ""


def test_copy_stores_exactly_the_values_given(app):
    conn = db.session.connection()
    if conn.dialect.name != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    conn.exec_driver_sql(
        "CREATE TEMPORARY TABLE bulk_check (n integer, t text, d date, at timestamp, b boolean)"
    )
    at = datetime(2024, 5, 6, 7, 8, 9)
    rows = [(i, text, date(2024, 1, 1 + i), at, i % 2 == 0) for i, text in enumerate(AWKWARD)]
    rows += [(100 + i, f"code-{i:05d}", None, at, None) for i in range(3)]  # a plain column too
    copy_rows(conn, "bulk_check (n, t, d, at, b)", rows)
    stored = conn.exec_driver_sql("SELECT n, t, d, at, b FROM bulk_check ORDER BY n").all()
    assert [tuple(r) for r in stored] == rows
    plain = [(i, f"code-{i:05d}", None, at, None) for i in range(3)]
    conn.exec_driver_sql("TRUNCATE bulk_check")
    copy_rows(conn, "bulk_check (n, t, d, at, b)", plain)
    stored = conn.exec_driver_sql("SELECT n, t, d, at, b FROM bulk_check ORDER BY n").all()
    assert [tuple(r) for r in stored] == plain
    db.session.rollback()
