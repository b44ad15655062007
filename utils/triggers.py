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


# PostgreSQL keeps no foreign key from the dossiers to their procedure: its check costs a locked
# lookup of the procedure for every dossier inserted (a quarter of an import's insert), and every
# writer of dossiers takes the procedure from the catalogue already (the import refuses an
# unknown code as a bad row). Procedures are never deleted by the application; this guard keeps
# the database refusing to delete, or renumber, a procedure that still has dossiers, as the
# foreign key did. SQLite keeps its foreign key: its check is a lookup in the same process.
PROCEDURE_GUARD = "procedure_keep_dossiers"


def procedure_guard_ddl():
    """The PostgreSQL statements that create the procedures' guard (function and trigger)."""
    return [
        f"""CREATE OR REPLACE FUNCTION {PROCEDURE_GUARD}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN
        RETURN NEW;
    END IF;
    IF EXISTS (SELECT 1 FROM dossier WHERE procedure_id = OLD.id) THEN
        RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
            MESSAGE = 'procedure ' || OLD.id || ' still has dossiers';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$""",
        f"CREATE TRIGGER {PROCEDURE_GUARD} BEFORE DELETE OR UPDATE OF id ON procedure "
        f"FOR EACH ROW EXECUTE FUNCTION {PROCEDURE_GUARD}()",
    ]


def create_procedure_guard(connection):
    """The procedures' guard, on PostgreSQL (``procedure_guard_ddl``); nothing on SQLite."""
    if connection.dialect.name == "postgresql":
        for statement in procedure_guard_ddl():
            connection.exec_driver_sql(statement)
