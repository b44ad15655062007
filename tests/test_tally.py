"""The dossier tallies (utils/tally.py) always equal a count over the dossiers, whichever way the
dossiers change, and the figures read from them equal plain counts over the dossiers for any
period."""

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import and_, func, insert, literal, select, text, union_all, update

from blueprints.dossiers.services import create_dossier
from blueprints.postal import services as postal
from extensions import db
from models import Dossier, DossierDayTally, DossierMonthTally, DossierTenDayTally, Procedure
from tests import factories as f
from utils import figures, tally
from utils.figures import counting
from utils.dates import Period


def assert_tallies_right():
    assert tally.differences() == []


def tally_rows(model):
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture()
def procs(app):
    a = f.procedure(code="1.000001", receive=True, ret=True)
    b = f.procedure(code="1.000002", receive=True, ret=False)
    db.session.commit()
    return a, b


def test_every_way_a_dossier_changes_keeps_the_tallies_right(procs):
    a, b = procs
    user = f.user("centre")
    # Objects (the log form, the factories).
    d1 = f.dossier(a, date(2024, 1, 31), returned=date(2024, 2, 2), return_channel="truc_tiep")
    create_dossier("000.00.22.H56-240201-0001", b, "truc_tuyen", date(2024, 2, 1), user=user)
    assert_tallies_right()
    assert tally_rows(DossierDayTally) == 3 and tally_rows(DossierMonthTally) == 3
    assert tally_rows(DossierTenDayTally) == 3
    # The one-stop import: new dossiers, then the same codes with other dates, channels and
    # procedure (the counts move from one row to another), then a file refused.
    report = f.dossiers_imported(
        "000.00.22.H56-240301-0001,1.000001,01/03/2024,truc_tiep,05/03/2024,truc_tiep",
        "000.00.22.H56-240301-0002,1.000001,01/03/2024,bcci,,",
        "000.00.22.H56-240301-0003,1.000002,31/03/2024,truc_tuyen,01/04/2024,bcci",
        user=user,
    )
    assert report.ok and report.created == 3
    assert_tallies_right()
    report = f.dossiers_imported(
        "000.00.22.H56-240301-0001,1.000002,02/03/2024,bcci,05/04/2024,bcci",
        "000.00.22.H56-240301-0002,1.000001,01/03/2024,truc_tiep,,",
        "000.00.22.H56-240301-0003,1.000002,31/03/2024,truc_tuyen,01/04/2024,bcci",
        user=user,
    )
    assert report.ok and report.updated == 2
    assert_tallies_right()
    db.session.commit()
    before = tally.differences(), db.session.execute(select(DossierDayTally.received)).all()
    refused = f.dossiers_imported(
        "000.00.22.H56-240301-0004,1.000001,01/03/2024,truc_tiep,,",
        "000.00.22.H56-240301-0005,9.999999,01/03/2024,truc_tiep,,",
        user=user,
    )
    assert not refused.ok
    db.session.rollback()
    assert (
        tally.differences(),
        db.session.execute(select(DossierDayTally.received)).all(),
    ) == before
    # Shipments: logged (the effective channel becomes bcci), moved to another dossier, cancelled.
    d2 = f.stored_dossier("000.00.22.H56-240301-0002")
    s = f.logged_shipment(d1, "tra_ket_qua", date(2024, 3, 3), user)
    assert_tallies_right()
    # Moved to another dossier and another day at once: both the dossier and the day counts move.
    postal.update_shipment(
        s, {"dossier_id": d2.id, "date": date(2024, 3, 5)}, "nhầm hồ sơ", user=user
    )
    assert_tallies_right()
    postal.cancel_shipment(s, "hủy", user=user)
    assert_tallies_right()
    # A postal manifest.
    report = f.manifest_imported(
        f"{f.tracking_number()},tiep_nhan,{d1.code},31/01/2024",
        f"{f.tracking_number()},tra_ket_qua,000.00.22.H56-240301-0003,03/04/2024",
        user=user,
    )
    assert report.ok, report.errors
    assert_tallies_right()
    # Objects changed and deleted.
    d1.receive_date = date(2023, 12, 30)
    d1.procedure = b
    db.session.flush()
    assert_tallies_right()
    other = f.dossier(a, date(2024, 5, 5))
    db.session.delete(other)
    db.session.flush()
    assert_tallies_right()
    # Rows inserted through the session as a list.
    f.dossiers_inserted(a, [date(2024, 6, day) for day in (1, 2, 3)])
    assert_tallies_right()
    # Rows emptied of every dossier are deleted, not kept at zero.
    assert (
        db.session.execute(
            select(func.count())
            .select_from(DossierDayTally)
            .where(DossierDayTally.received == 0, DossierDayTally.returned == 0)
        ).scalar_one()
        == 0
    )
    db.session.commit()
    assert_tallies_right()


