"""The shipments counted per date, unit, procedure, direction and status by triggers, as migration
0018 made them: the triggers, PostgreSQL's functions and the first count, frozen here so that the
migration does the same thing whatever ``utils/shipment_tally.py`` becomes
(``tests/test_frozen_triggers.py`` checks that the application's are these until a migration
replaces them). Never change it: a change to the triggers is a new migration with its own frozen
copy."""

KEY = (
    "unit_id",
    "procedure_id",
    "direction",
    "cancelled",
    "eligibility_warning",
    "check_digit_warning",
)
COUNTS = ("shipments", "fees")
TIERS = (("shipment_day_tally", "day"), ("shipment_month_tally", "month"))
# The shipment's columns the key columns after the procedure are read from (the unit is the
# shipment's own, the procedure its dossier's).
SHIPMENT_KEY = ("direction", "cancelled", "eligibility_warning", "check_digit_warning")
WATCHED = ("date", "unit_id", "dossier_id", *SHIPMENT_KEY, "fee")  # what moves a shipment's count

TRIGGERS = (
    "shipment_tally_insert",
    "shipment_tally_update",
    "shipment_tally_delete",
    "shipment_tally_move",
)


# --- The triggers ------------------------------------------------------------------------------


def _date_key(dialect_name, date_key, column):
    """SQL for the tier's date of the shipment date ``column``."""
    if date_key == "day":
        return column
    if dialect_name == "postgresql":
        return f"CAST(date_trunc('month', {column}) AS DATE)"
    return f"date({column}, 'start of month')"


def _keyed(dialect_name, date_key, row):
    """SQL for the tier's date and the shipment's key columns after the procedure of ``row``
    (an alias, NEW or OLD)."""
    return (
        _date_key(dialect_name, date_key, f"{row}.date"),
        ", ".join(f"{row}.{c}" for c in SHIPMENT_KEY),
    )


def _upsert(table, date_key, rows):
    """Add the counts of ``rows`` (a SELECT of the tier's date, the ``KEY`` and ``COUNTS``) to
    ``table``, creating missing rows."""
    columns = ", ".join((date_key, *KEY, *COUNTS))
    keys = ", ".join((date_key, *KEY))
    added = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in COUNTS)
    return f"INSERT INTO {table} ({columns}) {rows} ON CONFLICT ({keys}) DO UPDATE SET {added}"


def _grouped(dialect_name, date_key, source, where=""):
    """A SELECT of ``source``'s shipments (alias ``s``, joined to their dossier ``d``) counted
    per tier date and key."""
    day, shipment_key = _keyed(dialect_name, date_key, "s")
    return (
        f"SELECT {day}, s.unit_id, d.procedure_id, {shipment_key}, count(*), "
        f"sum(coalesce(s.fee, 0)) FROM {source} s JOIN dossier d ON d.id = s.dossier_id {where} "
        f"GROUP BY {day}, s.unit_id, d.procedure_id, {shipment_key}"
    )


def _sqlite_row(date_key, row, sign):
    """The shipment ``row`` (NEW or OLD) counted in (``sign`` 1) or out (-1) of one tier."""
    day, shipment_key = _keyed("sqlite", date_key, row)
    return (
        f"SELECT {day}, {row}.unit_id, d.procedure_id, {shipment_key}, {sign}, "
        f"{sign} * coalesce({row}.fee, 0) FROM dossier d WHERE d.id = {row}.dossier_id"
    )


def _moved(dialect_name, date_key):
    """The shipments of the dossier NEW, out of OLD's procedure and into NEW's."""
    day, shipment_key = _keyed(dialect_name, date_key, "s")
    return (
        f"SELECT {day}, s.unit_id, p.procedure_id, {shipment_key}, sum(p.n), "
        f"sum(p.n * coalesce(s.fee, 0)) "
        f"FROM shipment s, (SELECT OLD.procedure_id AS procedure_id, -1 AS n "
        f"UNION ALL SELECT NEW.procedure_id, 1) p WHERE s.dossier_id = NEW.id "
        f"GROUP BY {day}, s.unit_id, p.procedure_id, {shipment_key}"
    )


def _each_tier(statement):
    return " ".join(f"{statement(table, key)};" for table, key in TIERS)


