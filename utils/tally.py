"""The dossier tallies: counts of dossiers per procedure and per day (``DossierDayTally``), ten-day
part of a month (``DossierTenDayTally``: 1–10, 11–20, 21–end), month (``DossierMonthTally``) or
calendar quarter (``DossierQuarterTally``), which the figures read instead of the dossiers
themselves.

A dossier counts on the row of its receive date (``received``; ``received_postal`` when its
effective receive channel is ``bcci``; ``received_returned_postal`` when its effective return
channel is ``bcci``) and on the row of its return date (``returned``; ``returned_postal`` when by
post). The tables change in the same transaction as the dossiers they count:

- ``session.execute(insert(Dossier), rows)`` and ORM flushes of ``Dossier`` objects are tallied
  by the session listeners ``install()`` sets up;
- an insert that bypasses the session (the import's driver-level statements) calls
  ``apply(plus=rows)`` with the new dossiers' ``KEYS`` tuples;
- an UPDATE or DELETE of dossiers runs inside ``with changing(ids):``, which takes the rows'
  counts out before and puts them back after (elsewhere the listener refuses it); an UPDATE …
  RETURNING the key columns spares reading them back (``Change.returned``).

Each tally is kept twice: per unit (``(date, unit_id, procedure_id)``: one unit's figures and
the roll-up read it) and for the province (``Province*Tally``, ``(date, procedure_id)``: the same
rows summed over the units, which the province's figures read), in the same writes, the
province's after the units' (``PROVINCE``).

``differences()`` compares the tables with a count over the dossiers (``flask tally check``);
``rebuild()`` recounts them (``flask tally rebuild``).
"""

from collections import Counter
from contextlib import contextmanager
from datetime import date
from functools import lru_cache
from itertools import compress, repeat
from operator import add, eq