def test_a_bulk_update_of_dossiers_outside_changing_is_refused(procs):
    a, _ = procs
    d = f.dossier(a, date(2024, 1, 5))
    db.session.commit()
    with pytest.raises(RuntimeError, match="tally"):
        db.session.execute(update(Dossier).where(Dossier.id == d.id).values(receive_channel="bcci"))
    db.session.rollback()
    with tally.changing([d.id]):
        db.session.execute(update(Dossier).where(Dossier.id == d.id).values(receive_channel="bcci"))
    assert_tallies_right()
    assert db.session.execute(select(DossierDayTally.received_postal)).scalar_one() == 1


def test_rebuild_recounts_and_check_reports(procs, runner):
    a, _ = procs
    f.dossier(a, date(2024, 1, 5), returned=date(2024, 1, 9), return_channel="bcci")
    db.session.commit()
    result = runner.invoke(args=["tally", "check"])
    assert result.exit_code == 0, result.output
    db.session.execute(text("UPDATE dossier_day_tally SET received = received + 2"))
    db.session.commit()
    result = runner.invoke(args=["tally", "check"])
    assert result.exit_code == 1
    assert "dossier_day_tally" in result.output and "2024-01-05" in result.output
    result = runner.invoke(args=["tally", "rebuild"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert tally.differences() == []
    assert db.session.execute(
        select(DossierDayTally.received, DossierDayTally.returned_postal).order_by(
            DossierDayTally.day
        )
    ).all() == [(1, 0), (0, 1)]


# --- The figures from the tallies equal plain counts over the dossiers --------------------------


def _random_dossiers(n, seed=7):
    rng = random.Random(seed)
    dept, other = f.department(), f.department()
    procs = [
        f.procedure(
            department_=rng.choice([dept, other]),
            receive=rng.random() < 0.7,
            ret=rng.random() < 0.7,
            in_force=rng.random() < 0.9,
        )
        for _ in range(12)
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
                "code": f"R-{i}",
                "procedure_id": rng.choice(procs).id,
                **Dossier.as_recorded(channel, received, ret_channel, returned),
            }
        )
    db.session.execute(insert(Dossier), rows)
    db.session.commit()
    return rng


def _plain_counts(period):
    """The nine counts straight from the dossiers (the definitions of docs/figures.md)."""

    def n(*conditions, model=Dossier):
        return db.session.execute(
            select(func.count()).select_from(model).where(*conditions)
        ).scalar_one()

    def has(*conditions):
        return select(Dossier.id).where(Dossier.procedure_id == Procedure.id, *conditions).exists()

    recv = and_(Dossier.receive_date >= period.start, Dossier.receive_date <= period.end)
    ret = and_(Dossier.return_date >= period.start, Dossier.return_date <= period.end)
    by_post = and_(recv, Dossier.receive_channel == "bcci")
    ret_post = and_(ret, Dossier.return_channel == "bcci")
    live = Procedure.in_force.is_(True)
    return {
        "procedures_total": n(live, model=Procedure),
        "procedures_eligible_receive": n(
            live, Procedure.eligible_receive.is_(True), model=Procedure
        ),
        "procedures_eligible_return": n(live, Procedure.eligible_return.is_(True), model=Procedure),
        "procedures_with_dossiers": n(live, has(recv), model=Procedure),
        "procedures_with_postal": n(live, has(by_post) | has(ret_post), model=Procedure),
        "dossiers_received": n(recv),
        "dossiers_received_postal": n(by_post),
        "results_returned": n(ret),
        "results_returned_postal": n(ret_post),
    }


def _periods(rng, count):
    """Single days, days inside a month, month ends, whole months, across years, random."""
    fixed = [
        Period(date(2023, 3, 1), date(2023, 3, 31)),
        Period(date(2023, 3, 15), date(2023, 3, 15)),
        Period(date(2023, 2, 28), date(2023, 3, 1)),
        Period(date(2023, 1, 1), date(2024, 12, 31)),
        Period(date(2023, 5, 2), date(2024, 4, 29)),
        Period(date(2024, 1, 1), date(2024, 9, 30)),
        Period(date(2022, 6, 1), date(2023, 1, 10)),
        Period(date(2025, 1, 1), date(2025, 3, 31)),
    ]
    for _ in range(count):
        start = date(2022, 12, 1) + timedelta(days=rng.randrange(800))
        fixed.append(Period(start, start + timedelta(days=rng.choice((0, 3, 29, 45, 200, 364)))))
    return fixed


def test_counts_from_the_tallies_equal_counts_over_the_dossiers(app):
    rng = _random_dossiers(1500)
    for period in _periods(rng, 25):
        assert figures.counts(period) == _plain_counts(period), period


def test_the_procedures_active_in_a_period_from_the_tallies_are_those_with_such_dossiers(app):
    """The procedure list's activity filters (``figures.procedures_active``) read the tallies:
    they find exactly the procedures with a dossier received (by post, or returned by post) in
    the period, as an EXISTS over the dossiers finds them."""
    rng = _random_dossiers(1500, seed=5)

    def ids(condition):
        return set(db.session.scalars(select(Procedure.id).where(condition)))

    for period in _periods(rng, 25):
        for by_post, plain in (
            (False, figures.has_dossiers_expr(period)),
            (True, figures.has_postal_expr(period)),
        ):
            kept = Procedure.id.in_(figures.procedures_active(period, postal=by_post))
            assert ids(kept) == ids(plain), (period, by_post)
            assert ids(~kept) == ids(~plain), (period, by_post)


def _count(*conditions):
    return db.session.execute(
        select(func.count()).select_from(Dossier).where(*conditions)
    ).scalar_one()


def _month_range(period, year, month):
    first = date(year, month, 1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return max(period.start, first), min(period.end, last)


@pytest.mark.slow  # many random periods
def test_tables_trend_outreach_and_pools_from_the_tallies_equal_counts_over_the_dossiers(app):
    rng = _random_dossiers(1200, seed=11)
    for period in _periods(rng, 10):
        recv = and_(Dossier.receive_date >= period.start, Dossier.receive_date <= period.end)
        ret = and_(Dossier.return_date >= period.start, Dossier.return_date <= period.end)
        by_procedure = {r["key"]: r for r in figures.breakdown(period, "procedure")}
        in_force = list(db.session.scalars(select(Procedure).where(Procedure.in_force.is_(True))))
        assert set(by_procedure) == {p.id for p in in_force}
        for proc in in_force:
            mine = Dossier.procedure_id == proc.id
            row = by_procedure[proc.id]
            assert (row["received"], row["received_postal"], row["returned_postal"]) == (
                _count(mine, recv),
                _count(mine, recv, Dossier.receive_channel == "bcci"),
                _count(mine, ret, Dossier.return_channel == "bcci"),
            ), (period, proc.id)
        activity = figures.procedure_activity(period, [p.id for p in in_force])
        for proc in in_force:
            mine = Dossier.procedure_id == proc.id
            postal = (recv & (Dossier.receive_channel == "bcci")) | (
                ret & (Dossier.return_channel == "bcci")
            )
            expected = (_count(mine, recv), _count(mine, postal))
            assert activity.get(proc.id, (0, 0)) == expected, (period, proc.id)
        for m in figures.monthly_trend(period):
            first, last = _month_range(period, m["year"], m["month"])
            in_month = and_(Dossier.receive_date >= first, Dossier.receive_date <= last)
            ret_month = and_(Dossier.return_date >= first, Dossier.return_date <= last)
            assert (m["received"], m["received_postal"], m["returned_postal"]) == (
                _count(in_month),
                _count(in_month, Dossier.receive_channel == "bcci"),
                _count(ret_month, Dossier.return_channel == "bcci"),
            ), (period, m)
        either = Procedure.eligible_receive.is_(True) | Procedure.eligible_return.is_(True)
        expected = (
            db.session.execute(
                select(Procedure.id).where(
                    Procedure.in_force.is_(True),
                    either,
                    figures.has_dossiers_expr(period),
                    ~figures.has_postal_expr(period),
                )
            )
            .scalars()
            .all()
        )
        outreach = figures.outreach(period)
        assert sorted(p.id for p, _ in outreach) == sorted(expected), period
        assert all(n == _count(Dossier.procedure_id == p.id, recv) for p, n in outreach)
        assert figures.outreach_top(period, 3) == (outreach[:3], len(outreach))
        pools = figures.target_pools(period)

        def per_department(*conditions):
            rows = db.session.execute(
                select(Procedure.department_id, func.count())
                .join(Dossier, Dossier.procedure_id == Procedure.id)
                .where(Procedure.in_force.is_(True), recv, *conditions)
                .group_by(Procedure.department_id)
            ).all()
            return {k: v for k, v in rows if v}

        assert pools["C2"] == per_department(
            Procedure.eligible_receive.is_(True), Dossier.receive_channel != "bcci"
        ), period
        assert pools["C3"] == per_department(
            Procedure.eligible_return.is_(True), func.coalesce(Dossier.return_channel, "") != "bcci"
        ), period


def test_spans_split_a_period_into_whole_months_ten_day_parts_and_days():
    d = date
    cases = [
        # Whole months only.
        ((d(2024, 1, 1), d(2024, 9, 30)), ((d(2024, 1, 1), d(2024, 9, 1)), [], [])),
        ((d(2024, 2, 1), d(2024, 2, 29)), ((d(2024, 2, 1), d(2024, 2, 1)), [], [])),
        # Inside one ten-day part: days only.
        ((d(2024, 1, 15), d(2024, 1, 20)), (None, [], [(d(2024, 1, 15), d(2024, 1, 20))])),
        # Year to date on the 26th: ten months, two ten-day parts, six days.
        (
            (d(2026, 1, 1), d(2026, 11, 26)),
            (
                (d(2026, 1, 1), d(2026, 10, 1)),
                [(d(2026, 11, 1), d(2026, 11, 11))],
                [(d(2026, 11, 21), d(2026, 11, 26))],
            ),
        ),
        # Two month ends: the 21st–31st part is whole, February's first part too.
        (
            (d(2024, 1, 15), d(2024, 2, 10)),
            (
                None,
                [(d(2024, 1, 21), d(2024, 1, 21)), (d(2024, 2, 1), d(2024, 2, 1))],
                [(d(2024, 1, 15), d(2024, 1, 20))],
            ),
        ),
        # Twelve months back from the 25th.
        (
            (d(2023, 11, 26), d(2024, 11, 25)),
            (
                (d(2023, 12, 1), d(2024, 10, 1)),
                [(d(2024, 11, 1), d(2024, 11, 11))],
                [(d(2023, 11, 26), d(2023, 11, 30)), (d(2024, 11, 21), d(2024, 11, 25))],
            ),
        ),
        # A leap February's last part ends on the 29th.
        (
            (d(2024, 2, 2), d(2024, 3, 31)),
            (
                (d(2024, 3, 1), d(2024, 3, 1)),
                [(d(2024, 2, 11), d(2024, 2, 21))],
                [(d(2024, 2, 2), d(2024, 2, 10))],
            ),
        ),
        ((d(2024, 1, 1), d(2024, 1, 1)), (None, [], [(d(2024, 1, 1), d(2024, 1, 1))])),
    ]
    for (start, end), expected in cases:
        assert figures.spans(Period(start, end)) == expected, (start, end)


def test_whole_months_split_into_whole_quarters_and_the_months_around_them():
    """A period's whole months are read as its whole calendar quarters from the quarter tallies
    and the months before and after them from the month tallies."""
    d = date
    cases = [
        ((d(2024, 1, 1), d(2024, 9, 1)), ((d(2024, 1, 1), d(2024, 7, 1)), [])),
        ((d(2024, 2, 1), d(2024, 2, 1)), (None, [(d(2024, 2, 1), d(2024, 2, 1))])),
        ((d(2024, 2, 1), d(2024, 4, 1)), (None, [(d(2024, 2, 1), d(2024, 4, 1))])),
        (
            (d(2023, 6, 1), d(2024, 3, 1)),
            ((d(2023, 7, 1), d(2024, 1, 1)), [(d(2023, 6, 1), d(2023, 6, 1))]),
        ),
        (
            (d(2023, 12, 1), d(2024, 11, 1)),
            (
                (d(2024, 1, 1), d(2024, 7, 1)),
                [(d(2023, 12, 1), d(2023, 12, 1)), (d(2024, 10, 1), d(2024, 11, 1))],
            ),
        ),
        ((d(2024, 10, 1), d(2024, 12, 1)), ((d(2024, 10, 1), d(2024, 10, 1)), [])),
        ((d(2024, 11, 1), d(2025, 1, 1)), (None, [(d(2024, 11, 1), d(2025, 1, 1))])),
    ]
    for months, expected in cases:
        assert counting.quarters_and_months(months) == expected, months


def test_a_failed_flush_leaves_nothing_for_the_next(procs):
    """A flush that fails (here a duplicate dossier code) and is rolled back must not have its
    counts applied by the next flush."""
    from sqlalchemy.exc import IntegrityError

    a, b = procs
    other = b.id  # read now: reading it after the commit below would flush on its own
    d = f.dossier(a, date(2024, 3, 5), code="DUP-1")
    db.session.commit()
    d.receive_date = date(2024, 4, 6)  # counted out and in by the flush that fails
    db.session.add(
        Dossier(
            code="DUP-1",
            procedure_id=other,
            receive_channel_src="bcci",
            receive_channel="bcci",
            receive_date=date(2024, 5, 7),
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    f.procedure(code="1.000003")  # an unrelated flush
    db.session.commit()
    assert_tallies_right()


def test_the_month_ten_day_part_and_quarter_of_a_date_in_sql_are_those_of_python(app):
    """``tally.month_of``, ``tally.tenday_of`` and ``tally.quarter_of``, the SQL the import and
    the checks count with, give each day of a leap year and of the month ends around it the first
    day of its month, of its ten-day part (``tally.tenday_start``) and of its quarter
    (``tally.quarter_start``), on either database."""
    days = [date(2023, 12, 1) + timedelta(days=n) for n in range(31 + 366 + 31)]
    listed = union_all(*(select(literal(d, db.Date).label("day")) for d in days)).subquery().c.day
    rows = db.session.execute(
        select(listed, tally.month_of(listed), tally.tenday_of(listed), tally.quarter_of(listed))
    )
    got = {_as_date(d): (_as_date(m), _as_date(t), _as_date(q)) for d, m, t, q in rows}
    assert got == {
        d: (d.replace(day=1), tally.tenday_start(d), date(d.year, (d.month - 1) // 3 * 3 + 1, 1))
        for d in days
    }


def _as_date(value):
    return value if isinstance(value, date) else date.fromisoformat(value)
