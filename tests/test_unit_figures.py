"""Figures per unit and for the province (issue 18): the dossier tallies are kept per unit, and
the figures of one unit, or of the province (every unit), equal plain counts over the dossiers;
the units' dossier counts add up to the province's."""

import random
import re
import pytest
from datetime import date, timedelta

from sqlalchemy import and_, func, insert, select, update

from extensions import db
from models import (
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
from tests import factories as f
from tests.statements import recorded
from utils import figures, tally
from utils.units import create_unit

NO_SUCH_UNIT = "Không có đơn vị nào mang mã này."  # an unknown ?unit=CODE's 404 says so


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
            (DossierQuarterTally, DossierQuarterTally.quarter),
        )
    ]
    tally.rebuild()
    after = [
        _kept_per_unit(m, c)
        for m, c in (
            (DossierDayTally, DossierDayTally.day),
            (DossierTenDayTally, DossierTenDayTally.tenday),
            (DossierMonthTally, DossierMonthTally.month),
            (DossierQuarterTally, DossierQuarterTally.quarter),
        )
    ]
    assert before == after
    assert {k[1] for k in after[2]} == {u.id for u in units}


def _plainly_counted(date_key):
    """``{(date, procedure_id): (received, …)}`` counted in Python over every dossier, without
    the unit: what each province tally must hold (``date_key`` maps a date to its row's)."""
    out = {}
    for pid, rd, rch, td, tch in db.session.execute(
        select(
            Dossier.procedure_id,
            Dossier.receive_date,
            Dossier.receive_channel,
            Dossier.return_date,
            Dossier.return_channel,
        )
    ):
        by_post = tch == "bcci"
        for day, counts in (
            (rd, (1, int(rch == "bcci"), int(by_post), 0, 0)),
            (td, (0, 0, 0, 1, int(by_post))),
        ):
            if day is not None:
                key = (date_key(day), pid)
                out[key] = tuple(a + b for a, b in zip(out.get(key, (0,) * 5), counts))
    return out


def _province_kept():
    return [
        {
            (r[0], r[1]): tuple(r[2:])
            for r in db.session.execute(
                select(
                    getattr(model, tally.DATE_KEYS[model]),
                    model.procedure_id,
                    *(getattr(model, c) for c in tally.COUNTS),
                )
            )
        }
        for model in (
            ProvinceDayTally,
            ProvinceTenDayTally,
            ProvinceMonthTally,
            ProvinceQuarterTally,
        )
    ]


def _province_plain():
    return [
        _plainly_counted(lambda d: d),
        _plainly_counted(tally.tenday_start),
        _plainly_counted(lambda d: d.replace(day=1)),
        _plainly_counted(tally.quarter_start),
    ]


def test_the_province_tallies_equal_plain_counts_of_every_units_dossiers(app):
    """The province's tallies (per date and procedure, without the unit) equal counts over the
    dossiers of every unit however the dossiers change: inserted as rows, moved to another unit,
    procedure and date, added and deleted as objects; ``tally.differences`` reports a wrong
    province row and ``tally.rebuild`` recounts it."""
    _rng, units, procs = _several_units_dataset(300)
    assert _province_kept() == _province_plain() and _province_plain()[2]
    moved = db.session.scalars(select(Dossier.id).where(Dossier.unit_id == units[0].id)).all()[:5]
    with tally.changing(moved):
        db.session.execute(
            update(Dossier)
            .where(Dossier.id.in_(moved))
            .values(
                unit_id=units[2].id,
                procedure_id=procs[3].id,
                receive_date=date(2024, 5, 17),
                receive_channel="bcci",
            )
            .execution_options(synchronize_session=False)
        )
    d = f.dossier(procs[1], date(2024, 3, 4), returned=date(2024, 3, 9), return_channel="bcci")
    d.unit_id = units[1].id
    db.session.flush()
    db.session.delete(db.session.get(Dossier, moved[0]))
    db.session.flush()
    assert _province_kept() == _province_plain()
    assert tally.differences() == []
    # Each province row is the sum of the units' rows of its date and procedure.
    summed = {}
    for (day, _unit, pid), counts in _kept_per_unit(
        DossierMonthTally, DossierMonthTally.month
    ).items():
        summed[(day, pid)] = tuple(a + b for a, b in zip(summed.get((day, pid), (0,) * 5), counts))
    assert _province_kept()[2] == summed
    assert _province_kept()[3] and _province_kept()[3] == _province_plain()[3]
    # A wrong province row is found and recounted.
    db.session.execute(
        update(ProvinceMonthTally)
        .where(
            ProvinceMonthTally.month == date(2024, 5, 1),
            ProvinceMonthTally.procedure_id == procs[3].id,
        )
        .values(received=ProvinceMonthTally.received + 1)
    )
    [(table, month, unit_id, pid, stored, counted)] = tally.differences()
    assert (table, month, unit_id, pid) == (
        "province_month_tally",
        date(2024, 5, 1),
        None,
        procs[3].id,
    )
    assert stored[0] == counted[0] + 1
    tally.rebuild()
    assert tally.differences() == [] and _province_kept() == _province_plain()


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


