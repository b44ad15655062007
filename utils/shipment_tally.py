"""The shipments counted as they change: per date, unit, procedure, direction and status, with
fees.

``ShipmentDayTally`` and ``ShipmentMonthTally`` hold, per day (month) of the shipment date, per
unit of the shipment, procedure of its dossier, direction, and the three flags the list filters
on (cancelled, eligibility warning, check digit warning), how many shipments there are and the
sum of their fees. The shipment list's totals add up these rows (``totals``): whole months from
the month table, the other days from the day table; never the shipments. Their key is the date,
then the unit, then the rest: the province's totals read a range of dates for every unit at
once; one unit's read its own rows through the index by unit and date.

The counts are kept by database triggers, in the same transaction as the change, whatever writes
it (the forms, the manifest import's statements, a manual fix in the database):

- a shipment inserted or deleted counts in or out; one updated in its date, unit, dossier,
  direction, flags or fee takes its old row out and puts its new row in;
- a dossier moved to another procedure moves its shipments' counts with it (a dossier with
  shipments cannot be deleted: their foreign key refuses it).

On SQLite the triggers run for each row. On PostgreSQL the shipments' triggers run once per
statement over its transition tables (the rows it inserted, deleted or changed), counted with
one ``INSERT … SELECT … GROUP BY`` in key order (the lock order of concurrent writers); the
dossier's runs for each row whose procedure changed.

A manifest import of many shipments on SQLite counts its new rows with one statement instead
(``inserting_many``), as the dossier import does for what is left to reconcile
(``utils.reconcile.inserting_many``). ``differences()`` compares the tables with a count over
the shipments (``flask tally check``); ``rebuild()`` recounts them.
"""

from datetime import timedelta

from sqlalchemy import case, func, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import Select

from extensions import db
from models import Dossier, Shipment, ShipmentDayTally, ShipmentMonthTally
from utils import triggers
from utils.dates import month_end

KEY = (
    "unit_id",
    "procedure_id",
    "direction",
    "cancelled",
    "eligibility_warning",
    "check_digit_warning",
)
COUNTS = ("shipments", "fees")
TIERS = ((ShipmentDayTally, "day"), (ShipmentMonthTally, "month"))
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
INSERT_TRIGGER = "shipment_tally_insert"


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
    return " ".join(f"{statement(model.__tablename__, key)};" for model, key in TIERS)


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
        _upsert(model.__tablename__, key, _grouped(dialect_name, key, "shipment", where))
        for model, key in TIERS
    ]


def fill(connection):
    """Count the existing shipments into the (empty) tables: the migration's fill."""
    for statement in _count_sql(connection.dialect.name):
        connection.exec_driver_sql(statement)


def inserting_many(connection):
    """Wrap an insert of many shipments in the caller's transaction: on SQLite the shipments'
    insert trigger is set aside and the new shipments (those above the highest id before) are
    counted with one ``INSERT … SELECT … GROUP BY`` per tier
    (``utils.triggers.set_aside_on_sqlite``). On PostgreSQL nothing changes: its trigger
    counts a statement's rows at once."""
    last_id = None
    if connection.dialect.name == "sqlite":
        last_id = connection.exec_driver_sql("SELECT coalesce(max(id), 0) FROM shipment").scalar()

    def count():
        for statement in _count_sql("sqlite", "WHERE s.id > ?"):
            connection.exec_driver_sql(statement, (last_id,))

    return triggers.set_aside_on_sqlite(connection, INSERT_TRIGGER, count)


# --- Reading: the shipment list's totals ------------------------------------------------------


def totals_columns(c, n, fee):
    """The shipment list's totals over rows with the shipments' columns ``c`` (the shipments
    themselves, ``n`` 1; or their kept counts, ``n`` the number of shipments of the row),
    ``fee`` the row's fees: ``total``, ``active``, ``cancelled``, ``received`` and ``returned``
    (active, per direction), ``eligibility_warnings``, ``check_digit_warnings`` (active) and
    ``fees`` (active, đồng)."""
    active = c.cancelled.is_(False)

    def counted(condition):
        return func.coalesce(func.sum(case((condition, n), else_=0)), 0)

    return (
        func.coalesce(func.sum(n), 0).label("total"),
        counted(active).label("active"),
        counted(c.cancelled.is_(True)).label("cancelled"),
        counted(active & (c.direction == "tiep_nhan")).label("received"),
        counted(active & (c.direction == "tra_ket_qua")).label("returned"),
        counted(active & c.eligibility_warning.is_(True)).label("eligibility_warnings"),
        counted(active & c.check_digit_warning.is_(True)).label("check_digit_warnings"),
        func.coalesce(func.sum(case((active, fee), else_=0)), 0).label("fees"),
    )


def months_and_days(period):
    """``period`` as ``(months, days)``: the first days of its first and last whole calendar
    month (or ``None``), and the ``(first, last)`` ranges of its other days."""
    from utils.figures.counting import spans

    months, tendays, days = spans(period)
    ranges = list(days)
    for first, last in tendays:  # first days of whole ten-day parts: to the end of the last
        end = month_end(last.year, last.month) if last.day == 21 else last + timedelta(days=9)
        ranges.append((first, end))
    return months, sorted(ranges)


