"""``flask demo load --province``: thirty units, the reference case in one of them, its logins
(docs/units.md, docs/cli.md)."""

import json
import re
from datetime import date

import pytest
from sqlalchemy import and_, func, or_, select

from extensions import db
from models import Dossier, Meeting, Procedure, Shipment, Task, Unit, User
from utils.units import handled_by, unit_scope

PERIOD = (date(2024, 1, 1), date(2024, 9, 30))


def _unit_counts(unit):
    """The reference case's five numbers for ``unit``, counted over its dossiers in plain SQL."""
    mine = Dossier.unit_id == unit.id
    received = Dossier.receive_date.between(*PERIOD)
    received_postal = and_(received, Dossier.receive_channel == "bcci")
    returned_postal = and_(Dossier.return_date.between(*PERIOD), Dossier.return_channel == "bcci")
    handled = (
        select(func.count())
        .select_from(Procedure)
        .where(Procedure.in_force.is_(True), handled_by(unit))
    )
    with_postal = (
        select(func.count(func.distinct(Dossier.procedure_id)))
        .join(Procedure, Procedure.id == Dossier.procedure_id)
        .where(mine, Procedure.in_force.is_(True), handled_by(unit))
        .where(or_(received_postal, returned_postal))
    )

    def count(*where):
        return db.session.scalar(select(func.count()).select_from(Dossier).where(mine, *where))

    return {
        "procedures": db.session.scalar(handled),
        "with_postal": db.session.scalar(with_postal),
        "received": count(received),
        "received_postal": count(received_postal),
        "returned_postal": count(returned_postal),
    }


def _sizes():
    return {
        table.__name__: db.session.scalar(select(func.count()).select_from(table))
        for table in (Unit, Dossier, Shipment, User, Procedure, Meeting, Task)
    }


