"""The counts of docs/figures.md, in SQL: the nine counts of a period, the counts per group,
procedure and month, the outreach list and the counts behind a linked number.

The period figures read the dossier tallies (``utils.tally``: dossiers per unit, procedure and
month, ten-day part of a month or day, the coarsest that fit the period), which are kept equal to
the dossiers in the same transaction; the procedure list's activity filters read them too
(``procedures_active``). Each statement is built once per period shape and its dates bound at
execution.

Every count takes an optional ``unit`` (a ``models.Unit``): ``None`` counts the province (every
unit, the statements exactly as on a one-unit deployment); a unit counts that unit's dossiers,
and of the procedures only those it handles (``utils.units.handled_by``): its C1 is the
procedures it handles that had postal activity in it over the procedures in force it handles,
its C2 and C3 count all its dossiers, those of procedures it does not handle included.
"""

from datetime import date, timedelta

from sqlalchemy import and_, bindparam, case, cast, exists, func, null, or_, select, union_all

from extensions import db
from models import (
    CHANNELS,
    Department,
    Dossier,
    DossierDayTally,
    DossierMonthTally,
    DossierQuarterTally,
    DossierTenDayTally,
    Field,
    Procedure,
    ProvinceDayTally,
    ProvinceMonthTally,
    ProvinceQuarterTally,
    ProvinceTenDayTally,
)
from utils.dates import month_end
from utils.tally import COUNTS as TALLY_COUNTS
from utils.units import handled_by

COUNT_KEYS = (
    "procedures_total",
    "procedures_eligible_receive",
    "procedures_eligible_return",
    "procedures_with_dossiers",
    "procedures_with_postal",
    "dossiers_received",
    "dossiers_received_postal",
    "results_returned",
    "results_returned_postal",
)

# Dossiers received in the period, of procedures the unit does not handle (one unit's counts
# only): they count in its C2 and C3, and its dossier list shows them (``handled=no``).
UNHANDLED_KEY = "dossiers_received_unhandled"

# --- SQL building blocks ---------------------------------------------------------------------


class _BoundUnit:
    """A unit as bind parameters (``:unit``, ``:unit_level``), for ``handled_by`` inside
    statements built once per shape."""

    id = bindparam("unit", type_=db.Integer)
    level = bindparam("unit_level", type_=db.String)


def _handled():
    """The unit of the statement (``_BoundUnit``) handles the procedure."""
    return handled_by(_BoundUnit)


def _in_force(shape=None):
    """The procedure is in force; in a unit's statement (``shape``'s unit), one it handles."""
    if shape is not None and shape[-1]:
        return and_(Procedure.in_force.is_(True), _handled())
    return Procedure.in_force.is_(True)


def _received_in(period):
    # Listing the channels lets the (procedure, channel, date) index serve a per-procedure range.
    return and_(
        Dossier.receive_channel.in_(CHANNELS),
        Dossier.receive_date >= period.start,
        Dossier.receive_date <= period.end,
    )


def _received_postal_in(period):
    return and_(
        Dossier.receive_channel == "bcci",
        Dossier.receive_date >= period.start,
        Dossier.receive_date <= period.end,
    )


def _returned_postal_in(period):
    return and_(
        Dossier.return_channel == "bcci",
        Dossier.return_date >= period.start,
        Dossier.return_date <= period.end,
    )


def postal_either_condition(period):
    """A dossier received by post in the period, or whose result was returned by post in it
    (the procedure list's "by post" count, each dossier once)."""
    return or_(_received_postal_in(period), _returned_postal_in(period))


def _has_dossier(condition):
    """EXISTS a dossier of the outer procedure meeting ``condition``."""
    return exists().where(Dossier.procedure_id == Procedure.id, condition)


def has_dossiers_expr(period):
    """The procedure has at least one dossier received in the period."""
    return _has_dossier(_received_in(period))


def has_postal_expr(period):
    """The procedure has a dossier received by post, or a result returned by post, in the period."""
    return or_(_has_dossier(_received_postal_in(period)), _has_dossier(_returned_postal_in(period)))


def procedures_active(period, postal=False, unit=None):
    """The ids of the procedures with a dossier received in the period (``postal``: received by
    post, or whose result was returned by post, in it), as a SELECT over the dossier tallies:
    the procedures ``has_dossiers_expr`` (``has_postal_expr``) finds, the sums of a few hundred
    tally rows instead of an index range of every procedure's dossiers (the procedure list's
    filters; ``unit``: its dossiers only). The period's dates are bound in the statement."""
    shape, params = _params(period, unit=unit)
    rows = _tally_rows(shape)
    if postal:
        active = func.sum(rows.c.received_postal) + func.sum(rows.c.returned_postal) > 0
    else:
        active = func.sum(rows.c.received) > 0
    return select(rows.c.procedure_id).group_by(rows.c.procedure_id).having(active).params(params)