from sqlalchemy import (
    bindparam,
    case,
    column as sql_column,
    event,
    func,
    inspect,
    literal,
    select,
    table as sql_table,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session

from extensions import db
from models import (
    FIRST_UNIT_ID,
    Dossier,
    DossierDayTally,
    DossierMonthTally,
    DossierQuarterTally,
    DossierTenDayTally,
    ProvinceDayTally,
    ProvinceMonthTally,
    ProvinceQuarterTally,
    ProvinceTenDayTally,
)
from utils import bulk

KEYS = (
    "procedure_id",
    "receive_date",
    "receive_channel",
    "return_date",
    "return_channel",
    "unit_id",
)
COUNTS = ("received", "received_postal", "received_returned_postal", "returned", "returned_postal")
CHUNK = 10_000
COPY_ABOVE = 1000  # on PostgreSQL, more tally rows than this go in through COPY


def _key_values(row):
    """The ``KEYS`` tuple of a dict of column values (absent columns are NULL, an absent unit
    the dossiers' default, the first unit)."""
    return tuple(row.get(k, FIRST_UNIT_ID if k == "unit_id" else None) for k in KEYS)


# --- Counting rows in Python ------------------------------------------------------------------


def tenday_start(day):
    """The first day of ``day``'s ten-day part of its month: the 1st, the 11th or the 21st."""
    return day.replace(day=1 if day.day <= 10 else 11 if day.day <= 20 else 21)


def quarter_start(day):
    """The first day of ``day``'s calendar quarter: 1 January, April, July or October."""
    return day.replace(month=day.month - (day.month - 1) % 3, day=1)


def _counted(rows, first_day):
    """The five counts of ``rows`` (``KEYS`` tuples), each a ``Counter`` keyed by
    ``(first_day[date], unit_id, procedure_id)``, counted in C: the keys are zipped from the
    rows' columns, and the postal ones picked by ``compress`` (``first_day`` maps ``None`` to
    ``None``: the keys of rows without that date are dropped at the end)."""
    if not rows:
        return tuple(Counter() for _ in COUNTS)
    procedures, received, receive_channels, returned, return_channels, units = zip(*rows)
    receipts = list(zip(map(first_day.__getitem__, received), units, procedures))
    returns = list(zip(map(first_day.__getitem__, returned), units, procedures))
    # operator.eq, not "bcci".__eq__: that gives NotImplemented (true) for None.
    result_by_post = list(map(eq, return_channels, repeat("bcci")))
    counts = (
        Counter(receipts),
        Counter(compress(receipts, map(eq, receive_channels, repeat("bcci")))),
        Counter(compress(receipts, result_by_post)),
        Counter(returns),
        Counter(compress(returns, result_by_post)),
    )
    for unit_id, procedure_id in set(zip(units, procedures)):
        for count in counts:
            count.pop((None, unit_id, procedure_id), None)
    return counts


def _deltas(plus=(), minus=()):
    """``{model: {(date, unit_id, procedure_id): (5 counts)}}`` for the dossiers ``plus`` (counted in)
    and ``minus`` (counted out), each an iterable of ``KEYS`` tuples, and the province's tallies'
    ``{(date, procedure_id): (5 counts)}`` (the same summed over the units); keys whose counts
    cancel out are left out.
    """
    plus, minus = list(plus), list(minus)
    days = {
        day
        for rows in (plus, minus)
        for _, rd, _, td, _, _ in rows
        for day in (rd, td)
        if day is not None
    }
    out = {}
    for model, start_of in (
        (DossierDayTally, None),
        (DossierTenDayTally, tenday_start),
        (DossierMonthTally, lambda day: day.replace(day=1)),
        (DossierQuarterTally, quarter_start),
    ):
        first_day = {day: start_of(day) if start_of else day for day in days}
        first_day[None] = None
        counts = _counted(plus, first_day)
        if minus:
            for total, less in zip(counts, _counted(minus, first_day)):
                total.subtract(less)
        keys = list(set().union(*counts))
        rows = dict(zip(keys, zip(*(map(count.get, keys, repeat(0)) for count in counts))))
        out[model] = {k: v for k, v in rows.items() if any(v)} if minus else rows
    # The province's tallies after the units' (every writer locks rows in this order).
    for model in list(out):
        out[PROVINCE[model]] = _province_rows(out[model])
    return out


def _province_rows(rows):
    """The per-unit ``rows`` (``{(date, unit_id, procedure_id): counts}``) summed over the
    units: ``{(date, procedure_id): counts}``, keys whose counts cancel out left out."""
    out = {}
    for (day, _, procedure_id), counts in rows.items():
        key = (day, procedure_id)
        have = out.get(key)
        out[key] = counts if have is None else tuple(map(add, have, counts))
    return {k: v for k, v in out.items() if any(v)}


DATE_KEYS = {
    DossierDayTally: "day",
    DossierTenDayTally: "tenday",
    DossierMonthTally: "month",
    DossierQuarterTally: "quarter",
    ProvinceDayTally: "day",
    ProvinceTenDayTally: "tenday",
    ProvinceMonthTally: "month",
    ProvinceQuarterTally: "quarter",
}
# Each per-unit tally's sum over the units, kept beside it (the province's figures read it).
PROVINCE = {
    DossierDayTally: ProvinceDayTally,
    DossierTenDayTally: ProvinceTenDayTally,
    DossierMonthTally: ProvinceMonthTally,
    DossierQuarterTally: ProvinceQuarterTally,
}


def key_names(model):
    """The names of ``model``'s key columns: its date, the unit (a per-unit tally's), the
    procedure."""
    if model in PROVINCE:
        return (DATE_KEYS[model], "unit_id", "procedure_id")
    return (DATE_KEYS[model], "procedure_id")


def _upsert(connection, model, date_key, deltas, may_lower=True):
    """Add ``deltas`` to ``model``'s rows (creating missing ones), in key order (so concurrent
    transactions on PostgreSQL lock rows in the same order), then delete rows left at zero
    (unless ``may_lower`` is false: no count went down)."""
    if not deltas:
        return
    # Plain driver SQL, the same on SQLite and PostgreSQL: a Core statement would run each of an
    # import's hundred thousand parameter sets through SQLAlchemy's per-parameter processing,
    # which costs several times the database's own work.
    keys = key_names(model)
    insert = _insert_sql(connection.dialect, model.__table__, keys)
    if connection.dialect.name == "postgresql" and len(deltas) > COPY_ABOVE:
        _add_copied(connection, insert, keys, deltas)
    else:
        _add_rows(connection, insert, model.__table__.c[date_key], deltas)
    if may_lower:
        _delete_zeros(connection, model.__table__, keys, deltas)


def _insert_sql(dialect, table, keys):
    """``(INSERT INTO table (columns), ON CONFLICT … DO UPDATE: add the counts)`` for ``table``
    (its key columns ``keys``)."""
    quote = dialect.identifier_preparer.quote
    name = dialect.identifier_preparer.format_table(table)
    columns = (*keys, *COUNTS)
    conflict = f"ON CONFLICT ({', '.join(map(quote, keys))}) DO UPDATE SET " + ", ".join(
        f"{quote(c)} = {name}.{quote(c)} + excluded.{quote(c)}" for c in COUNTS
    )
    return f"INSERT INTO {name} ({', '.join(map(quote, columns))})", conflict


def _add_copied(connection, insert, keys, deltas):
    """Thousands of rows on PostgreSQL: one COPY into a scratch table and one INSERT … SELECT,
    in key order, instead of a statement per row (each costing the client more than the server).
    """
    head, conflict = insert
    scratch = "tally_delta" if "unit_id" in keys else "province_tally_delta"
    unit = "unit_id integer, " if "unit_id" in keys else ""
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {scratch} (day date, {unit}procedure_id integer, "
        + ", ".join(f"{c} integer" for c in COUNTS)
        + ") ON COMMIT DELETE ROWS"
    )
    connection.exec_driver_sql(f"TRUNCATE {scratch}")
    bulk.copy_rows(
        connection,
        scratch,
        [(*key, *counts) for key, counts in deltas.items()],
    )
    order = "day, unit_id, procedure_id" if unit else "day, procedure_id"
    connection.exec_driver_sql(f"{head} SELECT * FROM {scratch} ORDER BY {order} {conflict}")


def _add_rows(connection, insert, date_column, deltas):
    """One INSERT run over the rows. Each distinct date goes through the column type's bind
    processor once, so the stored values are those Core would store."""
    head, conflict = insert
    dialect = connection.dialect
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    process = date_column.type.dialect_impl(dialect).bind_processor(dialect)
    bound = {day: process(day) if process else day for day in {key[0] for key in deltas}}
    items = deltas.items()
    if dialect.name != "sqlite":  # SQLite has one writer at a time: no lock order to keep
        items = sorted(items)
    keys, counts = zip(*items)
    days, *rest = zip(*keys)
    connection.exec_driver_sql(
        f"{head} VALUES ({', '.join([mark] * (1 + len(rest) + len(COUNTS)))}) {conflict}",
        list(zip(map(bound.__getitem__, days), *rest, *zip(*counts))),
    )


def _delete_zeros(connection, table, keys, deltas):
    """Delete the rows a lowered count may have left at zero."""
    lowered = [key for key, counts in deltas.items() if min(counts) < 0]
    for start in range(0, len(lowered), CHUNK):
        connection.execute(
            table.delete().where(
                tuple_(*(table.c[k] for k in keys)).in_(lowered[start : start + CHUNK]),
                *(table.c[c] == 0 for c in COUNTS),
            )
        )


ONE_TRIP_AT_MOST = 80  # tally rows (of the eight tallies) written in one round trip on PostgreSQL


def _literal(value):
    """An integer or a date as SQL text (``_one_trip``), or None for any other value."""
    if type(value) is int:
        return str(value)
    if type(value) is date:
        return f"DATE '{value.isoformat()}'"
    return None


def _one_trip(connection, all_deltas, may_lower):
    """The tallies' upserts of a few rows (a form's save) as one round trip on PostgreSQL:
    one text of ``INSERT … ON CONFLICT`` statements run one after the other by the server in
    ``_upsert``'s order (tier by tier, each in key order: the same lock order), then the
    ``DELETE`` of rows a lowered count may have left at zero; sent without parameters (the simple
    query protocol takes several statements), its values integers and dates written as SQL
    literals. :return: False, having sent nothing, where a value is of another type."""
    quote = connection.dialect.identifier_preparer.quote
    statements = []
    for model, deltas in all_deltas.items():
        if not deltas:
            continue
        table = model.__table__
        key_count = len(key_names(model))
        items = sorted(deltas.items())
        rows = [[_literal(v) for v in (*key, *counts)] for key, counts in items]
        if any(None in row for row in rows):
            return False
        head, conflict = _insert_sql(connection.dialect, table, key_names(model))
        values = ", ".join("(" + ", ".join(row) + ")" for row in rows)
        statements.append(f"{head} VALUES {values} {conflict}")
        lowered = [row[:key_count] for row, (_, counts) in zip(rows, items) if min(counts) < 0]
        if may_lower and lowered:
            name = connection.dialect.identifier_preparer.format_table(table)
            keys = ", ".join(f"({', '.join(key)})" for key in lowered)
            key_columns = ", ".join(map(quote, key_names(model)))
            statements.append(
                f"DELETE FROM {name} WHERE ({key_columns}) IN ({keys}) AND "
                + " AND ".join(f"{quote(c)} = 0" for c in COUNTS)
            )
    if statements:
        connection.exec_driver_sql("; ".join(statements), execution_options={"no_parameters": True})
    return True


def apply(plus=(), minus=(), connection=None):
    """Count the dossiers ``plus`` in and ``minus`` out of the tallies (``KEYS`` tuples)."""
    connection = connection or db.session.connection()
    minus = list(minus)
    all_deltas = _deltas(plus, minus)
    if (
        connection.dialect.name == "postgresql"
        and sum(map(len, all_deltas.values())) <= ONE_TRIP_AT_MOST
        and _one_trip(connection, all_deltas, may_lower=bool(minus))
    ):
        return
    for model, deltas in all_deltas.items():
        _upsert(connection, model, DATE_KEYS[model], deltas, may_lower=bool(minus))


def _stored(ids, connection=None):
    """The ``KEYS`` tuples of the dossiers ``ids`` as the database holds them now."""
    run = connection.execute if connection is not None else db.session.execute
    stmt = _stored_statement()
    out = []
    for start in range(0, len(ids), CHUNK):
        out.extend(tuple(r) for r in run(stmt, {"ids": ids[start : start + CHUNK]}))
    return out


@lru_cache(maxsize=1)
def _stored_statement():
    """``_stored``'s statement, built once per process (building it costs more than running it
    for the counter's one dossier)."""
    return select(*(getattr(Dossier, k) for k in KEYS)).where(
        Dossier.id.in_(bindparam("ids", expanding=True))
    )


def key_columns():
    """The dossier columns of ``KEYS``, in order: what an UPDATE of dossiers returns
    (``RETURNING``) for ``changing``'s ``returned``."""
    return [getattr(Dossier, k) for k in KEYS]


def keys_of(dossier):
    """The ``KEYS`` tuple of a loaded ``Dossier``."""
    return tuple(getattr(dossier, k) for k in KEYS)


class Change:
    """What ``changing`` learns from the update it wraps: ``returned(rows)`` gives it the
    changed dossiers' ``KEYS`` rows (an UPDATE … RETURNING ``key_columns()``), so they need not
    be read again. Either every updated row is given this way or none."""

    def __init__(self):
        self.after = None

    def returned(self, rows):
        if self.after is None:
            self.after = []
        self.after.extend(tuple(r) for r in rows)


@contextmanager
def changing(ids, connection=None, before=None):
    """Wrap a Core update of the dossiers ``ids``: their counts before it are taken out of the
    tallies and their counts after it put in (unchanged dossiers cancel out). ``connection``:
    read and write on it (the session's, for a caller running Core statements on it).

    :param before: the ``KEYS`` tuples of every dossier of ``ids`` as the database holds them in
        this transaction, when the caller has them (read under the write lock, or locked for
        update): they are not read again.
    Yields a ``Change``: when the update gives it its ``RETURNING`` rows, the rows after the
    change are not read again either."""
    ids = sorted({int(i) for i in ids if i is not None})
    if before is None:
        before = _stored(ids, connection) if ids else []
    change = Change()
    info = db.session.info
    info["tally_changing"] = info.get("tally_changing", 0) + 1
    try:
        yield change
    finally:
        info["tally_changing"] -= 1
    if ids:
        after = change.after if change.after is not None else _stored(ids, connection)
        apply(plus=after, minus=before, connection=connection)


# --- The ORM: dossiers added, changed or deleted as objects ------------------------------------


def _key_changed(obj):
    state = inspect(obj)
    return any(state.attrs[k].history.has_changes() for k in KEYS + ("procedure",))


def _before_flush(session, flush_context, instances):
    # What an earlier flush that failed (and was rolled back) left behind is not this flush's.
    session.info.pop("tally_minus", None)
    session.info.pop("tally_changed", None)
    changed = [
        obj.id
        for obj in list(session.dirty) + list(session.deleted)
        if isinstance(obj, Dossier)
        and obj.id is not None
        and (obj in session.deleted or _key_changed(obj))
    ]
    if not changed and not any(isinstance(obj, Dossier) for obj in session.new):
        return
    with session.no_autoflush:
        session.info["tally_minus"] = _stored(sorted(changed), session.connection())
    session.info["tally_changed"] = set(changed)


def _after_flush(session, flush_context):
    minus = session.info.pop("tally_minus", None)
    changed = session.info.pop("tally_changed", set())
    if minus is None:
        return
    plus = [tuple(getattr(obj, k) for k in KEYS) for obj in session.new if isinstance(obj, Dossier)]
    plus += [
        tuple(getattr(obj, k) for k in KEYS)
        for obj in session.dirty
        if isinstance(obj, Dossier) and obj.id in changed and obj not in session.deleted
    ]
    apply(plus=plus, minus=minus, connection=session.connection())


def _on_dossier_statement(state):
    """Dossier rows inserted by ``session.execute(insert(Dossier), rows)`` are tallied; an
    UPDATE or DELETE of dossiers outside ``changing()`` is refused, as it would leave the
    tallies wrong."""
    table = getattr(state.statement, "table", None)
    if state.is_select or getattr(table, "name", None) != Dossier.__tablename__:
        return None
    if state.is_insert:
        if state.session.info.get("tally_changing"):
            return None
        rows = state.parameters
        if not isinstance(rows, list) or not rows:
            raise RuntimeError(
                "Insert dossiers as a list of rows, so that utils.tally counts them."
            )
        result = state.invoke_statement()
        apply(plus=map(_key_values, rows), connection=state.session.connection())
        return result
    if not state.session.info.get("tally_changing"):
        raise RuntimeError(
            "Change dossiers inside utils.tally.changing(ids), so that the tallies follow."
        )
    return None


def install():
    """Tally ORM flushes of ``Dossier`` objects and ``insert(Dossier)`` statements run by a
    session, and refuse other bulk changes of dossiers made outside ``changing()`` (once per
    process)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _on_dossier_statement)


# --- Counting from the dossiers: check and rebuild ---------------------------------------------


def _pg_day_of_month(column):
    return func.cast(func.date_part("day", column), db.Integer)


def month_of(column):
    """The first day of ``column``'s month, as SQL on either database, in date arithmetic: on
    PostgreSQL the date less its day of the month (``date_trunc`` goes through a timestamp with
    time zone, twice the cost over an import's rows); on SQLite, where a date is its ISO text,
    cut from the text (``date(…, 'start of month')`` costs several times more)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column - (_pg_day_of_month(column) - 1)
    return func.substr(column, 1, 8).op("||")(literal("01"))


def quarter_of(column):
    """``quarter_start`` as SQL on either database: on PostgreSQL ``date_trunc`` (run over the
    few rows of an import's ten-day counts and the recount, not over every new dossier); on
    SQLite the ISO text's year and the quarter's first month."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.cast(func.date_trunc("quarter", column), db.Date)
    month = func.substr(column, 6, 2)
    first = case((month <= "03", "01"), (month <= "06", "04"), (month <= "09", "07"), else_="10")
    return func.substr(column, 1, 5).op("||")(first).op("||")(literal("-01"))


def tenday_of(column):
    """``tenday_start`` as SQL on either database."""
    if db.session.get_bind().dialect.name == "postgresql":
        day_of_month = _pg_day_of_month(column)
        first = case((day_of_month <= 10, 1), (day_of_month <= 20, 11), else_=21)
        return column - (day_of_month - first)
    day_of_month = func.substr(column, 9, 2)
    first = case((day_of_month <= "10", "01"), (day_of_month <= "20", "11"), else_="21")
    return func.substr(column, 1, 8).op("||")(first)


def _one(condition):
    return case((condition, 1), else_=0)


def _counted_parts(source=None):
    """Each dossier of ``source`` (default: every dossier) as a row counting it on its receive
    day and one counting it on its return day: (day, unit_id, procedure_id, and the five
    ``COUNTS``, each 0 or 1). A source without a unit column (an import's scratch rows that
    leave the unit to the dossiers' default) counts its rows in the first unit."""
    c = source.c if source is not None else Dossier.__table__.c
    unit = c.unit_id if "unit_id" in c else literal(FIRST_UNIT_ID).label("unit_id")
    by_post = c.return_channel == "bcci"
    received, received_postal, received_returned_postal, returned, returned_postal = COUNTS
    return union_all(
        select(
            c.receive_date.label("day"),
            unit,
            c.procedure_id,
            literal(1).label(received),
            _one(c.receive_channel == "bcci").label(received_postal),
            _one(by_post).label(received_returned_postal),
            literal(0).label(returned),
            literal(0).label(returned_postal),
        ).where(c.receive_date.is_not(None)),
        select(
            c.return_date,
            unit,
            c.procedure_id,
            literal(0),
            literal(0),
            literal(0),
            literal(1),
            _one(by_post),
        ).where(c.return_date.is_not(None)),
    ).subquery()


_DATE_KEY_OF = {
    DossierDayTally: lambda c: c,
    DossierTenDayTally: tenday_of,
    DossierMonthTally: month_of,
    DossierQuarterTally: quarter_of,
    ProvinceDayTally: lambda c: c,
    ProvinceTenDayTally: tenday_of,
    ProvinceMonthTally: month_of,
    ProvinceQuarterTally: quarter_of,
}


def recount(model, source=None):
    """A SELECT of ``model``'s rows counted from the dossiers: (date, unit_id, procedure_id,
    counts…), or (date, procedure_id, counts…) for a province tally.

    :param source: a selectable with the columns of ``KEYS`` to count instead of every dossier
        (an import's new rows).
    """
    parts = _counted_parts(source)
    key = _DATE_KEY_OF[model](parts.c.day)
    group = [key, parts.c.unit_id, parts.c.procedure_id]
    if model not in PROVINCE:
        del group[1]
    return select(
        key.label("key"),
        *group[1:],
        *(func.sum(parts.c[c]).label(c) for c in COUNTS),
    ).group_by(*group)


# --- Counting an import's new dossiers in ------------------------------------------------------


def _dialect_insert(connection):
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _scratch(connection, name):
    """An empty scratch table ``name`` for ``count_in`` (first_day, unit_id, procedure_id, the
    five ``COUNTS``): this connection's own temporary table, created on first use; on PostgreSQL
    emptied again at commit, on SQLite keyed by day, unit and procedure (see ``_sum_into``)."""
    quote = connection.dialect.identifier_preparer.quote
    columns = ", ".join(f"{quote(c)} integer NOT NULL" for c in COUNTS)
    tail = (
        ") ON COMMIT DELETE ROWS"
        if connection.dialect.name == "postgresql"
        else ", PRIMARY KEY (first_day, unit_id, procedure_id)) WITHOUT ROWID"
    )
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} "
        f"(first_day date NOT NULL, unit_id integer NOT NULL, procedure_id integer NOT NULL, "
        f"{columns}{tail}"
    )
    connection.exec_driver_sql(f"DELETE FROM {name}")
    return sql_table(
        name,
        sql_column("first_day", db.Date),
        sql_column("unit_id"),
        sql_column("procedure_id"),
        *map(sql_column, COUNTS),
    )


def _sum_into(connection, scratch, rows, key):
    """Add the counts of ``rows`` (a selectable with unit_id, procedure_id and the five
    ``COUNTS``) into the empty ``scratch`` table, summed by ``key`` (SQL over ``rows``), unit and
    procedure.

    PostgreSQL groups the rows (a hash aggregate). SQLite sorts to group, which costs twice what
    adding each row into the scratch table, keyed by day, unit and procedure, costs (``ON CONFLICT DO
    UPDATE``); that table then also gives its rows in key order."""
    counts = [rows.c[c] for c in COUNTS]
    columns = ["first_day", "unit_id", "procedure_id", *COUNTS]
    if connection.dialect.name == "postgresql":
        summed = select(key, rows.c.unit_id, rows.c.procedure_id, *map(func.sum, counts))
        summed = summed.group_by(key, rows.c.unit_id, rows.c.procedure_id)
        connection.execute(scratch.insert().from_select(columns, summed))
        return
    stmt = _dialect_insert(connection)(scratch).from_select(
        columns, select(key, rows.c.unit_id, rows.c.procedure_id, *counts).where(true())
    )
    connection.execute(
        stmt.on_conflict_do_update(
            index_elements=["first_day", "unit_id", "procedure_id"],
            set_={c: scratch.c[c] + stmt.excluded[c] for c in COUNTS},
        )
    )


def _summed(scratch, key=None, province=False, one_unit=False):
    """(key, unit_id, procedure_id, counts…) of ``scratch`` in key order: its rows as they
    are, or summed by ``key`` (SQL over its first_day); ``province``: (key, procedure_id,
    counts…), summed over the units. ``one_unit``: every row of ``scratch`` is one unit's, so
    its rows are already the province's (nothing to sum), in the same order."""
    counts = [scratch.c[c] for c in COUNTS]
    unit = [] if province else [scratch.c.unit_id]
    group = (key if key is not None else scratch.c.first_day).label("key")
    if key is None and (one_unit or not province):
        # In the scratch table's key order (SQLite reads it in that order without sorting);
        # with one unit that is also the province's key order.
        return select(group, *unit, scratch.c.procedure_id, *counts).order_by(
            group, scratch.c.unit_id, scratch.c.procedure_id
        )
    return (
        select(group, *unit, scratch.c.procedure_id, *(func.sum(c).label(c.name) for c in counts))
        .group_by(group, *unit, scratch.c.procedure_id)
        .order_by(group, *unit, scratch.c.procedure_id)
    )


def count_in(source, one_unit=False):
    """Count the dossiers of ``source`` (a selectable with the columns of ``KEYS``: an import's
    new rows) into every tally, the counting done by the database: the rows are counted per day
    and procedure once, those counts per ten-day part, those per month (a month is its three
    ten-day parts), each into a scratch table of a few statements, and the months per quarter;
    each tally then gets its counts with one ``INSERT … SELECT … ON CONFLICT DO UPDATE``, in
    key order (the lock order of ``_upsert``), the province's tallies after the units' (the same
    scratch rows summed over the units). Counting every level from the one below reads far fewer
    rows than counting each from the dossiers.

    :param one_unit: every row of ``source`` is in one unit (an import of one unit's file): the
        province's day, ten-day and month rows are then the scratch rows as they are, not
        summed again (grouping the 160.000 day rows of a 100.000-row file again cost about a
        sixth of the counting)."""
    connection = db.session.connection()
    days = _scratch(connection, "tally_new_days")
    parts = _counted_parts(source)
    _sum_into(connection, days, parts, parts.c.day)
    tendays = _scratch(connection, "tally_new_tendays")
    _sum_into(connection, tendays, days, tenday_of(days.c.first_day))
    months = _scratch(connection, "tally_new_months")
    _sum_into(connection, months, tendays, month_of(tendays.c.first_day))
    quarter = quarter_of(months.c.first_day)
    for model, counted in (
        (DossierDayTally, _summed(days)),
        (DossierTenDayTally, _summed(tendays)),
        (DossierMonthTally, _summed(months)),
        (DossierQuarterTally, _summed(months, quarter)),
        (ProvinceDayTally, _summed(days, province=True, one_unit=one_unit)),
        (ProvinceTenDayTally, _summed(tendays, province=True, one_unit=one_unit)),
        (ProvinceMonthTally, _summed(months, province=True, one_unit=one_unit)),
        (ProvinceQuarterTally, _summed(months, quarter, province=True)),
    ):
        table = model.__table__
        keys = key_names(model)
        stmt = _dialect_insert(connection)(table).from_select([*keys, *COUNTS], counted)
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c[k] for k in keys],
            set_={c: table.c[c] + stmt.excluded[c] for c in COUNTS},
        )
        connection.execute(stmt)
    if connection.dialect.name != "postgresql":  # SQLite keeps no scratch rows
        for scratch in ("tally_new_days", "tally_new_tendays", "tally_new_months"):
            connection.exec_driver_sql(f"DELETE FROM {scratch}")