@pytest.mark.slow  # loads the province demo (about 105.000 dossiers)
def test_province_demo_holds_the_reference_case_once(runner, client):
    r = runner.invoke(args=["demo", "load", "--province"])
    assert r.exit_code == 0, r.output
    units = db.session.scalars(select(Unit).order_by(Unit.id)).all()
    assert 28 <= len(units) <= 32
    assert {u.level for u in units} == {"tinh", "xa"}
    assert any(u.name.startswith("Đặc khu") for u in units)
    assert any(u.name.startswith("Xã") for u in units)
    reference = db.session.scalars(select(Unit).where(Unit.code == "HALONG")).one()
    assert _unit_counts(reference) == {
        "procedures": 299,
        "with_postal": 29,
        "received": 44865,
        "received_postal": 0,
        "returned_postal": 120,
    }
    # The catalogue has the three levels; other units handle fewer procedures than the
    # reference unit (which keeps the province-level ones), a few are far ahead on post.
    levels = dict(
        db.session.execute(
            select(Procedure.unit_level, func.count()).group_by(Procedure.unit_level)
        ).all()
    )
    assert levels["xa"] > levels["tinh"] > 0 and levels["ca_hai"] > 0
    others = [_unit_counts(u) for u in units if u.id != reference.id]
    assert all(0 < c["procedures"] < 299 and c["received"] > 0 for c in others)
    ahead = [c for c in others if c["received_postal"] * 10 >= c["received"]]
    behind = [c for c in others if c["returned_postal"] * 20 < c["received"]]
    assert 2 <= len(ahead) <= 6 and len(behind) > len(others) // 2
    # Every dossier received or returned by post has its shipment, in the dossier's unit.
    postal = db.session.scalar(
        select(func.count())
        .select_from(Dossier)
        .where(or_(Dossier.receive_channel == "bcci", Dossier.return_channel == "bcci"))
    )
    assert postal > 1000
    assert db.session.scalar(
        select(func.count())
        .select_from(Shipment)
        .join(Dossier, Dossier.id == Shipment.dossier_id)
        .where(Shipment.unit_id == Dossier.unit_id)
    ) == db.session.scalar(select(func.count()).select_from(Shipment))

    # `report units` shows the reference unit exactly, as `report summary` shows the one-unit
    # demo (tests/test_cli.py), and every unit's own counts.
    r = runner.invoke(
        args=["report", "units", "--from", "2024-01-01", "--to", "2024-09-30", "--json"]
    )
    assert r.exit_code == 0, r.output
    listed = {u["code"]: u for u in json.loads(r.output)}
    assert len(listed) == len(units)
    halong = listed["HALONG"]
    assert halong["name"] == "Phường Hạ Long"
    assert (
        halong["procedures_total"],
        halong["procedures_with_postal"],
        halong["dossiers_received"],
        halong["dossiers_received_postal"],
        halong["results_returned_postal"],
    ) == (299, 29, 44865, 0, 120)
    assert halong["criteria"] == [
        {"code": "C1", "numerator": 29, "denominator": 299, "percent": "9.70", "points": "0.00"},
        {"code": "C2", "numerator": 0, "denominator": 44865, "percent": "0.00", "points": "0.00"},
        {"code": "C3", "numerator": 120, "denominator": 44865, "percent": "0.27", "points": "0.00"},
    ]
    for unit in units:
        counted = _unit_counts(unit)
        shown = listed[unit.code]
        assert (
            shown["procedures_total"],
            shown["procedures_with_postal"],
            shown["dossiers_received"],
        ) == (counted["procedures"], counted["with_postal"], counted["received"]), unit.code
        assert (shown["dossiers_received_postal"], shown["results_returned_postal"]) == (
            counted["received_postal"],
            counted["returned_postal"],
        ), unit.code

    # Review meetings: the province's centre's and two units', with conclusions and tasks for
    # departments; the province's brief follows up its centre's and counts each unit's.
    from blueprints.briefs import services as briefs
    from utils.dates import Period

    context = briefs.brief_context(Period(*PERIOD), date(2024, 10, 1), province=True)
    centre = db.session.scalars(select(Unit).where(Unit.code == "TINH")).one()
    latest = context["follow_up"]["meeting"]
    assert latest.unit_id == centre.id and latest.date == date(2024, 7, 15) and latest.conclusions
    listed_tasks = context["follow_up"]["tasks"]
    assert len(listed_tasks) == 3 and {t.meeting.unit_id for t in listed_tasks} == {centre.id}
    assert context["follow_up"]["overdue"] == 2
    counted = {r.unit.code: (r.assigned, r.done, r.open) for r in context["unit_tasks"]["rows"]}
    assert counted == {"TINH": (6, 3, 3), "HALONG": (2, 1, 1), "CAOXANH": (2, 0, 2)}
    assert all(m.conclusions and m.tasks for m in db.session.scalars(select(Meeting)))

    # The kept tallies (per unit) equal the dossiers.
    r = runner.invoke(args=["tally", "check"])
    assert r.exit_code == 0, r.output

    # Loading twice, with or without --province, changes nothing.
    before = _sizes()
    for args in (["demo", "load", "--province"], ["demo", "load"]):
        r = runner.invoke(args=args)
        assert r.exit_code == 0 and "không thay đổi gì" in r.output
    assert _sizes() == before
    assert _unit_counts(reference)["received"] == 44865

    # `demo logins` prints the province's logins: a province-wide one and a unit's one log in.
    r = runner.invoke(args=["demo", "logins"])
    assert r.exit_code == 0, r.output
    lines = {m[0]: m for m in re.findall(r"^\s+(\S+)\s+(\S+)\s+(.*)$", r.output, re.M)}
    assert "lanhdao" in lines and "trungtam" in lines
    for username, scope in (("lanhdao", None), ("trungtam", reference.id)):
        user = db.session.scalars(select(User).where(User.username == username)).one()
        assert unit_scope(user) == scope
        response = client.log_in(username, lines[username][1])
        assert response.status_code == 303, response.text
        client.post("/logout")
