"""What is left to reconcile (utils/reconcile.py), kept by triggers, always equals a count over the
dossiers and shipments, whichever way they change; the reconciliation's numbers equal plain counts
(the oracle below is the query the page ran on every visit before the counts were kept)."""

import random
from datetime import date

from sqlalchemy import and_, delete, exists, func, or_, select, update

from blueprints.dossiers.services import create_dossier
from blueprints.postal import services as postal
from extensions import db
from models import Dossier, Procedure, ReconcileTally, Shipment
from tests import factories as f
from utils import reconcile

KEYS = ("unlogged_receive", "unlogged_return", "ineligible")


def plain_by_department(unit_id=None):
    """The reconciliation's counts per department over the unit's dossiers and shipments (every
    unit's when ``None``), as the page counted them before they were kept per unit."""
    out = {}

    def unit(column):
        return [column == unit_id] if unit_id is not None else []

    for direction, key, src in (
        ("tiep_nhan", "unlogged_receive", Dossier.receive_channel_src),
        ("tra_ket_qua", "unlogged_return", Dossier.return_channel_src),
    ):
        has_record = exists().where(
            Shipment.dossier_id == Dossier.id, Shipment.direction == direction
        )
        stmt = (
            select(Procedure.department_id, func.count())
            .select_from(Dossier)
            .join(Procedure, Procedure.id == Dossier.procedure_id)
            .where(src == "bcci", ~has_record, *unit(Dossier.unit_id))
            .group_by(Procedure.department_id)
        )
        for dept, n in db.session.execute(stmt):
            out.setdefault(dept, dict.fromkeys(KEYS, 0))[key] = n
    stmt = (
        select(Procedure.department_id, func.count())
        .select_from(Shipment)
        .join(Dossier, Dossier.id == Shipment.dossier_id)
        .join(Procedure, Procedure.id == Dossier.procedure_id)
        .where(
            Shipment.cancelled.is_(False),
            or_(
                and_(Shipment.direction == "tiep_nhan", Procedure.eligible_receive.is_(False)),
                and_(Shipment.direction == "tra_ket_qua", Procedure.eligible_return.is_(False)),
            ),
            *unit(Shipment.unit_id),
        )
        .group_by(Procedure.department_id)
    )
    for dept, n in db.session.execute(stmt):
        out.setdefault(dept, dict.fromkeys(KEYS, 0))["ineligible"] = n
    return {d: v for d, v in out.items() if any(v.values())}


def assert_right():
    assert reconcile.differences() == []
    rows, totals = postal.reconciliation_by_department()
    kept = {
        r["department_id"]: {k: r[k] for k in ("unlogged_receive", "unlogged_return", "ineligible")}
        for r in rows
    }
    assert kept == plain_by_department()
    for dept in kept:
        dept_rows, _ = postal.reconciliation_by_department(dept)
        assert [{k: r[k] for k in kept[dept]} for r in dept_rows] == [kept[dept]]


