"""Figures per unit and for the province (issue 18): the dossier tallies are kept per unit, and
the figures of one unit, or of the province (every unit), equal plain counts over the dossiers;
the units' dossier counts add up to the province's."""

import random
from datetime import date, timedelta

from sqlalchemy import and_, func, insert, select, update

from extensions import db
from models import Dossier, DossierDayTally, DossierMonthTally, DossierTenDayTally
from tests import factories as f
from utils import tally
from utils.units import create_unit


def _units():
    """The first unit (commune level) and two more: a commune and the province's own centre."""
    from models import FIRST_UNIT_ID, Unit

    first = db.session.get(Unit, FIRST_UNIT_ID)
    commune = create_unit("XA02", "Xã Hai", "xa")
    province = create_unit("TINH", "Trung tâm tỉnh", "tinh")
    db.session.commit()
    return first, commune, province


def _several_units_dataset(n, seed=3):
    """Three units, procedures of every level, ``n`` dossiers spread over the units (one INSERT,
    as the imports write them)."""
    rng = random.Random(seed)
    units = _units()
    dept = f.department()
    procs = [
        f.procedure(
            department_=dept,
            receive=rng.random() < 0.7,
            ret=rng.random() < 0.7,
            in_force=rng.random() < 0.9,
            unit_level=rng.choice(("tinh", "xa", "ca_hai")),
        )
        for _ in range(14)
    ]
    first = date(2023, 1, 1)
    rows = []
    for i in range(n):
        received = first + timedelta(days=rng.randrange(730))
        channel = rng.choice(("truc_tiep", "truc_tuyen", "bcci"))
        returned = received + timedelta(days=rng.randrange(20)) if rng.random() < 0.8 else None
        ret_channel = rng.choice(("truc_tiep", "bcci")) if returned else None
        rows.append(
            {
                "code": f"U-{i}",
                "procedure_id": rng.choice(procs).id,
                "unit_id": rng.choice(units).id,
                **Dossier.as_recorded(channel, received, ret_channel, returned),
            }
        )
    db.session.execute(insert(Dossier), rows)
    db.session.commit()
    return rng, units, procs


def _kept_per_unit(model, date_column):
    """``{(date, unit_id, procedure_id): (received, …)}`` as a tally holds them."""
    return {
        (r[0], r[1], r[2]): tuple(r[3:])
        for r in db.session.execute(
            select(
                date_column,
                model.unit_id,
                model.procedure_id,
                *(getattr(model, c) for c in tally.COUNTS),
            )
        )
    }


def test_the_tallies_count_each_units_dossiers_on_its_own_rows(app):
    _rng, units, procs = _several_units_dataset(400)
    assert tally.differences() == []
    # Each unit's rows add up to a plain count of its dossiers.
    for unit in units:
        received = db.session.execute(
            select(func.coalesce(func.sum(DossierMonthTally.received), 0)).where(
                DossierMonthTally.unit_id == unit.id
            )
        ).scalar_one()
        plain = db.session.execute(
            select(func.count()).where(
                Dossier.unit_id == unit.id, Dossier.receive_date.is_not(None)
            )
        ).scalar_one()
        assert received == plain > 0
    # A dossier moved to another unit (and procedure) moves its counts; an ORM dossier of a
    # unit counts there.
    moved = db.session.execute(select(Dossier.id).where(Dossier.unit_id == units[0].id)).scalar()
    with tally.changing([moved]):
        db.session.execute(
            update(Dossier)
            .where(Dossier.id == moved)
            .values(unit_id=units[1].id, procedure_id=procs[0].id)
            .execution_options(synchronize_session=False)
        )
    d = f.dossier(procs[1], date(2024, 3, 4))
    d.unit_id = units[2].id
    db.session.flush()
    assert tally.differences() == []
    day = _kept_per_unit(DossierDayTally, DossierDayTally.day)
    assert day[(date(2024, 3, 4), units[2].id, procs[1].id)][0] >= 1
    # Rebuilt from the dossiers: the same rows.
    before = [
        _kept_per_unit(m, c)
        for m, c in (
            (DossierDayTally, DossierDayTally.day),
            (DossierTenDayTally, DossierTenDayTally.tenday),
            (DossierMonthTally, DossierMonthTally.month),
        )
    ]
    tally.rebuild()
    after = [
        _kept_per_unit(m, c)
        for m, c in (
            (DossierDayTally, DossierDayTally.day),
            (DossierTenDayTally, DossierTenDayTally.tenday),
            (DossierMonthTally, DossierMonthTally.month),
        )
    ]
    assert before == after
    assert {k[1] for k in after[2]} == {u.id for u in units}


def _plain(unit_id, *conditions):
    return db.session.execute(
        select(func.count()).where(Dossier.unit_id == unit_id, *conditions)
    ).scalar_one()


def test_an_import_counts_its_dossiers_in_their_unit(app):
    """The import writes each dossier's unit (``--unit``, here the commune's): its dossiers are
    counted there (the set-wise counting of ``tally.count_in``)."""
    _first, commune, _province = _units()
    f.procedure(code="1.000777")
    db.session.commit()
    report = f.dossiers_imported(
        "000.00.22.H56-240301-0001,1.000777,01/03/2024,bcci,05/03/2024,bcci",
        "000.00.22.H56-240301-0002,1.000777,02/03/2024,truc_tiep,,",
        user=f.user("centre"),
        unit=commune.id,
    )
    assert report.ok and report.created == 2
    assert tally.differences() == []
    kept = db.session.execute(select(DossierMonthTally.unit_id, DossierMonthTally.received)).all()
    assert [tuple(r) for r in kept] == [(commune.id, 2)]
    assert _plain(commune.id, and_(Dossier.receive_date >= date(2024, 3, 1))) == 2