# --- The figures of one unit and of the province ------------------------------------------------


def _handles(unit, procedure):
    """Plain Python: the unit's level's procedures and those of both levels (no exceptions in
    this dataset but the first unit's additions, made by the migration, none here)."""
    from models import UnitProcedure

    exception = db.session.get(UnitProcedure, (unit.id, procedure.id))
    if exception is not None:
        return exception.handled
    return procedure.unit_level in (unit.level, "ca_hai")


def _plain_unit_counts(period, unit, procs):
    """The counts of one unit straight from its dossiers and the procedures it handles."""
    from models import Procedure

    mine = Dossier.unit_id == unit.id
    recv = and_(mine, Dossier.receive_date >= period.start, Dossier.receive_date <= period.end)
    ret = and_(mine, Dossier.return_date >= period.start, Dossier.return_date <= period.end)
    by_post = and_(recv, Dossier.receive_channel == "bcci")
    ret_post = and_(ret, Dossier.return_channel == "bcci")

    def n(*conditions):
        return db.session.execute(select(func.count()).where(*conditions)).scalar_one()

    handled = [
        p for p in procs if p.in_force and _handles(unit, p)
    ]  # every procedure of the dataset is in ``procs``
    of = Dossier.procedure_id
    unhandled = [p.id for p in procs if not _handles(unit, p)]
    assert db.session.execute(select(func.count()).select_from(Procedure)).scalar_one() == len(
        procs
    )
    return {
        "procedures_total": len(handled),
        "procedures_eligible_receive": sum(p.eligible_receive for p in handled),
        "procedures_eligible_return": sum(p.eligible_return for p in handled),
        "procedures_with_dossiers": sum(bool(n(recv, of == p.id)) for p in handled),
        "procedures_with_postal": sum(
            bool(n(by_post, of == p.id) or n(ret_post, of == p.id)) for p in handled
        ),
        "dossiers_received": n(recv),
        "dossiers_received_postal": n(by_post),
        "results_returned": n(ret),
        "results_returned_postal": n(ret_post),
        "dossiers_received_unhandled": n(recv, of.in_(unhandled)),
    }


def _periods(rng):
    from utils.dates import Period

    fixed = [
        Period(date(2023, 1, 1), date(2024, 12, 31)),
        Period(date(2024, 1, 1), date(2024, 9, 30)),
        Period(date(2023, 3, 15), date(2023, 3, 15)),
        Period(date(2023, 2, 28), date(2023, 4, 13)),
    ]
    for _ in range(8):
        start = date(2023, 1, 1) + timedelta(days=rng.randrange(700))
        fixed.append(Period(start, start + timedelta(days=rng.choice((0, 9, 45, 200)))))
    return fixed