def differences(limit=20):
    """Rows where a tally and the dossiers disagree: ``[(table, date, unit_id, procedure_id,
    stored, counted)]`` (a province tally's ``unit_id`` is ``None``), at most ``limit`` per
    table; empty when the tallies are right."""
    out = []
    for model in DATE_KEYS:
        table = model.__table__
        names = key_names(model)
        width = len(names)
        stored = {
            _full_key(r[:width]): tuple(r[width:])
            for r in db.session.execute(
                select(*(table.c[k] for k in names), *(table.c[c] for c in COUNTS))
            )
        }
        counted = {}
        for r in db.session.execute(recount(model)):
            key = r.key if not isinstance(r.key, str) else _as_date(r.key)
            counted[_full_key((key, *r[1:width]))] = tuple(int(v) for v in r[width:])
        found = 0
        for key in sorted(set(stored) | set(counted)):
            have, want = stored.get(key, (0,) * 5), counted.get(key, (0,) * 5)
            if have != want:
                out.append((table.name, *key, have, want))
                found += 1
                if found >= limit:
                    break
    return out


def _full_key(key):
    """A tally row's key as (date, unit_id, procedure_id): a province tally's unit is None."""
    return key if len(key) == 3 else (key[0], None, key[1])


def _as_date(text):
    from datetime import date

    return date.fromisoformat(text)


def rebuild():
    """Recount the tallies from the dossiers; returns the number of rows of each."""
    sizes = {}
    for model in DATE_KEYS:
        table = model.__table__
        db.session.execute(table.delete())
        db.session.execute(table.insert().from_select([*key_names(model), *COUNTS], recount(model)))
        sizes[table.name] = db.session.execute(select(func.count()).select_from(table)).scalar_one()
    return sizes
