"""What is left to reconcile and the shipment counts are kept per unit (docs/units.md,
docs/figures.md): on a province of three units, whichever way dossiers and shipments change
(the forms' services, the imports, statements, a dossier or a shipment moved to another unit by
hand), each unit's kept counts equal plain counts over that unit's rows, the province's equal
plain counts over every row, and the units add up to the province; so does each unit's number
of dossiers on the Units screen. A unit's reconciliation,
shipment list totals and reconciliation list count are read from the kept counts, not from the
dossiers and shipments."""

import random
from datetime import date

import pytest
from sqlalchemy import func, select, update

from blueprints.dossiers import services as dossiers
from blueprints.postal import services as postal
from extensions import db
from models import FIRST_UNIT_ID, Dossier, Procedure, Shipment
from tests import factories as f
from tests.statements import recorded
from tests.test_reconcile_tally import KEYS, plain_by_department
from tests.test_shipment_tally import catalogue, filter_combinations, random_shipment
from utils import reconcile, shipment_tally
from utils.dates import Period
from utils.units import create_unit, dossiers_per_unit

CHANNELS = ("truc_tiep", "truc_tuyen", "bcci")


def kept_reconciliation(unit_id):
    rows, _totals = postal.reconciliation_by_department(unit_id=unit_id)
    return {r["department_id"]: {k: r[k] for k in KEYS} for r in rows}


def assert_right(units, departments, fields, rng):
    """Every unit's and the province's kept counts equal plain counts; the units add up."""
    assert reconcile.differences() == []
    assert shipment_tally.differences() == []
    plain = select(Dossier.unit_id, func.count()).group_by(Dossier.unit_id)
    with recorded() as seen:
        kept = dossiers_per_unit()
    assert kept == dict(db.session.execute(plain).all())
    assert not any("FROM dossier " in s and "IS NULL" not in s for s in seen), seen
    province = kept_reconciliation(None)
    assert province == plain_by_department(None)
    summed = {}
    for unit_id in units:
        with recorded() as seen:
            kept = kept_reconciliation(unit_id)
        assert kept == plain_by_department(unit_id), unit_id
        assert not any("FROM shipment" in s or "FROM dossier" in s for s in seen), seen
        for dept, values in kept.items():
            for k, n in values.items():
                summed.setdefault(dept, dict.fromkeys(KEYS, 0))[k] += n
    assert summed == province
    per_unit = {(u, p): v for u in units for p, v in reconcile.kept(u).items()}
    assert reconcile.per_procedure(per_unit) == reconcile.kept()
    for filters in filter_combinations(departments, fields, rng=rng):
        province_totals = postal.list_totals(filters)
        assert province_totals == postal.shipment_totals(filters.conditions()), filters
        summed = dict.fromkeys(province_totals, 0)
        for unit_id in units:
            filters.unit_id = unit_id
            with recorded() as seen:
                totals = postal.list_totals(filters)
            assert totals == postal.shipment_totals(filters.conditions()), filters
            assert all("shipment_" in s and "_tally" in s for s in seen), seen
            for k, n in totals.items():
                summed[k] += n
        filters.unit_id = None
        assert summed == province_totals, filters


@pytest.fixture()
def province(app):
    """Three units (the first and two communes), the shipment tally tests' ``catalogue``, and
    dossiers of every unit over 2024, some said to be by post."""
    second = create_unit("XA02", "Xã Hai", "xa")
    third = create_unit("XA03", "Xã Ba", "xa")
    units = (FIRST_UNIT_ID, second.id, third.id)
    departments, fields, procs = catalogue()
    rng = random.Random(18)
    made = [
        f.dossier(
            rng.choice(procs),
            date(2024, rng.randint(1, 12), rng.randint(1, 28)),
            channel=rng.choice(CHANNELS),
            returned=date(2024, 12, 30),
            return_channel=rng.choice(CHANNELS),
            unit_id=units[n % 3],
        )
        for n in range(36)
    ]
    # A dossier without a receive date: on no tally, still one of its unit's dossiers.
    made.append(f.dossier(procs[0], None, code="000.00.22.H56-NODATE", unit_id=third.id))
    db.session.commit()
    return units, [d.id for d in departments], [x.id for x in fields], procs, made, rng