def test_each_units_figures_equal_plain_counts_and_add_up_to_the_provinces(app):
    rng, units, procs = _several_units_dataset(900, seed=9)
    # An exception: the commune unit also handles a province-level procedure, and no longer
    # one of its level.
    from models import UnitProcedure

    tinh = next(p for p in procs if p.unit_level == "tinh")
    xa = next(p for p in procs if p.unit_level == "xa")
    db.session.add(UnitProcedure(unit_id=units[1].id, procedure_id=tinh.id, handled=True))
    db.session.add(UnitProcedure(unit_id=units[1].id, procedure_id=xa.id, handled=False))
    db.session.commit()
    for period in _periods(rng):
        province = figures.counts(period)
        per_unit = [figures.counts(period, unit) for unit in units]
        for unit, values in zip(units, per_unit):
            assert values == _plain_unit_counts(period, unit, procs), (period, unit.code)
        # Dossier counts add up to the province's; the province counts every procedure in
        # force (the units' C1 counts need not add up to it).
        for key in figures.COUNT_KEYS[5:]:
            assert sum(v[key] for v in per_unit) == province[key], (period, key)
        assert province["procedures_total"] == sum(p.in_force for p in procs)
        summaries = [figures.summary(period, unit=unit) for unit in units]
        whole = figures.summary(period)
        for i in (1, 2):  # C2, C3: numerators and denominators add up
            assert sum(s.criteria[i].numerator for s in summaries) == whole.criteria[i].numerator
            assert sum(s.criteria[i].denominator for s in summaries) == (
                whole.criteria[i].denominator
            )
        # The trend, tables and outreach of a unit read its dossiers only.
        unit = units[1]
        trend = figures.monthly_trend(period, unit)
        assert sum(m["received"] for m in trend) == per_unit[1]["dossiers_received"]
        rows, total = figures.breakdown_table(period, "department", unit=unit)
        assert sum(r.received for r in rows) == total.received == per_unit[1]["dossiers_received"]
        assert sum(r.procedures for r in rows) == per_unit[1]["procedures_total"]
        for proc, received in figures.outreach(period, unit=unit):
            assert _handles(unit, proc) and proc.in_force
            assert (
                received
                == db.session.execute(
                    select(func.count()).where(
                        Dossier.unit_id == unit.id,
                        Dossier.procedure_id == proc.id,
                        Dossier.receive_date >= period.start,
                        Dossier.receive_date <= period.end,
                    )
                ).scalar_one()
            )


def test_report_units_lists_every_units_figures_and_summary_takes_a_unit(app, runner):
    import json

    rng, units, procs = _several_units_dataset(300, seed=4)
    args = ["--from", "2023-01-01", "--to", "2024-12-31"]
    r = runner.invoke(args=["report", "units", *args, "--json"])
    assert r.exit_code == 0, r.output
    listed = json.loads(r.output)
    assert [u["code"] for u in listed] == sorted(u.code for u in units)
    province = json.loads(runner.invoke(args=["report", "summary", *args, "--json"]).output)
    from utils.dates import Period

    period = Period(date(2023, 1, 1), date(2024, 12, 31))
    for entry in listed:
        unit = next(u for u in units if u.code == entry["code"])
        assert entry["name"] == unit.name
        one = runner.invoke(args=["report", "summary", *args, "--unit", unit.code, "--json"])
        assert {"code": unit.code, "name": unit.name, **json.loads(one.output)} == entry
        counts = {k: v for k, v in entry.items() if k not in ("code", "name", "from", "to")}
        counts.pop("criteria")
        assert counts == _plain_unit_counts(period, unit, procs)
    for key in ("dossiers_received", "dossiers_received_postal", "results_returned_postal"):
        assert sum(u[key] for u in listed) == province[key]
    assert set(province) | {"code", "name", "dossiers_received_unhandled"} == set(listed[0])
    # A unit's text summary names it; an unknown code is refused.
    r = runner.invoke(args=["report", "summary", *args, "--unit", "XA02"])
    assert r.exit_code == 0 and "XA02" in r.output and "Xã Hai" in r.output
    r = runner.invoke(args=["report", "summary", *args, "--unit", "NOPE"])
    assert r.exit_code == 1


# --- The leaders' dashboard ---------------------------------------------------------------------