def _sqlite_ddl():
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in WATCHED)

    def counted(row, sign):
        return _each_tier(lambda table, key: _upsert(table, key, _sqlite_row(key, row, sign)))

    return [
        f"CREATE TRIGGER shipment_tally_insert AFTER INSERT ON shipment BEGIN "
        f"{counted('NEW', 1)} END",
        f"CREATE TRIGGER shipment_tally_delete AFTER DELETE ON shipment BEGIN "
        f"{counted('OLD', -1)} END",
        f"CREATE TRIGGER shipment_tally_update AFTER UPDATE OF {', '.join(WATCHED)} ON shipment "
        f"WHEN {changed} BEGIN {counted('OLD', -1)} {counted('NEW', 1)} END",
        f"CREATE TRIGGER shipment_tally_move AFTER UPDATE OF procedure_id ON dossier "
        f"WHEN OLD.procedure_id IS NOT NEW.procedure_id BEGIN "
        f"{_each_tier(lambda table, key: _upsert(table, key, _moved('sqlite', key)))} END",
    ]


def _pg_statement_rows(date_key, parts):
    """The rows of a statement's transition tables (``parts``: ``(table, sign)``), counted per
    tier date and key, in key order, leaving out keys whose counts cancel out."""
    day, shipment_key = _keyed("postgresql", date_key, "s")
    rows = " UNION ALL ".join(
        f"SELECT {day} AS day, s.unit_id, d.procedure_id, {shipment_key}, {sign} AS n, "
        f"{sign} * coalesce(s.fee, 0)::bigint AS fee "
        f"FROM {table} s JOIN dossier d ON d.id = s.dossier_id"
        for table, sign in parts
    )
    key = ", ".join(("day", *KEY))
    return (
        f"SELECT {key}, sum(n), sum(fee) FROM ({rows}) AS changed GROUP BY {key} "
        f"HAVING sum(n) <> 0 OR sum(fee) <> 0 ORDER BY {key}"
    )


def _pg_function(name, parts):
    body = _each_tier(lambda table, key: _upsert(table, key, _pg_statement_rows(key, parts)))
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {body} RETURN NULL; END $$"
    )


def _pg_ddl():
    ordered = ", ".join(("1", *(str(i) for i in range(2, 2 + len(KEY)))))
    moved = _each_tier(
        lambda table, key: _upsert(table, key, f"{_moved('postgresql', key)} ORDER BY {ordered}")
    )
    return [
        _pg_function("shipment_tally_inserted", [("new_rows", 1)]),
        _pg_function("shipment_tally_deleted", [("old_rows", -1)]),
        _pg_function("shipment_tally_updated", [("old_rows", -1), ("new_rows", 1)]),
        "CREATE OR REPLACE FUNCTION shipment_tally_moved() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {moved} RETURN NULL; END $$",
        "CREATE TRIGGER shipment_tally_insert AFTER INSERT ON shipment "
        "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION shipment_tally_inserted()",
        "CREATE TRIGGER shipment_tally_delete AFTER DELETE ON shipment "
        "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION shipment_tally_deleted()",
        # A trigger with transition tables cannot name the columns it watches: every UPDATE of
        # shipments runs it, and rows whose counted values did not change cancel out.
        "CREATE TRIGGER shipment_tally_update AFTER UPDATE ON shipment "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION shipment_tally_updated()",
        "CREATE TRIGGER shipment_tally_move AFTER UPDATE OF procedure_id ON dossier FOR EACH ROW "
        "WHEN (OLD.procedure_id IS DISTINCT FROM NEW.procedure_id) "
        "EXECUTE FUNCTION shipment_tally_moved()",
    ]


PG_FUNCTIONS = (
    "shipment_tally_inserted",
    "shipment_tally_deleted",
    "shipment_tally_updated",
    "shipment_tally_moved",
)


def trigger_ddl(dialect_name):
    """The statements creating the triggers (and PostgreSQL's functions) on this database."""
    return _pg_ddl() if dialect_name == "postgresql" else _sqlite_ddl()


def create_triggers(connection):
    for statement in trigger_ddl(connection.dialect.name):
        connection.exec_driver_sql(statement)


def drop_triggers(connection):
    """The migration's downgrade."""
    postgres = connection.dialect.name == "postgresql"
    for name in TRIGGERS:
        table = "dossier" if name == "shipment_tally_move" else "shipment"
        on = f" ON {table}" if postgres else ""
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}{on}")
    if postgres:
        for name in PG_FUNCTIONS:
            connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {name}()")


def _count_sql(dialect_name, where=""):
    """Count the shipments (``where``: some of them) into both tiers, set-wise."""
    return [
        _upsert(table, key, _grouped(dialect_name, key, "shipment", where)) for table, key in TIERS
    ]


def fill(connection):
    """Count the existing shipments into the (empty) tables: the migration's fill."""
    for statement in _count_sql(connection.dialect.name):
        connection.exec_driver_sql(statement)