def test_every_way_dossiers_and_shipments_change_keeps_the_counts_right(app):
    a = f.procedure(code="1.000001", receive=True, ret=False)
    b = f.procedure(code="1.000002", receive=False, ret=True)
    user = f.user("centre")
    db.session.commit()
    assert reconcile.kept() == {}
    # Dossiers said to be by post: created on the form, imported, re-imported with other
    # channels and procedures, a refused file.
    d1 = create_dossier("000.00.22.H56-240201-0001", a, "bcci", date(2024, 2, 1), user=user)
    f.dossier(b, date(2024, 1, 3), channel="bcci", returned=date(2024, 1, 9), return_channel="bcci")
    assert_right()
    assert reconcile.kept()[a.id][0] == 1
    report = f.dossiers_imported(
        "000.00.22.H56-240301-0001,1.000001,01/03/2024,bcci,05/03/2024,bcci",
        "000.00.22.H56-240301-0002,1.000001,01/03/2024,truc_tiep,,",
        "000.00.22.H56-240301-0003,1.000002,31/03/2024,truc_tuyen,01/04/2024,bcci",
        user=user,
    )
    assert report.ok
    assert_right()
    report = f.dossiers_imported(
        "000.00.22.H56-240301-0001,1.000002,01/03/2024,truc_tiep,05/03/2024,bcci",
        "000.00.22.H56-240301-0002,1.000001,01/03/2024,bcci,,",
        "000.00.22.H56-240301-0003,1.000001,31/03/2024,bcci,01/04/2024,truc_tiep",
        user=user,
    )
    assert report.ok and report.updated == 3
    assert_right()
    db.session.commit()
    before = reconcile.kept()
    refused = f.dossiers_imported(
        "000.00.22.H56-240301-0004,1.000001,01/03/2024,bcci,,",
        "000.00.22.H56-240301-0005,9.999999,01/03/2024,bcci,,",
        user=user,
    )
    assert not refused.ok
    db.session.rollback()
    assert reconcile.kept() == before
    # Shipments: the first record takes a dossier out, a second one changes nothing, a record
    # moved to another dossier or direction puts the first back, cancelling keeps the record
    # (still logged) but it no longer counts as a live shipment.
    d2 = f.stored_dossier("000.00.22.H56-240301-0002")
    s1 = f.logged_shipment(d1, "tiep_nhan", date(2024, 2, 1), user)
    assert_right()
    f.logged_shipment(d1, "tiep_nhan", date(2024, 2, 2), user)
    assert_right()
    postal.update_shipment(s1, {"dossier_id": d2.id}, "nhầm hồ sơ", user=user)
    assert_right()
    postal.cancel_shipment(s1, "hủy", user=user)
    assert_right()
    # A postal manifest, for dossiers of a procedure not flagged eligible in that direction.
    report = f.manifest_imported(
        f"{f.tracking_number()},tiep_nhan,000.00.22.H56-240301-0001,01/03/2024",
        f"{f.tracking_number()},tra_ket_qua,000.00.22.H56-240301-0002,03/04/2024",
        user=user,
    )
    assert report.ok, report.errors
    assert_right()
    # A procedure's flag changed: the kept counts need no recount.
    b.eligible_receive = True
    a.eligible_return = True
    db.session.flush()
    assert_right()
    # Objects changed and deleted; rows written by statements (as the imports write them).
    d1.procedure = b
    db.session.flush()
    assert_right()
    other = f.dossier(a, date(2024, 5, 5), channel="bcci")
    db.session.flush()
    assert_right()
    db.session.delete(other)
    db.session.flush()
    assert_right()
    f.dossiers_inserted(a, [date(2024, 6, day) for day in (1, 2, 3)])
    assert_right()
    ids = [s.id for s in d1.shipments]
    db.session.execute(
        update(Shipment)
        .where(Shipment.id.in_(ids))
        .values(direction="tra_ket_qua")
        .execution_options(synchronize_session=False)
    )
    assert_right()
    db.session.execute(
        delete(Shipment).where(Shipment.id.in_(ids)).execution_options(synchronize_session=False)
    )
    assert_right()
    db.session.commit()
    assert_right()


def test_random_changes_keep_the_counts_equal_to_plain_counts(app):
    rng = random.Random(15)
    procs = [
        f.procedure(code=f"2.00000{i}", receive=rng.random() < 0.5, ret=rng.random() < 0.5)
        for i in range(5)
    ]
    channels = ("truc_tiep", "truc_tuyen", "bcci")
    dossiers = [
        f.dossier(
            rng.choice(procs),
            date(2024, rng.randint(1, 12), rng.randint(1, 28)),
            channel=rng.choice(channels),
            returned=date(2025, 1, 2),
            return_channel=rng.choice(channels),
        )
        for _ in range(60)
    ]
    db.session.flush()
    shipments = []
    for _ in range(80):
        choice = rng.random()
        if choice < 0.4:
            shipments.append(
                f.shipment(
                    rng.choice(dossiers),
                    rng.choice(("tiep_nhan", "tra_ket_qua")),
                    cancelled=rng.random() < 0.2,
                )
            )
        elif choice < 0.55 and shipments:
            s = rng.choice(shipments)
            s.cancelled = not s.cancelled
        elif choice < 0.7 and shipments:
            s = rng.choice(shipments)
            s.dossier = rng.choice(dossiers)
        elif choice < 0.8 and shipments:
            s = shipments.pop(rng.randrange(len(shipments)))
            db.session.delete(s)
        elif choice < 0.9:
            d = rng.choice(dossiers)
            d.receive_channel_src = rng.choice(channels)
            d.return_channel_src = rng.choice(channels)
        else:
            rng.choice(dossiers).procedure = rng.choice(procs)
        db.session.flush()
    assert_right()
    db.session.commit()
    # A recount gives what the triggers kept.
    before = reconcile.kept()
    reconcile.rebuild()
    assert reconcile.kept() == before


def test_tally_check_reports_and_rebuild_recounts_the_reconciliation(app, runner):
    a = f.procedure(code="1.000001", receive=True)
    f.dossier(a, date(2024, 1, 5), channel="bcci")
    db.session.commit()
    assert runner.invoke(args=["tally", "check"]).exit_code == 0
    db.session.execute(
        update(ReconcileTally).values(unlogged_receive=ReconcileTally.unlogged_receive + 3)
    )
    db.session.commit()
    result = runner.invoke(args=["tally", "check"])
    assert result.exit_code == 1 and "reconcile_tally" in result.output
    assert runner.invoke(args=["tally", "rebuild"]).exit_code == 0
    db.session.expire_all()
    assert reconcile.differences() == [] and reconcile.kept() == {a.id: (1, 0, 0, 0)}
