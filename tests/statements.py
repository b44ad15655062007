"""The SQL statements test code sends through the application's engine (SQLAlchemy's
``before_cursor_execute``), for tests that count or read them."""

from contextlib import contextmanager

from sqlalchemy import event

from extensions import db

# Statements that open, mark or end a transaction rather than read or write rows.
TRANSACTION = ("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT")


@contextmanager
def recorded(leave_out=(), parameters=False):
    """The statements run inside the block, in order: a list that fills as they run. Statements
    that start with one of ``leave_out`` (for example ``TRANSACTION``) are not recorded. Each is
    its SQL, or ``(sql, parameters)`` with ``parameters``."""
    seen = []

    def note(conn, cursor, statement, params, context, executemany):
        if not statement.lstrip().upper().startswith(tuple(leave_out)):
            seen.append((statement, params) if parameters else statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