def _count_where(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _scalar_count(*conditions, model=Procedure):
    """A count of ``model``'s rows, never correlated to the enclosing query."""
    return (
        select(func.count()).select_from(model).where(*conditions).correlate(None).scalar_subquery()
    )


def _month_parts(year, month):
    """The ten-day parts of a month: 1–10, 11–20 and 21 to its end."""
    return (
        (date(year, month, 1), date(year, month, 10)),
        (date(year, month, 11), date(year, month, 20)),
        (date(year, month, 21), month_end(year, month)),
    )


def spans(period):
    """The period as whole calendar months, whole ten-day parts of a month and single days.

    :return: ``(months, tendays, days)``: ``months`` is ``(first, last)`` (first days of the
        whole months) or ``None``; ``tendays`` a list of ``(first, last)`` first days of whole
        ten-day parts, each range inside one month; ``days`` a list of ``(start, end)`` ranges.
    """
    start, end = period.start, period.end
    first = start if start.day == 1 else month_end(start.year, start.month) + timedelta(days=1)
    last = end if end == month_end(end.year, end.month) else end.replace(day=1) - timedelta(days=1)
    if first > last:  # no whole month: part of one month, or the ends of two
        if (start.year, start.month) == (end.year, end.month):
            edges = [(start, end)]
        else:
            edges = [(start, month_end(start.year, start.month)), (end.replace(day=1), end)]
        months = None
    else:
        edges = ([(start, first - timedelta(days=1))] if start < first else []) + (
            [(last + timedelta(days=1), end)] if last < end else []
        )
        months = (first, last.replace(day=1))
    tendays, days = [], []
    for edge_start, edge_end in edges:
        inside = [
            part
            for part in _month_parts(edge_start.year, edge_start.month)
            if edge_start <= part[0] and part[1] <= edge_end
        ]
        if not inside:
            days.append((edge_start, edge_end))
            continue
        tendays.append((inside[0][0], inside[-1][0]))
        if edge_start < inside[0][0]:
            days.append((edge_start, inside[0][0] - timedelta(days=1)))
        if inside[-1][1] < edge_end:
            days.append((inside[-1][1] + timedelta(days=1), edge_end))
    return months, tendays, days


class _Bound:
    """A period's dates as bind parameters (``:p_start``, ``:p_end``), for the conditions on
    dossiers inside statements built once per shape (``_built_statement``)."""

    start = bindparam("p_start", type_=db.Date)
    end = bindparam("p_end", type_=db.Date)


def _add_months(first, months):
    """The first day of the month ``months`` after ``first``'s (a first day of a month)."""
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def quarters_and_months(months):
    """The whole months ``(first, last)`` (first days, as ``spans`` gives them) as the whole
    calendar quarters among them and the months left before and after them: ``(quarters,
    month_ranges)``, ``quarters`` the first days of the first and last whole quarter or
    ``None``, ``month_ranges`` a list of ``(first, last)`` first days of months."""
    first, last = months
    q_first = first if first.month % 3 == 1 else _add_months(first, 3 - (first.month - 1) % 3)
    q_last = _add_months(last, -((last.month - 1) % 3) - (0 if last.month % 3 == 0 else 3))
    if q_first > q_last:
        return None, [months]
    ranges = [(first, _add_months(q_first, -1))] if first < q_first else []
    after = _add_months(q_last, 3)
    if after <= last:
        ranges.append((after, last))
    return (q_first, q_last), ranges


def _params(period, procedure_ids=None, unit=None, quarters=True):
    """``(shape, params)``: what a statement over ``period``'s tally rows depends on (how many
    ranges of whole months, whether whole quarters, how many ten-day and day ranges, whether it
    is limited to some procedures, whether to one unit) and the values of its bind parameters.

    :param quarters: read the whole calendar quarters of the period from the quarter tallies
        (not for a statement that needs each month's counts apart: ``monthly_trend``).
    """
    months, tendays, days = spans(period)
    params = {"p_start": period.start, "p_end": period.end}
    whole_quarters, month_ranges = None, []
    if months:
        whole_quarters, month_ranges = quarters_and_months(months) if quarters else (None, [months])
    if whole_quarters:
        params.update(q_first=whole_quarters[0], q_last=whole_quarters[1])
    for i, (first, last) in enumerate(month_ranges):
        params.update({f"m{i}_first": first, f"m{i}_last": last})
    for prefix, ranges in (("t", tendays), ("d", days)):
        for i, (first, last) in enumerate(ranges):
            params.update(
                {
                    f"{prefix}{i}_first": first,
                    f"{prefix}{i}_last": last,
                    f"{prefix}{i}_month": first.replace(day=1),
                }
            )
    if procedure_ids is not None:
        params["ids"] = list(procedure_ids)
    if unit is not None:
        params.update(unit=unit.id, unit_level=unit.level)
    shape = (
        len(month_ranges),
        whole_quarters is not None,
        len(tendays),
        len(days),
        procedure_ids is not None,
    )
    return (*shape, unit is not None), params


_STATEMENTS = {}


def _built_statement(name, shape, build):
    """The statement ``build(shape)`` returns, built once per name and shape (building one
    costs more Python than SQLite spends answering it); values are bound at execution."""
    key = (name, shape)
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        stmt = _STATEMENTS[key] = build(shape)
    return stmt


def _tally_rows(shape, key=False, unit_column=False):
    """The tally rows that add up to a period of this shape (``utils.tally``): the quarter
    tally's rows of its whole calendar quarters, the month tally's rows of its other whole
    months, the ten-day tally's rows of its whole ten-day parts and the day tally's rows of its
    other days, as one SELECT of ``procedure_id`` and the counts (``utils.tally.COUNTS``); with
    ``key``, also ``month`` (the first day of the row's month: a shape without quarters); with
    ``unit_column``, also ``unit_id``. In a unit's shape, that unit's rows only; the province's
    (no unit, no ``unit_column``) read the province tallies, the units' rows summed over the
    units (one row per date and procedure).
    """
    if key and shape[1]:
        raise ValueError("a quarter's rows have no month: use _params(…, quarters=False)")
    parts = [
        _tier_part(column, name, shape, key, unit_column)
        for column, name in _tier_ranges(shape, unit_column)
    ]
    return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("tally")


def _tier_ranges(shape, unit_column):
    """``[(date column, bind name prefix)]``: the tally and range of each part of a period of
    this shape, coarsest first (the per-unit tallies for a unit's shape or ``unit_column``, the
    province's otherwise)."""
    month_ranges, has_quarters, tendays, days, _limited, one_unit = shape
    quarter_tally, month_tally, tenday_tally, day_tally = (
        (DossierQuarterTally, DossierMonthTally, DossierTenDayTally, DossierDayTally)
        if one_unit or unit_column
        else (ProvinceQuarterTally, ProvinceMonthTally, ProvinceTenDayTally, ProvinceDayTally)
    )
    return (
        ([(quarter_tally.quarter, "q")] if has_quarters else [])
        + [(month_tally.month, f"m{i}") for i in range(month_ranges)]
        + [(tenday_tally.tenday, f"t{i}") for i in range(tendays)]
        + [(day_tally.day, f"d{i}") for i in range(days)]
    )


def _tier_part(column, name, shape, key, unit_column):
    """The SELECT of one tally's rows in the range ``name`` (``_tally_rows``' columns)."""
    limited, one_unit = shape[-2:]
    table = column.class_
    month = []
    if key:  # a month row's own month; a ten-day or day range lies inside one month
        is_month = table in (DossierMonthTally, ProvinceMonthTally)
        month = [(column if is_month else bindparam(f"{name}_month", type_=db.Date)).label("month")]
    unit = [table.unit_id] if unit_column else []
    columns = (table.procedure_id, *(getattr(table, c) for c in TALLY_COUNTS))
    part = select(*month, *unit, *columns).where(
        column >= bindparam(f"{name}_first", type_=db.Date),
        column <= bindparam(f"{name}_last", type_=db.Date),
    )
    if limited:
        part = part.where(table.procedure_id.in_(bindparam("ids", expanding=True)))
    if one_unit:
        part = part.where(table.unit_id == _BoundUnit.id)
    return part


def _activity(shape):
    """Per procedure with dossiers in the tallies of a period of this shape: ``procedure_id``
    and the counts of ``utils.tally.COUNTS`` (received, received_postal,
    received_returned_postal, returned, returned_postal), as a subquery; procedures without any
    are absent.
    """
    rows = _tally_rows(shape)
    return (
        select(rows.c.procedure_id, *(func.sum(rows.c[c]).label(c) for c in TALLY_COUNTS))
        .group_by(rows.c.procedure_id)
        .subquery("activity")
    )


def _activity_joined(shape):
    """``(activity, columns)``: the activity to outer-join to procedures, with each count as
    ``columns[name]`` (0 where the procedure has none) and ``columns["postal"]``, the condition
    "received or returned by post in the period"."""
    act = _activity(shape)
    cols = {c: func.coalesce(act.c[c], 0) for c in TALLY_COUNTS}
    cols["postal"] = or_(cols["received_postal"] > 0, cols["returned_postal"] > 0)
    return act, cols


# --- Counts ----------------------------------------------------------------------------------


def counts(period, unit=None):
    """The nine counts of docs/figures.md for ``period``, in one SQL statement over the
    dossier tallies (which ``utils.tally`` keeps equal to the dossiers); of one ``unit``'s
    dossiers and procedures, or of the province's (``None``).

    :return: a dict keyed by ``COUNT_KEYS``; a unit's also has ``UNHANDLED_KEY``.
    """
    shape, params = _params(period, unit=unit)
    row = db.session.execute(_built_statement("counts", shape, _counts_statement), params).one()
    keys = COUNT_KEYS if unit is None else (*COUNT_KEYS, UNHANDLED_KEY)
    return {key: int(getattr(row, key)) for key in keys}


def _counts_statement(shape):
    act, cols = _activity_joined(shape)
    in_force = and_(Procedure.id.is_not(None), _in_force(shape))
    unhandled = (
        [
            func.coalesce(func.sum(case((_handled(), 0), else_=act.c.received)), 0).label(
                UNHANDLED_KEY
            )
        ]
        if shape[-1]
        else []
    )
    return (
        select(
            _scalar_count(_in_force(shape)).label("procedures_total"),
            _scalar_count(_in_force(shape), Procedure.eligible_receive.is_(True)).label(
                "procedures_eligible_receive"
            ),
            _scalar_count(_in_force(shape), Procedure.eligible_return.is_(True)).label(
                "procedures_eligible_return"
            ),
            _count_where(and_(in_force, cols["received"] > 0)).label("procedures_with_dossiers"),
            _count_where(and_(in_force, cols["postal"])).label("procedures_with_postal"),
            func.coalesce(func.sum(act.c.received), 0).label("dossiers_received"),
            func.coalesce(func.sum(act.c.received_postal), 0).label("dossiers_received_postal"),
            func.coalesce(func.sum(act.c.returned), 0).label("results_returned"),
            func.coalesce(func.sum(act.c.returned_postal), 0).label("results_returned_postal"),
            *unhandled,
        )
        .select_from(act)
        .outerjoin(Procedure, Procedure.id == act.c.procedure_id)
    )


def _procedure_count(condition):
    """How many dossiers of the outer procedure meet ``condition``, as a correlated subquery.

    One index range per procedure, counted without reading the dossier rows: several times
    cheaper than joining every dossier of the period to its procedure and grouping them.
    """
    return (
        select(func.count())
        .select_from(Dossier)
        .where(Dossier.procedure_id == Procedure.id, condition)
        .scalar_subquery()
    )


def breakdown(period, by, unit=None):
    """Counts per department, per field or per procedure, in one SQL statement.

    The procedure counts (``procedures``, ``eligible``…, ``with_postal``) are of procedures in
    force, as ``counts`` has them; the dossier counts (``received``, ``received_postal``,
    ``returned_postal``) are of every dossier of the period, a retired procedure's included
    (its dossiers were still received), so the groups add up to the period's counts. A group
    appears when it has a procedure in force or a dossier in the period. For a ``unit``: its
    dossiers, and of the procedures in force those it handles (as ``counts``).

    :param by: ``"department"``, ``"field"`` or ``"procedure"``.
    :return: a list of dicts with ``key`` (the group's id), ``procedures``, ``eligible``
        (eligible in at least one direction), ``eligible_receive``, ``eligible_return``,
        ``with_postal``, ``received``, ``received_postal``, ``returned_postal``.
    """
    if by not in ("department", "field", "procedure"):
        raise ValueError(by)
    shape, params = _params(period, unit=unit)
    stmt = _built_statement(("breakdown", by), shape, lambda shape: _breakdown_statement(shape, by))
    return [
        {"key": r.key, **{k: int(getattr(r, k) or 0) for k in BREAKDOWN_COUNTS}}
        for r in db.session.execute(stmt, params)
    ]


BREAKDOWN_COUNTS = (
    "procedures",
    "eligible",
    "eligible_receive",
    "eligible_return",
    "with_postal",
    "received",
    "received_postal",
    "returned_postal",
)


def _either_eligible():
    return or_(Procedure.eligible_receive.is_(True), Procedure.eligible_return.is_(True))


def _breakdown_statement(shape, by):
    group_col = {
        "department": Procedure.department_id,
        "field": Procedure.field_id,
        "procedure": Procedure.id,
    }[by]
    in_force = _in_force(shape)
    act, cols = _activity_joined(shape)
    return (
        select(
            group_col.label("key"),
            _count_where(in_force).label("procedures"),
            _count_where(and_(in_force, _either_eligible())).label("eligible"),
            _count_where(and_(in_force, Procedure.eligible_receive.is_(True))).label(
                "eligible_receive"
            ),
            _count_where(and_(in_force, Procedure.eligible_return.is_(True))).label(
                "eligible_return"
            ),
            _count_where(and_(in_force, cols["postal"])).label("with_postal"),
            func.sum(cols["received"]).label("received"),
            func.sum(cols["received_postal"]).label("received_postal"),
            func.sum(cols["returned_postal"]).label("returned_postal"),
        )
        .select_from(Procedure)
        .outerjoin(act, act.c.procedure_id == Procedure.id)
        # Retired procedures without dossiers in the period change no figure: left out.
        .where(or_(in_force, act.c.procedure_id.is_not(None)))
        .group_by(group_col)
    )


def procedure_activity(period, procedure_ids, unit=None):
    """Per procedure: dossiers received in the period, and dossiers received by post or returned
    by post in the period, in one query over the given procedures.

    Dossiers received, received by post and returned by post come from the tallies; a dossier
    both received and returned by post in the period counts once, those are counted among the
    procedure's dossiers received by post (an index range, see ``_procedure_count``), which are
    few.

    :param unit: that unit's dossiers only (``None``: every unit's).
    :return: ``{procedure_id: (received, postal)}``; procedures without dossiers are absent.
    """
    ids = list(procedure_ids)
    if not ids:
        return {}
    shape, params = _params(period, ids, unit=unit)
    stmt = _built_statement("procedure_activity", shape, _procedure_activity_statement)
    return {
        r.id: (int(r.received), int(r.postal))
        for r in db.session.execute(stmt, params)
        if r.received or r.postal
    }


def _procedure_activity_statement(shape):
    period = _Bound
    act = _activity(shape)
    # By post in either direction, each dossier once: received by post plus returned by post
    # (both from the tallies) less those that were both, counted among the procedure's few
    # dossiers received by post.
    both_by_post = [_received_postal_in(period), _returned_postal_in(period)]
    if shape[-1]:
        both_by_post.append(Dossier.unit_id == _BoundUnit.id)
    both = _procedure_count(and_(*both_by_post))
    postal = (
        func.coalesce(act.c.received_postal, 0) + func.coalesce(act.c.returned_postal, 0) - both
    )
    return (
        select(
            Procedure.id, func.coalesce(act.c.received, 0).label("received"), postal.label("postal")
        )
        .outerjoin(act, act.c.procedure_id == Procedure.id)
        .where(Procedure.id.in_(bindparam("ids", expanding=True)))
    )


def monthly_trend(period, unit=None):
    """Per month of the period: dossiers received, received by post, results returned by post.

    One statement over the dossier tallies (``tally_rows``), grouped by month; one ``unit``'s
    dossiers, or every unit's (``None``).

    :return: a list of dicts ``{"year", "month", "received", "received_postal",
        "returned_postal", "from", "to"}``, one per calendar month the period touches, zeros
        included; ``from`` and ``to`` (ISO dates) are the part of the month inside the period,
        which the month's counts cover (its numbers link to the dossiers of those days).
    """
    shape, params = _params(period, unit=unit, quarters=False)
    stmt = _built_statement("monthly_trend", shape, _trend_statement)
    found = {}
    for month, received, received_postal, returned_postal in db.session.execute(stmt, params):
        month = date.fromisoformat(month) if isinstance(month, str) else month
        found[(month.year, month.month)] = (
            int(received),
            int(received_postal),
            int(returned_postal),
        )
    out = []
    for year, month in period.months():
        received, received_postal, returned_postal = found.get((year, month), (0, 0, 0))
        first = max(date(year, month, 1), period.start)
        last = min(month_end(year, month), period.end)
        out.append(
            {
                "year": year,
                "month": month,
                "received": received,
                "received_postal": received_postal,
                "returned_postal": returned_postal,
                "from": first.isoformat(),
                "to": last.isoformat(),
            }
        )
    return out


def _trend_statement(shape):
    rows = _tally_rows(shape, key=True)
    return select(
        rows.c.month,
        func.sum(rows.c.received),
        func.sum(rows.c.received_postal),
        func.sum(rows.c.returned_postal),
    ).group_by(rows.c.month)


def _outreach_statement(shape):
    """Procedures in force, eligible in a direction, with dossiers received in the period, and
    no postal activity in it; each row ``(Procedure, received)``, most dossiers first. In a
    unit's shape, the procedures it handles and its dossiers.
    """
    # An outer join whose conditions on the activity read it through ``coalesce``: they stay
    # on the join's result instead of being pushed into the activity's grouping, where
    # PostgreSQL guesses they leave one row and then scans the procedures once per procedure
    # with activity (a nested loop) instead of joining both sides by hash.
    act, cols = _activity_joined(shape)
    return (
        select(Procedure, cols["received"].label("received"))
        .outerjoin(act, act.c.procedure_id == Procedure.id)
        .where(
            _in_force(shape),
            or_(Procedure.eligible_receive.is_(True), Procedure.eligible_return.is_(True)),
            cols["received"] > 0,
            cols["received_postal"] == 0,
            cols["returned_postal"] == 0,
        )
        .order_by(cols["received"].desc(), Procedure.code)
    )


def _limited(stmt):
    return stmt.limit(bindparam("limit", type_=db.Integer))


def outreach(period, limit=None, unit=None):
    """The outreach list of docs/figures.md as ``[(Procedure, received), ...]`` (of one
    ``unit``, or of the province)."""
    shape, params = _params(period, unit=unit)
    if limit is None:
        stmt = _built_statement("outreach", shape, _outreach_statement)
    else:
        stmt = _built_statement(
            "outreach_limited", shape, lambda sh: _limited(_outreach_statement(sh))
        )
        params["limit"] = limit
    return [(row[0], int(row[1])) for row in db.session.execute(stmt, params)]


def outreach_top(period, limit, unit=None):
    """The first ``limit`` rows of the outreach list and how many procedures it holds, in one
    statement: ``([(Procedure, received), ...], total)``."""
    shape, params = _params(period, unit=unit)
    stmt = _built_statement(
        "outreach_top",
        shape,
        lambda sh: _limited(
            _outreach_statement(sh).add_columns(func.count().over().label("total"))
        ),
    )
    rows = db.session.execute(stmt, {**params, "limit": limit}).all()
    return [(row[0], int(row[1])) for row in rows], int(rows[0].total) if rows else 0


def outreach_total(period, unit=None):
    """How many procedures the outreach list holds."""
    shape, params = _params(period, unit=unit)
    stmt = _built_statement(
        "outreach_total",
        shape,
        lambda sh: select(func.count()).select_from(_outreach_statement(sh).subquery()),
    )
    return int(db.session.execute(stmt, params).scalar_one())


def outreach_by_department(period, unit=None):
    """The outreach list per department: ``[(department_id, procedures, received)]``, the
    departments with most dossiers received first.
    """

    def build(shape):
        sub = _outreach_statement(shape).subquery()
        return (
            select(
                sub.c.department_id,
                func.count().label("procedures"),
                func.sum(sub.c.received).label("received"),
            )
            .group_by(sub.c.department_id)
            .order_by(func.sum(sub.c.received).desc(), sub.c.department_id)
        )

    shape, params = _params(period, unit=unit)
    return [
        (r.department_id, int(r.procedures), int(r.received or 0))
        for r in db.session.execute(
            _built_statement("outreach_by_department", shape, build), params
        )
    ]


def group_names(by):
    """Names for ``breakdown`` keys: ``{id: (code_or_None, name)}``."""
    if by == "department":
        return {d.id: (d.code, d.name) for d in db.session.scalars(select(Department))}
    if by == "field":
        return {f.id: (None, f.name) for f in db.session.scalars(select(Field))}
    raise ValueError(by)


def procedures_eligible(unit=None):
    """Procedures in force eligible in at least one direction (the tables' total of
    "eligible"; ``counts`` has each direction on its own); those ``unit`` handles."""
    handled = [handled_by(unit)] if unit is not None else []
    return int(
        db.session.execute(
            select(_scalar_count(_in_force(), _either_eligible(), *handled))
        ).scalar_one()
    )


# --- Counts for the lists a linked number opens -------------------------------------------------

LIST_COUNTS = {
    ("tiep_nhan", ""): "received",
    ("tiep_nhan", "bcci"): "received_postal",
    ("tra_ket_qua", ""): "returned",
    ("tra_ket_qua", "bcci"): "returned_postal",
}


def tallied_dossier_count(period, direction, channel, procedure_condition=None, unit=None):
    """How many dossiers have their ``direction``'s effective date in ``period`` (any date when
    ``period`` is ``None``) and, with ``channel`` ``"bcci"``, went by post in that direction:
    from the tallies (exactly the count over the dossiers, see ``utils.tally``), or ``None``
    when the tallies do not hold this count (another channel).

    :param procedure_condition: a condition on ``Procedure`` (a department, a field, an id).
    :param unit: that unit's dossiers only (``None``: every unit's).
    """
    column = LIST_COUNTS.get((direction, channel))
    if column is None:
        return None
    extra = [procedure_condition] if procedure_condition is not None else []
    if period is None:
        tally = DossierQuarterTally if unit is not None else ProvinceQuarterTally
        rows = select(tally.procedure_id, getattr(tally, column).label(column))
        if unit is not None:
            rows = rows.where(tally.unit_id == unit.id)
        rows = rows.subquery("tally")
        params = {}
    else:
        shape, params = _params(period, unit=unit)
        rows = _tally_rows(shape)
    stmt = select(func.coalesce(func.sum(rows.c[column]), 0))
    if extra:
        stmt = stmt.select_from(rows.join(Procedure, Procedure.id == rows.c.procedure_id)).where(
            *extra
        )
    return int(db.session.execute(stmt, params).scalar_one())


# --- Every unit at once (the province's roll-up) -------------------------------------------------


def unit_counts(period):
    """``counts(period, unit)`` of every unit at once: ``{unit_id: counts}`` (with
    ``UNHANDLED_KEY``), equal to one unit's ``counts`` each, and ``{unit_id: {"C1", "C2",
    "C3"}}``, each unit's ``targeting.target_pools`` summed over its departments.

    Two statements instead of several per unit: the tally rows of the period summed per unit
    and procedure, joined once to the procedures and units (``handled_by`` with the unit's own
    columns) and grouped by unit; and the procedures in force per canonical level, to which
    each unit's additions and removals (``UnitProcedure``, a few rows) are added in Python.

    :return: ``(counts, pools)``.
    """
    from models import Unit

    shape, params = _params(period)
    stmt = _built_statement("unit_counts", shape, _unit_counts_statement)
    activity = {row.unit_id: row for row in db.session.execute(stmt, params)}
    catalogue = _catalogue_per_unit()
    counts_out, pools = {}, {}
    for unit_id in db.session.scalars(select(Unit.id)):
        total, receive, ret, either = catalogue.get(unit_id, (0, 0, 0, 0))
        act = activity.get(unit_id)

        def n(name, act=act):
            return int(getattr(act, name) or 0) if act is not None else 0

        counts_out[unit_id] = {
            "procedures_total": total,
            "procedures_eligible_receive": receive,
            "procedures_eligible_return": ret,
            "procedures_with_dossiers": n("with_dossiers"),
            "procedures_with_postal": n("with_postal"),
            "dossiers_received": n("received"),
            "dossiers_received_postal": n("received_postal"),
            "results_returned": n("returned"),
            "results_returned_postal": n("returned_postal"),
            UNHANDLED_KEY: n("unhandled"),
        }
        pools[unit_id] = {
            "C1": either - n("eligible_with_postal"),
            "C2": n("pool_c2"),
            "C3": n("pool_c3"),
        }
    return counts_out, pools


def unit_outreach_lists(period, top):
    """Every unit's outreach list (``unit_outreach.units_outreach``) at once, from one reading
    of the period's tally rows: ``{unit_id: (procedures, received, [(procedure_id,
    received)])}``, how many procedures the unit's list holds, their dossiers received, and its
    first ``top`` procedures, most dossiers first then by code; units whose list is empty are
    absent."""
    shape, params = _params(period)
    stmt = _built_statement("unit_outreach", shape, _unit_outreach_statement)
    sizes, first = {}, {}
    for row in db.session.execute(stmt, dict(params, top=top)):
        if row.procedure_id is None:
            sizes[row.unit_id] = (int(row.listed), int(row.received))
        else:
            first.setdefault(row.unit_id, []).append((row.procedure_id, int(row.received)))
    return {unit_id: (*size, first.get(unit_id, [])) for unit_id, size in sizes.items()}


def _unit_activity(shape):
    """Each unit's activity per procedure in the period: the tally rows of ``shape`` summed per
    unit and procedure (a subquery)."""
    rows = _tally_rows(shape, unit_column=True)
    return (
        select(
            rows.c.unit_id,
            rows.c.procedure_id,
            *(func.sum(rows.c[c]).label(c) for c in TALLY_COUNTS),
        )
        .group_by(rows.c.unit_id, rows.c.procedure_id)
        .subquery("unit_activity")
    )


def _unit_counts_statement(shape):
    """Per unit, its counts (``unit_counts``): the tally rows summed per unit and procedure,
    joined to the procedures and units, grouped by unit."""
    from models import Unit, UnitProcedure

    act = _unit_activity(shape)
    handles = unit_handles()
    handled = and_(Procedure.in_force.is_(True), handles)
    postal = or_(act.c.received_postal > 0, act.c.returned_postal > 0)

    def summed(condition, amount):
        return func.sum(case((condition, amount), else_=0))

    return (
        select(
            act.c.unit_id,
            _count_where(and_(handled, act.c.received > 0)).label("with_dossiers"),
            _count_where(and_(handled, postal)).label("with_postal"),
            func.sum(act.c.received).label("received"),
            func.sum(act.c.received_postal).label("received_postal"),
            func.sum(act.c.returned).label("returned"),
            func.sum(act.c.returned_postal).label("returned_postal"),
            func.sum(case((handles, 0), else_=act.c.received)).label("unhandled"),
            _count_where(and_(handled, _either_eligible(), postal)).label("eligible_with_postal"),
            summed(
                and_(handled, Procedure.eligible_receive.is_(True)),
                act.c.received - act.c.received_postal,
            ).label("pool_c2"),
            summed(
                and_(handled, Procedure.eligible_return.is_(True)),
                act.c.received - act.c.received_returned_postal,
            ).label("pool_c3"),
        )
        .select_from(act)
        .join(Procedure, Procedure.id == act.c.procedure_id)
        .join(Unit, Unit.id == act.c.unit_id)
        .outerjoin(UnitProcedure, unit_exception(act.c.unit_id, act.c.procedure_id))
        .group_by(act.c.unit_id)
    )


def _unit_outreach_statement(shape):
    """Per unit, its outreach list's size and dossiers (``procedure_id`` null); then, per unit,
    the first ``:top`` procedures of its list, ranked by dossiers received then code
    (``place``), each with its dossiers received: one UNION of two readings of one common table
    (each unit's listed procedures), which the database computes once.

    A procedure is on a unit's outreach list when the unit handles it, it is in force, eligible
    in either direction, had dossiers received in the unit in the period and none received or
    returned by post there (``unit_outreach``)."""
    from models import Unit, UnitProcedure

    act = _unit_activity(shape)
    listed = (
        select(act.c.unit_id, act.c.procedure_id, act.c.received, Procedure.code)
        .select_from(act)
        .join(Procedure, Procedure.id == act.c.procedure_id)
        .join(Unit, Unit.id == act.c.unit_id)
        .outerjoin(UnitProcedure, unit_exception(act.c.unit_id, act.c.procedure_id))
        .where(
            Procedure.in_force.is_(True),
            unit_handles(),
            _either_eligible(),
            act.c.received > 0,
            act.c.received_postal == 0,
            act.c.returned_postal == 0,
        )
        .cte("listed")
    )
    nothing = _null_integer()
    per_unit = select(
        listed.c.unit_id,
        nothing.label("procedure_id"),
        func.count().label("listed"),
        func.sum(listed.c.received).label("received"),
        nothing.label("place"),
    ).group_by(listed.c.unit_id)
    ranked = select(
        listed.c.unit_id,
        listed.c.procedure_id,
        listed.c.received,
        func.row_number()
        .over(partition_by=listed.c.unit_id, order_by=(listed.c.received.desc(), listed.c.code))
        .label("place"),
    ).subquery("ranked")
    first = select(
        ranked.c.unit_id,
        ranked.c.procedure_id,
        nothing.label("listed"),
        ranked.c.received,
        ranked.c.place,
    ).where(ranked.c.place <= bindparam("top", type_=db.Integer))
    union = union_all(per_unit, first).subquery("unit_outreach")
    return select(union).order_by(union.c.unit_id, union.c.place)


def _null_integer():
    """A NULL of type integer (a column that one side of a UNION leaves empty)."""
    return cast(null(), db.Integer)


def unit_handles():
    """ "The unit handles the procedure" (``handled_by``) in a statement over many units that
    joins ``Procedure`` and ``Unit`` and outer-joins ``UnitProcedure`` on ``unit_exception``:
    the unit's exception for the procedure when it has one, else the procedure's level. One
    join instead of correlated subqueries run for each unit and procedure in every column that
    needs the condition."""
    from models import ProcedureLevel, Unit, UnitProcedure

    return func.coalesce(
        UnitProcedure.handled,
        Procedure.unit_level.in_((Unit.level, ProcedureLevel.BOTH.value)),
    )


def unit_exception(unit_id, procedure_id):
    """The outer join condition of ``UnitProcedure`` for ``unit_handles``: the exception of the
    row's unit (``unit_id``) for its procedure (``procedure_id``)."""
    from models import UnitProcedure

    return and_(UnitProcedure.unit_id == unit_id, UnitProcedure.procedure_id == procedure_id)


def _catalogue_per_unit():
    """``{unit_id: (procedures in force it handles, of them eligible to receive, to return, in
    either direction)}``: the procedures in force of each canonical level counted in SQL, a unit
    handling its level's and both levels', then its additions counted in and its removals out."""
    from models import Unit, UnitProcedure

    in_force = Procedure.in_force.is_(True)
    flags = (
        in_force,
        and_(in_force, Procedure.eligible_receive.is_(True)),
        and_(in_force, Procedure.eligible_return.is_(True)),
        and_(in_force, _either_eligible()),
    )
    per_level = {
        row[0]: tuple(int(v or 0) for v in row[1:])
        for row in db.session.execute(
            select(Procedure.unit_level, *(_count_where(f) for f in flags)).group_by(
                Procedure.unit_level
            )
        )
    }
    zero = (0, 0, 0, 0)
    units = db.session.execute(select(Unit.id, Unit.level)).all()
    out = {
        unit_id: tuple(
            a + b for a, b in zip(per_level.get(level, zero), per_level.get("ca_hai", zero))
        )
        for unit_id, level in units
    }
    levels = dict(units)
    exceptions = db.session.execute(
        select(
            UnitProcedure.unit_id,
            UnitProcedure.handled,
            Procedure.unit_level,
            *(case((f, 1), else_=0) for f in flags),
        ).join(Procedure, Procedure.id == UnitProcedure.procedure_id)
    )
    for unit_id, handled, level, *counted in exceptions:
        own = level in (levels.get(unit_id), "ca_hai")
        if handled == own:  # an addition of its own level, a removal of another: no change
            continue
        sign = 1 if handled else -1
        out[unit_id] = tuple(v + sign * int(c) for v, c in zip(out[unit_id], counted))
    return out
