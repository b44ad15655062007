"""The outreach list across units (docs/figures.md, *The outreach list across units*): for each
active unit, its own outreach list (the eligible procedures in force it handles with dossiers
received in it in the period and no postal activity in it), how many procedures it holds and
which of them had most dossiers: the units and procedures the province has to work on."""

from dataclasses import dataclass

from sqlalchemy import select

from extensions import db
from models import Procedure, Unit
from utils.figures.counting import unit_outreach_lists

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
    """Every active unit's outreach list of ``period`` at once
    (``counting.unit_outreach_lists``), the units with most dossiers in their outreach
    procedures first, then by code; units whose list is empty are left out. Each unit's list is ``outreach(period, unit=unit)``'s (tested)."""
    return outreach_of_units(unit_outreach_lists(period, top))


def outreach_of_units(listed):
    """``[UnitOutreach]`` of the active units from ``unit_outreach_lists``, ranked as
    ``units_outreach`` ranks them; their procedures read in one statement."""
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.active.is_(True)))}
    ids = {pid for unit_id, (_n, _r, best) in listed.items() if unit_id in units for pid, _ in best}
    procedures = (
        {p.id: p for p in db.session.scalars(select(Procedure).where(Procedure.id.in_(ids)))}
        if ids
        else {}
    )
    out = [
        UnitOutreach(units[unit_id], n, received, tuple((procedures[pid], r) for pid, r in best))
        for unit_id, (n, received, best) in listed.items()
        if unit_id in units
    ]
    return sorted(out, key=lambda o: (-o.received, o.unit.code))
