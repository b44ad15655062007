"""The shipments counted per date, procedure, direction and status (utils/shipment_tally.py), kept
by triggers, always equal a count over the shipments, whichever way they change; the shipment
list's totals read from them equal plain COUNT/SUM queries over the shipments (the oracle below
is the query the list ran on every visit before the counts were kept), for every filter the
page's links and form produce."""

import itertools
import random
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, event, func, select, update

from blueprints.dossiers.services import create_dossier, import_dossiers
from blueprints.postal import services as postal
from extensions import db
from models import Shipment, ShipmentDayTally, ShipmentMonthTally
from tests import factories as f
from utils import shipment_tally
from utils.dates import Period

DOSSIER_HEADER = "ma_ho_so,ma_tthc,ngay_tiep_nhan,kenh_tiep_nhan,ngay_tra,kenh_tra\n"
MANIFEST_HEADER = "so_hieu_buu_gui,chieu,ma_ho_so,ngay,cuoc_phi\n"
PERIODS = (
    None,
    Period(date(2024, 1, 1), date(2024, 12, 31)),  # whole months
    Period(date(2024, 2, 1), date(2024, 2, 29)),  # one month
    Period(date(2024, 1, 15), date(2024, 3, 10)),  # a month and the days around it
    Period(date(2024, 3, 5), date(2024, 3, 5)),  # a day
    Period(date(2024, 2, 11), date(2024, 4, 20)),  # ten-day parts and months
)
DIRECTIONS = ("", "tiep_nhan", "tra_ket_qua")


def plain_totals(filters):
    """The list's totals counted over every shipment, as the list counted them before."""
    return postal.shipment_totals(filters.conditions(), joined=True)