def test_every_units_kept_counts_equal_plain_counts_and_add_up_to_the_province(province):
    units, departments, fields, procs, made, rng = province
    assert_right(units, departments, fields, rng)
    shipments = []
    for _ in range(50):
        choice = rng.random()
        if choice < 0.4 or not shipments:
            shipments.append(
                random_shipment(
                    rng,
                    made,
                    lambda _d: date(2024, rng.randint(1, 12), rng.randint(1, 28)),
                    (None, 18000, 25000),
                )
            )
        elif choice < 0.5:
            s = rng.choice(shipments)
            s.cancelled = not s.cancelled
        elif choice < 0.6:  # moved to another dossier of the same unit
            s = rng.choice(shipments)
            s.dossier_id = rng.choice([d for d in made if d.unit_id == s.unit_id] or made).id
        elif choice < 0.67:  # a shipment moved to another unit by hand
            rng.choice(shipments).unit_id = rng.choice(units)
        elif choice < 0.74:  # a dossier moved to another unit by hand
            rng.choice(made).unit_id = rng.choice(units)
        elif choice < 0.82:
            d = rng.choice(made)
            d.receive_channel_src = rng.choice(CHANNELS)
            d.return_channel_src = rng.choice(CHANNELS)
        elif choice < 0.9:
            rng.choice(made).procedure = rng.choice(procs)
        else:
            db.session.delete(shipments.pop(rng.randrange(len(shipments))))
        db.session.flush()
    assert_right(units, departments, fields, rng)
    # Statements over many rows; the imports into a unit (their one-statement counts on SQLite).
    db.session.execute(
        update(Shipment)
        .where(Shipment.unit_id == units[1])
        .values(direction="tiep_nhan", check_digit_warning=True)
        .execution_options(synchronize_session=False)
    )
    report = f.dossiers_imported(
        "000.00.22.H56-240405-0901,1.000000,05/04/2024,bcci,,",
        "000.00.22.H56-240406-0902,1.000002,06/04/2024,bcci,07/05/2024,bcci",
        unit=units[2],
    )
    assert report.ok, report.problems
    report = postal.import_postal(
        "m.csv",
        "\n".join(
            (
                "so_hieu_buu_gui,chieu,ma_ho_so,ngay",
                f"{f.tracking_number()},tiep_nhan,000.00.22.H56-240405-0901,05/04/2024",
                f"{f.tracking_number()},tra_ket_qua,000.00.22.H56-240406-0902,07/05/2024",
                "",
            )
        ).encode(),
        unit=units[2],
    )
    assert report.ok, report.problems
    db.session.commit()
    assert_right(units, departments, fields, rng)
    # A recount gives what the triggers kept.
    before = (reconcile.kept_rows(), shipment_tally.kept())
    reconcile.rebuild()
    shipment_tally.rebuild()
    assert (reconcile.kept_rows(), shipment_tally.kept()) == before


def test_a_units_reconciliation_and_by_post_lists_are_counted_exactly_from_the_tallies(
    province, monkeypatch
):
    """A unit-bound user's list of the dossiers said to be by post with no record, and of those
    by post in a period (the reconciliation's and the procedure list's links), counts exactly
    from the kept counts, as the province's list does: never a count over the dossiers capped
    at ``COUNT_CAP``."""
    from utils import seek

    units, _departments, _fields, procs, made, _rng = province
    f.shipment(made[0], "tiep_nhan")
    db.session.commit()

    def capped(*_args):
        raise AssertionError("counted over the dossiers")

    monkeypatch.setattr(seek, "capped_count", capped)
    period = Period(date(2024, 1, 1), date(2024, 12, 31))
    for unit_id in (*units, None):
        for filters in (
            dossiers.DossierFilters(unlogged=True, unit_id=unit_id),
            dossiers.DossierFilters(unlogged=True, direction="tra_ket_qua", unit_id=unit_id),
            dossiers.DossierFilters(unlogged=True, procedure_id=procs[0].id, unit_id=unit_id),
            dossiers.DossierFilters(by_post=True, period=period, unit_id=unit_id),
        ):
            page = dossiers.search_dossiers(filters, per_page=5)
            plain = db.session.execute(
                select(func.count())
                .select_from(Dossier)
                .join(Procedure, Procedure.id == Dossier.procedure_id)
                .where(*filters.conditions())
            ).scalar_one()
            assert plain and (page.total, page.capped) == (plain, False), filters
