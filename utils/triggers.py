"""What the counts kept by database triggers share (``utils.reconcile``, ``utils.shipment_tally``):
setting an insert trigger aside while an import inserts many rows."""

from contextlib import contextmanager


@contextmanager
def set_aside_on_sqlite(connection, name, count):
    """Wrap an insert of many rows in the caller's transaction.

    SQLite runs a trigger's program for every row inserted, even where its WHEN clause is
    false. So on SQLite the insert trigger ``name`` is dropped for the insert (a write: this
    transaction then holds SQLite's one write lock, and no one else's rows can appear until it
    ends), ``count()`` then counts the new rows at once as the trigger would have counted them
    row by row, and the trigger is created again from its own stored text, all in this
    transaction: other connections never see the table without it, and a rollback restores it
    with the rows. On PostgreSQL, or where the trigger does not exist, nothing changes.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    stored = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (name,)
    ).scalar()
    if stored is None:  # nothing counts the rows as they are inserted: nothing to replace
        yield
        return
    connection.exec_driver_sql(f"DROP TRIGGER {name}")
    try:
        yield
        count()
    finally:
        connection.exec_driver_sql(stored)