def filter_combinations(departments, fields, every=False, rng=None):
    """The list's filters: every direction, period and status, each with no department or
    field, a department, a field, and both (``every``); or an eighth of them at random."""
    on_procedure = [(None, None), (departments[0], None), (None, fields[-1])]
    on_procedure.append((departments[-1], fields[0]))
    combos = list(itertools.product(DIRECTIONS, PERIODS, ("", *postal.STATUSES), on_procedure))
    if not every:
        combos = (rng or random.Random(1)).sample(combos, len(combos) // 8)
    for direction, period, status, (department, field) in combos:
        yield postal.ShipmentFilters(
            direction=direction,
            period=period,
            department_id=department,
            field_id=field,
            status=status,
        )


def assert_right(departments=(), fields=(), every=False):
    assert shipment_tally.differences() == []
    for filters in filter_combinations(departments, fields, every):
        assert postal.list_totals(filters) == plain_totals(filters), filters


def kept_rows():
    return {
        model.__tablename__: sorted(tuple(r) for r in db.session.execute(select(model.__table__)))
        for model in (ShipmentDayTally, ShipmentMonthTally)
    }


def catalogue():
    """Two departments and fields, four procedures eligible or not (each department and field
    with eligible and ineligible ones): ``(departments, fields, procedures)``."""
    departments = [f.department(), f.department()]
    fields = [f.field(), f.field()]
    procs = [
        f.procedure(
            code=f"1.00000{i}",
            department_=departments[i % 2],
            field_=fields[i // 2],
            receive=i % 2 == 0,
            ret=i != 1,
        )
        for i in range(4)
    ]
    return departments, fields, procs


def random_shipment(rng, dossiers, when, fees, check_digit=False):
    """A new shipment of a dossier drawn from ``dossiers``, dated ``when(dossier)``, its
    direction, cancellation, fee (one of ``fees``) and warnings (a wrong check digit too with
    ``check_digit``) drawn from ``rng``, for the tests of random changes."""
    dossier = rng.choice(dossiers)
    direction = rng.choice(("tiep_nhan", "tra_ket_qua"))
    day = when(dossier)
    cancelled = rng.random() < 0.2
    fee = rng.choice(fees)
    warnings = {"check_digit_warning": rng.random() < 0.2} if check_digit else {}
    warnings["eligibility_warning"] = rng.random() < 0.3
    return f.shipment(dossier, direction, when=day, cancelled=cancelled, fee=fee, **warnings)


@pytest.fixture()
def setting(app):
    """The ``catalogue`` and a centre user."""
    departments, fields, procs = catalogue()
    user = f.user("centre")
    db.session.commit()
    return departments, fields, procs, user


def manifest(rows):
    """A postal manifest of ``(number, direction, code, day, fee)``."""
    lines = [f"{n},{d},{code},{day:%d/%m/%Y},{fee}" for n, d, code, day, fee in rows]
    return (MANIFEST_HEADER + "\n".join(lines) + "\n").encode()


@pytest.mark.slow
def test_every_way_shipments_change_keeps_the_counts_and_totals_right(setting):
    departments, fields, procs, user = setting
    ids = ([d.id for d in departments], [x.id for x in fields])
    assert shipment_tally.kept() == {}
    d1 = create_dossier("000.00.22.H56-240201-0001", procs[0], "bcci", date(2024, 2, 1), user=user)
    d2 = create_dossier("000.00.22.H56-240301-0002", procs[1], "bcci", date(2024, 3, 1), user=user)
    # Logged on the form (one with a wrong check digit confirmed, one without a fee).
    s1 = postal.log_shipment(
        tracking_number=f.tracking_number(),
        direction="tiep_nhan",
        dossier=d1,
        date=date(2024, 2, 1),
        fee=25000,
        user=user,
    )
    wrong = f.tracking_number()
    wrong = wrong[:10] + str((int(wrong[10]) + 1) % 10) + wrong[11:]
    postal.log_shipment(
        tracking_number=wrong,
        direction="tiep_nhan",
        dossier=d2,
        date=date(2024, 3, 5),
        confirm_check_digit=True,
        fee=18000,
        user=user,
    )
    s3 = postal.log_shipment(
        tracking_number=f.tracking_number(),
        direction="tra_ket_qua",
        dossier=d2,
        date=date(2024, 3, 9),
        user=user,
    )
    assert_right(*ids)
    assert postal.list_totals(postal.ShipmentFilters())["check_digit_warnings"] == 1
    # Edited: date into another month, fee, moved to another dossier; cancelled.
    postal.update_shipment(s1, {"date": date(2024, 1, 20), "fee": 30000}, "sửa", user=user)
    assert_right(*ids)
    postal.update_shipment(s3, {"dossier_id": d1.id}, "nhầm hồ sơ", user=user)
    assert_right(*ids)
    postal.cancel_shipment(s1, "hủy", user=user)
    assert_right(*ids)
    # A manifest: new shipments and one already logged, changed.
    report = postal.import_postal(
        "m.csv",
        manifest(
            [
                (f.tracking_number(), "tiep_nhan", d2.code, date(2024, 3, 2), "20.000"),
                (f.tracking_number(), "tra_ket_qua", d1.code, date(2024, 2, 28), ""),
                (s3.tracking_number, "tra_ket_qua", d1.code, date(2024, 3, 10), "15.000"),
            ]
        ),
        user=user,
    )
    assert report.ok and report.created == 2 and report.updated == 1, report.errors
    assert_right(*ids)
    db.session.commit()
    # A dossier moved to another procedure (on the dossier import) takes its shipments along.
    report = import_dossiers(
        "d.csv",
        (DOSSIER_HEADER + f"{d2.code},{procs[3].code},01/03/2024,bcci,,\n").encode(),
        user=user,
    )
    assert report.ok and report.updated == 1, report.errors
    assert_right(*ids)
    d1.procedure = procs[2]  # and as an object
    db.session.flush()
    assert_right(*ids)
    # A procedure's flag changed: the totals read it now, no recount.
    procs[2].eligible_return = False
    db.session.flush()
    assert_right(*ids)
    # Rows changed and deleted by statements, and as objects.
    db.session.execute(
        update(Shipment)
        .where(Shipment.dossier_id == d1.id)
        .values(direction="tiep_nhan", eligibility_warning=True, date=Shipment.date)
        .execution_options(synchronize_session=False)
    )
    assert_right(*ids)
    db.session.execute(
        update(Shipment).values(recipient_name="").execution_options(synchronize_session=False)
    )
    assert_right(*ids)
    db.session.expire_all()
    db.session.delete(db.session.get(Shipment, s3.id))
    db.session.flush()
    assert_right(*ids)
    db.session.execute(
        delete(Shipment)
        .where(Shipment.dossier_id == d2.id)
        .execution_options(synchronize_session=False)
    )
    assert_right(*ids)
    db.session.commit()
    assert_right(*ids, every=True)


@pytest.mark.slow
def test_a_refused_or_failing_import_changes_no_count(setting, monkeypatch):
    departments, fields, procs, user = setting
    dossiers = [
        f.dossier(procs[i % 4], date(2024, 1, 1) + timedelta(days=i), channel="bcci")
        for i in range(40)
    ]
    report = postal.import_postal(
        "a.csv",
        manifest(
            (f.tracking_number(), "tiep_nhan", d.code, d.receive_date, "25.000")
            for d in dossiers[:20]
        ),
        user=user,
    )
    assert report.ok
    db.session.commit()
    before = kept_rows()
    stored = db.session.execute(select(func.count()).select_from(Shipment)).scalar_one()
    # Refused: a row names a dossier nobody knows.
    refused = postal.import_postal(
        "b.csv",
        manifest(
            [
                (f.tracking_number(), "tiep_nhan", dossiers[30].code, date(2024, 2, 1), ""),
                (
                    f.tracking_number(),
                    "tiep_nhan",
                    "000.00.22.H56-990101-0001",
                    date(2024, 2, 1),
                    "",
                ),
            ]
        ),
        user=user,
    )
    assert not refused.ok
    db.session.rollback()
    assert kept_rows() == before

    # Failing after its rows are written (the audit is written last), then rolled back.
    class Boom(Exception):
        pass

    written = []

    def fail(*args, **kwargs):
        written.append(
            db.session.execute(select(func.count()).select_from(Shipment)).scalar_one() - stored
        )
        raise Boom()

    monkeypatch.setattr(postal.audit, "record_import", fail)
    with pytest.raises(Boom):
        postal.import_postal(
            "c.csv",
            manifest(
                (f.tracking_number(), "tra_ket_qua", d.code, d.receive_date, "20.000")
                for d in dossiers[20:]
            ),
            user=user,
        )
    assert written == [20]
    db.session.rollback()
    monkeypatch.undo()
    assert kept_rows() == before
    assert_right([d.id for d in departments], [x.id for x in fields], every=True)
    # The triggers still count what changes next, an import's inserts too.
    report = postal.import_postal(
        "d.csv",
        manifest(
            (f.tracking_number(), "tra_ket_qua", d.code, d.receive_date, "20.000")
            for d in dossiers[20:]
        ),
        user=user,
    )
    assert report.ok and report.created == 20
    postal.log_shipment(
        tracking_number=f.tracking_number(),
        direction="tiep_nhan",
        dossier=dossiers[25],
        date=date(2024, 3, 1),
        user=user,
    )
    db.session.commit()
    assert kept_rows() != before
    assert_right([d.id for d in departments], [x.id for x in fields])


@pytest.mark.slow
def test_random_changes_keep_the_counts_equal_to_plain_counts(setting):
    departments, fields, procs, user = setting
    rng = random.Random(15)
    dossiers = [
        f.dossier(rng.choice(procs), date(2024, 1, 1) + timedelta(days=rng.randrange(150)))
        for _ in range(40)
    ]
    shipments = []
    for _ in range(120):
        choice = rng.random()
        if choice < 0.4 or not shipments:
            shipments.append(
                random_shipment(
                    rng,
                    dossiers,
                    lambda d: d.receive_date + timedelta(days=rng.randrange(40)),
                    (None, 15000, 25000),
                    check_digit=True,
                )
            )
        elif choice < 0.5:
            s = rng.choice(shipments)
            s.cancelled = not s.cancelled
        elif choice < 0.6:
            rng.choice(shipments).dossier = rng.choice(dossiers)
        elif choice < 0.7:
            rng.choice(shipments).date += timedelta(days=rng.randrange(-40, 40))
        elif choice < 0.75:
            s = rng.choice(shipments)
            s.fee = rng.choice((None, 1, 99000))
            s.check_digit_warning = not s.check_digit_warning
        elif choice < 0.85:
            db.session.delete(shipments.pop(rng.randrange(len(shipments))))
        else:
            rng.choice(dossiers).procedure = rng.choice(procs)
        db.session.flush()
    assert_right([d.id for d in departments], [x.id for x in fields], every=True)
    db.session.commit()
    # A recount gives what the triggers kept.
    before = shipment_tally.kept()
    shipment_tally.rebuild()
    assert shipment_tally.kept() == before


def totals_shown(html):
    block = html.split('data-testid="shipment-totals"', 1)[1].split("<p ", 1)[0]
    return re.findall(r'fw-semibold">([^<]*)<', block)


def test_the_list_shows_the_kept_totals(setting, client):
    departments, fields, procs, user = setting
    d = f.dossier(procs[0], date(2024, 2, 1), channel="bcci")
    for day, fee in ((date(2024, 2, 1), 25000), (date(2024, 2, 3), 12000)):
        f.shipment(d, "tiep_nhan", when=day, fee=fee)
    db.session.commit()
    # Counted behind the list's back: a row of the kept counts changed.
    db.session.execute(
        update(ShipmentMonthTally).values(shipments=ShipmentMonthTally.shipments + 5)
    )
    db.session.commit()
    client.post("/login", data={"username": user.username, "password": f.PASSWORD})
    r = client.get("/shipments", headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert totals_shown(r.text)[0] == "7"  # the kept number, not a count over the shipments
    r = client.get("/shipments?q=000.00", headers={"HX-Request": "true"})
    assert totals_shown(r.text)[0] == "2"  # a search is counted over what it finds


def test_tally_check_reports_and_rebuild_recounts_the_shipment_counts(setting, runner):
    _departments, _fields, procs, _user = setting
    d = f.dossier(procs[0], date(2024, 2, 1), channel="bcci")
    f.shipment(d, "tiep_nhan", fee=25000)
    db.session.commit()
    assert runner.invoke(args=["tally", "check"]).exit_code == 0
    db.session.execute(update(ShipmentDayTally).values(fees=ShipmentDayTally.fees + 1))
    db.session.commit()
    result = runner.invoke(args=["tally", "check"])
    assert result.exit_code == 1 and "shipment_day_tally" in result.output
    assert runner.invoke(args=["tally", "rebuild"]).exit_code == 0
    db.session.expire_all()
    assert shipment_tally.differences() == []
    assert set(shipment_tally.kept().values()) == {(1, 25000)}


def _traced_shipment_inserts(run):
    """How many times SQLite runs ``INSERT INTO shipment`` (once per row, and again for each
    statement of each trigger program it runs for the row) while ``run()`` runs."""
    raw = db.session.connection().connection.driver_connection
    traced = []
    raw.set_trace_callback(traced.append)
    try:
        result = run()
    finally:
        raw.set_trace_callback(None)
    return result, sum(1 for s in traced if re.match(r'\s*INSERT INTO "?shipment"? \(', s, re.I))


@pytest.mark.sqlite_only
def test_on_sqlite_a_manifest_import_counts_its_rows_in_one_statement(setting):
    """The import drops the per-row insert trigger for its insert and counts the new shipments
    set-wise in the same transaction; the trigger is back afterwards, as it was."""
    departments, fields, procs, user = setting
    dossiers = [f.dossier(procs[i % 4], date(2024, 1, 2 + i), channel="bcci") for i in range(20)]
    db.session.commit()
    conn = db.session.connection()
    stored_sql = "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?"
    trigger_sql = conn.exec_driver_sql(stored_sql, (shipment_tally.INSERT_TRIGGER,)).scalar()
    # What one row costs without the trigger (the reconciliation's own trigger still runs).
    conn.exec_driver_sql(f"DROP TRIGGER {shipment_tally.INSERT_TRIGGER}")
    _, per_row = _traced_shipment_inserts(lambda: f.shipment(dossiers[0], "tra_ket_qua"))
    db.session.rollback()
    _, with_trigger = _traced_shipment_inserts(lambda: f.shipment(dossiers[0], "tra_ket_qua"))
    db.session.rollback()
    assert with_trigger > per_row  # the trace shows the trigger's statements
    report, traced = _traced_shipment_inserts(
        lambda: postal.import_postal(
            "a.csv",
            manifest(
                (f.tracking_number(), "tiep_nhan", d.code, d.receive_date, "25.000")
                for d in dossiers
            ),
            user=user,
        )
    )
    assert report.ok and report.created == 20
    assert traced == 20 * per_row
    db.session.commit()
    conn = db.session.connection()
    assert (
        conn.exec_driver_sql(stored_sql, (shipment_tally.INSERT_TRIGGER,)).scalar() == trigger_sql
    )
    assert_right([d.id for d in departments], [x.id for x in fields])


def test_on_postgresql_a_manifest_import_inserts_its_rows_in_one_statement(setting):
    """On PostgreSQL the shipments' trigger runs once per statement: the import copies its new
    rows into a scratch table and moves them with one INSERT … SELECT, never a statement a
    row (an executemany), so the trigger counts them all at once."""
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("on SQLite the import counts its rows with inserting_many (test above)")
    departments, fields, procs, user = setting
    dossiers = [f.dossier(procs[i % 4], date(2024, 1, 2 + i), channel="bcci") for i in range(20)]
    db.session.commit()
    inserts = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if re.match(r'\s*INSERT INTO "?shipment"? \(', statement, re.I):
            inserts.append(executemany)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        report = postal.import_postal(
            "a.csv",
            manifest(
                (f.tracking_number(), "tiep_nhan", d.code, d.receive_date, "25.000")
                for d in dossiers
            ),
            user=user,
        )
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert report.ok and report.created == 20
    assert inserts == [False]
    db.session.commit()
    assert_right([d.id for d in departments], [x.id for x in fields])
    stored = db.session.execute(
        select(Shipment).where(Shipment.dossier_id == dossiers[3].id)
    ).scalar_one()
    assert (stored.cancelled, stored.cancel_reason, stored.fee) == (False, "", 25000)
