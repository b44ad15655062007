"""The outreach list across units (docs/figures.md, *The outreach list across units*): for each
active unit, its own outreach list (the eligible procedures in force it handles with dossiers
received in it in the period and no postal activity in it), how many procedures it holds and
which of them had most dossiers: the units and procedures the province has to work on."""

from dataclasses import dataclass

from sqlalchemy import and_, bindparam, case, func, select

from extensions import db
from models import Procedure, Unit, UnitProcedure
from utils.figures.counting import (
    _built_statement,
    _either_eligible,
    _params,
    _tally_rows,
    unit_exception,
    unit_handles,
)

UNIT_OUTREACH_TOP = 3


@dataclass(frozen=True)
class UnitOutreach:
    """One unit's outreach list: ``procedures`` (how many it holds), ``received`` (dossiers
    received in them, which ranks the units) and its first ``top`` rows ``(Procedure,
    received)``, most dossiers first, as the unit's own ``outreach`` lists them."""

    unit: object
    procedures: int
    received: int
    top: tuple


def units_outreach(period, top=UNIT_OUTREACH_TOP):
    """Every active unit's outreach list of ``period`` at once (one statement), the units with
    most dossiers in their outreach procedures first, then by code; units whose list is empty
    are left out. Each unit's list is ``outreach(period, unit=unit)``'s (tested)."""
    shape, params = _params(period)
    rows = db.session.execute(
        _built_statement("units_outreach", shape, _units_outreach_statement),
        {**params, "top": top},
    ).all()
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.active.is_(True)))}
    found = {}
    for procedure, unit_id, received, procedures, unit_received in rows:
        if unit_id not in units:
            continue
        entry = found.setdefault(unit_id, [int(procedures), int(unit_received), []])
        entry[2].append((procedure, int(received)))
    out = [
        UnitOutreach(units[unit_id], n, received, tuple(best))
        for unit_id, (n, received, best) in found.items()
    ]
    return sorted(out, key=lambda o: (-o.received, o.unit.code))


def _units_outreach_statement(shape):
    """Per unit and procedure of its outreach list, ranked within the unit (most dossiers
    first, then by code), with the unit's count of procedures and of their dossiers; the first
    ``:top`` of each unit, joined to their procedures.

    Whether a unit's procedure is on its list by its activity (dossiers received, none by post)
    is a column (``listed``) that the window functions count and rank first, filtered only after
    them: as a condition on the activity PostgreSQL would push it into the grouping, guess that
    it leaves one row, and then scan that grouping once per unit (a nested loop over 20.000
    rows a hundred times) instead of joining both sides by hash."""
    rows = _tally_rows(shape, unit_column=True)
    act = (
        select(
            rows.c.unit_id,
            rows.c.procedure_id,
            func.sum(rows.c.received).label("received"),
            func.sum(rows.c.received_postal).label("received_postal"),
            func.sum(rows.c.returned_postal).label("returned_postal"),
        )
        .group_by(rows.c.unit_id, rows.c.procedure_id)
        .subquery("unit_activity")
    )
    per_unit = {"partition_by": act.c.unit_id}
    listed = case(
        (
            and_(act.c.received > 0, act.c.received_postal == 0, act.c.returned_postal == 0),
            1,
        ),
        else_=0,
    )
    ranked = (
        select(
            act.c.unit_id,
            act.c.procedure_id,
            act.c.received,
            listed.label("listed"),
            func.sum(listed).over(**per_unit).label("procedures"),
            func.sum(listed * act.c.received).over(**per_unit).label("unit_received"),
            func.row_number()
            .over(**per_unit, order_by=(listed.desc(), act.c.received.desc(), Procedure.code))
            .label("place"),
        )
        .select_from(act)
        .join(Procedure, Procedure.id == act.c.procedure_id)
        .join(Unit, Unit.id == act.c.unit_id)
        .outerjoin(UnitProcedure, unit_exception(act.c.unit_id, act.c.procedure_id))
        .where(and_(Procedure.in_force.is_(True), unit_handles()), _either_eligible())
        .subquery("unit_outreach")
    )
    return (
        select(
            Procedure,
            ranked.c.unit_id,
            ranked.c.received,
            ranked.c.procedures,
            ranked.c.unit_received,
        )
        .join(ranked, ranked.c.procedure_id == Procedure.id)
        .where(ranked.c.listed == 1, ranked.c.place <= bindparam("top", type_=db.Integer))
        .order_by(ranked.c.unit_id, ranked.c.place)
    )