def tier_rows(period=None, unit_id=None):
    """The kept rows that add up to ``period`` (every shipment when ``None``): the month
    table's rows of its whole months and the day table's rows of its other days, as one
    subquery of the ``KEY`` and ``COUNTS`` columns; the unit ``unit_id``'s rows only when given
    (every unit's otherwise)."""

    def part(model):
        columns = (getattr(model, c) for c in (*KEY, *COUNTS))
        if unit_id is None:
            return select(*columns)
        return _UnitRows(*columns).where(model.unit_id == unit_id)

    if period is None:
        return part(ShipmentMonthTally).subquery("kept")
    months, days = months_and_days(period)
    month = ShipmentMonthTally.month
    parts = (
        [part(ShipmentMonthTally).where(month >= months[0], month <= months[1])] if months else []
    )
    parts += [
        part(ShipmentDayTally).where(ShipmentDayTally.day >= first, ShipmentDayTally.day <= last)
        for first, last in days
    ]
    return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("kept")


class _UnitRows(Select):
    """One unit's rows of a tally, read through its index by unit and date: on SQLite
    ``INDEXED BY`` it. With sampled statistics (``PRAGMA analysis_limit``) SQLite's planner
    chose a skip-scan of the primary key instead (every date, then the unit): 23 ms against
    0,4 ms for a unit's 200 shipments among a province's 30.000."""

    inherit_cache = True


@compiles(_UnitRows, "sqlite")
def _unit_rows(stmt, compiler, **kw):
    name = stmt.get_final_froms()[0].name
    return compiler.visit_select(stmt, **kw).replace(
        f"FROM {name}", f"FROM {name} INDEXED BY ix_{name}_unit", 1
    )


def totals(period=None, conditions=(), join=None, unit_id=None):
    """The shipment list's totals (``totals_columns``) of the shipments dated in ``period``
    (any date when ``None``) of the unit ``unit_id`` (every unit's when ``None``), from the kept
    counts.

    :param conditions: a function of the kept rows' columns giving the other filters'
        conditions on them (and on ``join``'s tables).
    :param join: a function adding joins to the statement (the procedure's, for its
        department, field or flags), or ``None``.
    """
    rows = tier_rows(period, unit_id)
    stmt = select(*totals_columns(rows.c, rows.c.shipments, rows.c.fees)).select_from(rows)
    if join is not None:
        stmt = join(stmt, rows.c)
    row = db.session.execute(stmt.where(*conditions(rows.c))).one()
    return {key: int(getattr(row, key)) for key in row._fields}


# --- Counting from the shipments: the oracle, check and rebuild --------------------------------


def _tier_date(date_key):
    if date_key == "day":
        return Shipment.date
    from utils.tally import month_of

    return month_of(Shipment.date)


def counted():
    """``{(table, date, *KEY): (shipments, fees)}`` counted over the shipments."""
    out = {}
    for model, key in TIERS:
        when = _tier_date(key)
        key = (
            Shipment.unit_id,
            Dossier.procedure_id,
            *(getattr(Shipment, c) for c in SHIPMENT_KEY),
        )
        stmt = (
            select(
                when,
                *key,
                func.count(),
                func.coalesce(func.sum(func.coalesce(Shipment.fee, 0)), 0),
            )
            .join(Dossier, Dossier.id == Shipment.dossier_id)
            .group_by(when, *key)
        )
        for when_, *rest in db.session.execute(stmt):
            *keys, n, fees = rest
            out[(model.__tablename__, _as_date(when_), *keys)] = (int(n), int(fees))
    return out


def kept():
    """The same, as the tables hold them (rows at zero left out)."""
    out = {}
    for model, key in TIERS:
        columns = (getattr(model, c) for c in (key, *KEY, *COUNTS))
        for when, *rest in db.session.execute(select(*columns)):
            *keys, n, fees = rest
            if n or fees:
                out[(model.__tablename__, _as_date(when), *keys)] = (int(n), int(fees))
    return out


def _as_date(value):
    from datetime import date

    return date.fromisoformat(value) if isinstance(value, str) else value


def differences(limit=20):
    """``[(table, date, key, kept, counted)]`` where the tables and a count over the shipments
    differ (at most ``limit``)."""
    have, want = kept(), counted()
    out = []
    for key in sorted(set(have) | set(want), key=repr):
        if have.get(key, (0, 0)) != want.get(key, (0, 0)):
            out.append((key[0], key[1], key[2:], have.get(key, (0, 0)), want.get(key, (0, 0))))
            if len(out) >= limit:
                break
    return out


def rebuild():
    """Recount the tables from the shipments (in the caller's transaction); their sizes."""
    connection = db.session.connection()
    for model, _key in TIERS:
        db.session.execute(model.__table__.delete())
    fill(connection)
    return {
        model.__tablename__: db.session.execute(
            select(func.count()).select_from(model)
        ).scalar_one()
        for model, _key in TIERS
    }