def _cell(html, key):
    import re

    match = re.search(rf'data-key="{key}">(.*?)</td>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip() if match else None


def _number(n):
    from utils.formats import number

    return number(n, locale="vi")


def test_a_unit_leader_sees_his_units_figures_and_a_province_leader_picks_a_unit(app, client, auth):
    _rng, units, _procs = _several_units_dataset(300, seed=6)
    from utils.dates import Period

    period = Period(date(2024, 1, 1), date(2024, 9, 30))
    url = "/dashboard?preset=months&year=2024&months=9"
    province = figures.counts(period)
    commune = figures.counts(period, units[1])
    assert province["dossiers_received"] != commune["dossiers_received"]
    # A leader bound to the second unit: its figures, whatever the URL asks; no picker.
    leader = f.user("leader", unit_id=units[1].id)
    auth.login(user=leader)
    for address in (url, url + "&unit=" + units[2].code):
        html = client.get(address).text
        for key in ("dossiers_received", "procedures_total", "results_returned_postal"):
            assert _cell(html, key) == _number(commune[key]), key
        assert _cell(html, "dossiers_received_unhandled") == _number(
            commune["dossiers_received_unhandled"]
        )
        assert 'id="unit-picker"' not in html and "Xã Hai" in html
        # Every linked number keeps the unit: its list counts the same dossiers.
        links = re.findall(r'href="(/dossiers\?[^"]*)"', html)
        assert links and all("unit=XA02" in link for link in links)
    table = client.get("/dashboard/breakdown/department?preset=months&year=2024&months=9").text
    assert "unit=XA02" in table
    auth.logout()
    # A province-wide leader: the province's figures with a picker, narrowed by ?unit=CODE.
    auth.login(user=f.user("leader", province_wide=True))
    html = client.get(url).text
    assert 'id="unit-picker"' in html
    assert _cell(html, "dossiers_received") == _number(province["dossiers_received"])
    assert _cell(html, "dossiers_received_unhandled") is None
    assert "unit=" not in "".join(re.findall(r'href="(/dossiers\?[^"]*)"', html))
    html = client.get(url + "&unit=XA02").text
    assert _cell(html, "dossiers_received") == _number(commune["dossiers_received"])
    assert 'value="XA02" selected' in html
    unknown = client.get(url + "&unit=NOPE")
    assert unknown.status_code == 404 and NO_SUCH_UNIT in unknown.text


# --- The province's roll-up ---------------------------------------------------------------------


def test_the_rollup_ranks_the_communes_worst_first_and_keeps_the_provinces_centre_apart(
    app, client, auth
):
    _rng, units, _procs = _several_units_dataset(400, seed=12)
    from utils.dates import Period

    period = Period(date(2024, 1, 1), date(2024, 9, 30))
    r = figures.rollup(period)
    assert [row.unit.code for row in r.centres] == ["TINH"]
    assert [row.unit.code for row in r.communes] == [
        u.code
        for u in sorted(
            units[:2], key=lambda u: (figures.summary(period, unit=u).total_points, u.code)
        )
    ]
    for row in r.communes + r.centres:
        assert row.summary.counts == figures.counts(period, row.unit)
    for target in r.targets:
        assert sum(u.share for u in target.units) + target.unassigned == target.gap
        assert all(u.share <= u.pool for u in target.units)
    by_c2 = figures.sorted_rows(r.communes, "C2", descending=True)
    rates = [row.criterion("C2").percent for row in by_c2]
    assert rates == sorted(rates, reverse=True)
    # The page: province-wide leaders only; each unit links to its dashboard.
    url = "/dashboard/units?preset=months&year=2024&months=9"
    auth.login(user=f.user("leader", unit_id=units[1].id))
    assert client.get(url).status_code == 403
    auth.logout()
    auth.login(user=f.user("leader", province_wide=True))
    html = client.get(url).text
    ranked = re.findall(r'<tr data-unit="([^"]+)">\s*<td class="num">(\d*)</td>', html)
    assert ranked == [("TINH", "")] + [
        (row.unit.code, str(i)) for i, row in enumerate(r.communes, 1)
    ]
    assert "/dashboard?unit=XA02&amp;preset=months" in html
    assert 'href="/dashboard/units?sort=C1&amp;dir=asc' in html
    dashboard = client.get("/dashboard?preset=months&year=2024&months=9").text
    assert 'href="/dashboard/units?preset=months&amp;year=2024&amp;months=9"' in dashboard


def test_the_units_furthest_from_each_next_band_have_the_largest_shares_of_its_gap(app):
    """The province's brief proposes them by name. C2: 7 of 105 by post (6,67%); 10% needs 4
    more, split by largest remainder over the active units' dossiers not yet by post (40, 17,
    29, 8 of 94): 2, 1, 1, 0. C3: 9 of 105; 10% needs 2 more: 1 (ward, 38 of 94 after its two),
    1 (commune B, 30)."""
    from tests.test_province_brief import PERIOD, province_units

    province_units()
    targets = figures.rollup(PERIOD, whole=True).targets
    named = {
        p["code"]: [(u.unit.code, u.share) for u in p["units"]]
        for p in figures.unit_proposals(targets, 3)
    }
    assert named == {
        "C2": [("DV01", 2), ("TINH", 1), ("XB", 1)],
        "C3": [("DV01", 1), ("XB", 1)],
    }


def test_the_rollup_on_a_one_unit_deployment_is_the_dashboard(app, client, auth):
    auth.login(user=f.user("leader", province_wide=True))
    r = client.get("/dashboard/units?preset=months&year=2024&months=9")
    assert r.status_code == 303 and r.headers["Location"].startswith("/dashboard?")


def test_every_units_counts_at_once_equal_each_units_own(app):
    """``figures.unit_counts`` (two statements for every unit, the roll-up's) equals
    ``figures.counts(period, unit)`` and ``target_pools(period, unit)`` of each unit."""
    from models import UnitProcedure

    rng, units, procs = _several_units_dataset(700, seed=21)
    tinh = [p for p in procs if p.unit_level == "tinh"]
    xa = [p for p in procs if p.unit_level == "xa"]
    db.session.add(UnitProcedure(unit_id=units[1].id, procedure_id=tinh[0].id, handled=True))
    db.session.add(UnitProcedure(unit_id=units[1].id, procedure_id=xa[0].id, handled=False))
    db.session.add(UnitProcedure(unit_id=units[2].id, procedure_id=xa[-1].id, handled=True))
    db.session.add(UnitProcedure(unit_id=units[0].id, procedure_id=xa[-1].id, handled=True))
    db.session.commit()
    for period in _periods(rng):
        values, pools = figures.unit_counts(period)
        for unit in units:
            assert values[unit.id] == figures.counts(period, unit), (period, unit.code)
            own = figures.target_pools(period, unit)
            assert pools[unit.id] == {c: sum(own[c].values()) for c in ("C1", "C2", "C3")}


def test_the_summary_api_answers_a_unit_users_unit(app, client, auth):
    _rng, units, _procs = _several_units_dataset(200, seed=8)
    from utils.dates import Period

    period = Period(date(2024, 1, 1), date(2024, 9, 30))
    url = "/api/summary?from=2024-01-01&to=2024-09-30"
    auth.login(user=f.user("leader", unit_id=units[1].id))
    assert client.get(url).json == figures.summary(period, unit=units[1]).as_json()
    auth.logout()
    auth.login(user=f.user("leader", province_wide=True))
    assert client.get(url).json == figures.summary(period).as_json()
    assert client.get(url + "&unit=TINH").json == figures.summary(period, unit=units[2]).as_json()


def test_a_units_linked_numbers_open_lists_that_count_the_same(app, client, auth):
    """A province-wide leader narrowed to a unit: its dossiers received and its dossiers of
    procedures it does not handle open the dossier list with the unit (and ``handled=no``),
    which counts the same."""
    _rng, units, _procs = _several_units_dataset(300, seed=14)
    from utils.dates import Period

    period = Period(date(2024, 1, 1), date(2024, 9, 30))
    commune = figures.counts(period, units[1])
    assert 0 < commune["dossiers_received_unhandled"] < commune["dossiers_received"]
    auth.login(user=f.user("leader", province_wide=True))
    html = client.get("/dashboard?preset=months&year=2024&months=9&unit=XA02").text

    def listed(key):
        cell = re.search(rf'data-key="{key}"><a href="([^"]+)"', html).group(1)
        page = client.get(cell.replace("&amp;", "&")).text
        total = re.search(r'data-testid="dossier-total">([^<]*)<', page).group(1)
        return int(re.sub(r"\D", "", total))

    assert listed("dossiers_received") == commune["dossiers_received"]
    assert listed("dossiers_received_unhandled") == commune["dossiers_received_unhandled"]
    unknown = client.get("/dossiers?unit=NOPE")
    assert unknown.status_code == 404 and NO_SUCH_UNIT in unknown.text


# --- A unit's linked numbers ------------------------------------------------------------------


@pytest.mark.slow  # follows every linked number of two dashboards to the end of its list
def test_every_linked_number_of_a_units_dashboard_opens_exactly_that_many_rows(app, client, auth):
    """A unit's figures (the province-wide leader's ``?unit=CODE``, a unit-bound leader's own)
    link to lists that count the same: the procedures it handles with its activity, its
    dossiers."""
    from tests.test_numbers_walk import follow, linked_numbers

    _rng, units, _procs = _several_units_dataset(300, seed=5)
    span = "preset=custom&from=2023-03-01&to=2024-09-30"
    for user, url in (
        (f.user("leader", province_wide=True), f"/dashboard?unit=XA02&{span}"),
        (f.user("leader", unit_id=units[0].id), f"/dashboard?{span}"),
    ):
        auth.login(user=user)
        links = linked_numbers(client.get(url).text)
        procedure_links = [u for u, _ in links if u.startswith("/procedures")]
        assert procedure_links and all("unit=" in u for u in procedure_links), url
        for list_url, number in links:
            assert follow(client, list_url) == (number, number), (url, list_url, number)
        auth.logout()


# --- The outreach list across units ---------------------------------------------------------------


def test_every_units_outreach_list_at_once_equals_each_units_own(app):
    """``figures.units_outreach`` (one statement, the roll-up's) gives each active unit its own
    ``outreach(period, unit)``: how many procedures, their dossiers, the first rows; units with
    an empty list and deactivated units are left out."""
    from models import UnitProcedure

    rng, units, procs = _several_units_dataset(240, seed=31)
    tinh = [p for p in procs if p.unit_level == "tinh"]
    db.session.add(UnitProcedure(unit_id=units[1].id, procedure_id=tinh[0].id, handled=True))
    db.session.commit()
    seen = set()
    for period in _periods(rng):
        found = {o.unit.id: o for o in figures.units_outreach(period)}
        for unit in units:
            own = figures.outreach(period, unit=unit)
            if not own:
                assert unit.id not in found
                continue
            seen.add(unit.id)
            o = found[unit.id]
            assert (o.procedures, o.received) == (len(own), sum(n for _, n in own))
            assert [(p.id, n) for p, n in o.top] == [(p.id, n) for p, n in own[:3]]
        ranked = list(found.values())
        assert ranked == sorted(ranked, key=lambda o: (-o.received, o.unit.code))
    assert seen == {u.id for u in units}  # every unit's list was compared somewhere
    units[1].active = False
    db.session.commit()
    assert all(o.unit.id != units[1].id for p in _periods(rng) for o in figures.units_outreach(p))


def test_the_rollups_outreach_numbers_open_lists_of_exactly_that_many_rows(app, client, auth):
    """The roll-up loads its outreach list across units once shown (htmx, its own page without
    scripts); there the province's outreach count, each unit's count of procedures and each of
    its first procedures' dossiers open lists (with the unit) of exactly that many rows."""
    from tests.test_numbers_walk import follow, linked_numbers

    _rng, units, _procs = _several_units_dataset(200, seed=33)
    from utils.dates import Period

    span = "preset=custom&from=2023-05-01&to=2023-06-30"
    listed = figures.units_outreach(Period(date(2023, 5, 1), date(2023, 6, 30)))
    assert len(listed) >= 2
    auth.login(user=f.user("leader", province_wide=True))
    page = client.get(f"/dashboard/units?{span}").text
    placeholder = page[page.index('id="rollup-outreach"') : page.index('id="rollup-trend-title"')]
    url = f"/dashboard/units/outreach?{span}"
    assert f'hx-get="{url.replace("&", "&amp;")}"' in placeholder
    assert (
        'hx-trigger="load"' in placeholder and f'href="{url.replace("&", "&amp;")}"' in placeholder
    )
    assert not linked_numbers(placeholder)  # the ranking's page reads no outreach list
    with recorded() as statements:
        section = client.get(url, headers={"HX-Request": "true"}).text
    # Every unit's outreach list reads the units' tally rows once.
    assert sum("dossier_month_tally" in s for s in statements) == 1
    assert section.lstrip().startswith("<section") and "<html" not in section
    links = linked_numbers(section)
    units_links = [u for u, _ in links if "unit=" in u]
    expected = sum(1 + len(o.top) for o in listed)
    assert len(links) == expected + 1 and len(units_links) == expected
    for list_url, number in links:
        assert follow(client, list_url) == (number, number), list_url
    assert [re.findall(r'data-unit="([^"]+)"', section)] == [[o.unit.code for o in listed]]
    # Without scripts, the same list is a page of its own, with a way back to the ranking.
    whole = client.get(url).text
    assert (
        "<html" in whole and linked_numbers(whole[whole.index('id="rollup-outreach"') :]) == links
    )
    assert f'href="/dashboard/units?{span.replace("&", "&amp;")}"' in whole
