"""Unit staff see their unit (issue 18, docs/units.md): a user bound to a unit sees and changes
only that unit's dossiers, shipments, hand-over records, meetings, tasks and briefs; another
unit's record answers 404, as one that does not exist, and changes nothing. Province-wide users
and department staff see every unit. New records are the user's unit's; briefs and hand-over
records are numbered per unit. (Every route × role × unit: ``test_access_matrix``.)"""

from datetime import date

import pytest
from sqlalchemy import func, select

from blueprints.briefs import services as briefs
from blueprints.handover import services as handover
from blueprints.meetings import services as meetings
from blueprints.postal import services as postal
from extensions import db
from models import FIRST_UNIT_ID, Brief, Dossier, HandoverBatch, Meeting, Shipment
from tests import factories as f
from tests.statements import recorded
from tests.access_policy import OTHER_DOSSIER_CODE, OTHER_TRACKING, OtherUnitSamples, Samples
from tests.test_access_matrix import sign_in, table_dump

GOOD = "EB123456785VN"
TAN_LAP = "Trung tâm phục vụ hành chính công xã Tân Lập"  # the other unit's name


@pytest.fixture()
def units(app):
    """Two units, each holding a dossier, a shipment, a meeting with a task, an issued brief
    and a draft hand-over record: ``(own, other)`` samples (own: the first unit's)."""
    own = Samples()
    other = OtherUnitSamples(own)
    own_built = OtherUnitSamples.build_all  # the same records in the first unit
    own_built(own)
    other.build_all()
    db.session.commit()
    return own, other


def bound(auth, role, unit_id=FIRST_UNIT_ID):
    """Log ``auth``'s client in as a new user of ``role`` bound to the unit (without the
    deliberately slow password check)."""
    auth.user = f.user(role, unit_id=unit_id)
    sign_in(auth.client, auth.user)
    return auth.user


# One page and one change of every kind of record a unit holds, as (method, URL, form data).
def _dossier(s):
    return [("GET", f"/dossiers/{s.dossier.id}", None)]


def _shipment(s):
    sid = s.shipment.id
    return [
        ("GET", f"/shipments/{sid}", None),
        ("POST", f"/shipments/{sid}/cancel", {"reason": "Ghi nhầm"}),
        ("POST", f"/shipments/{sid}/edit", {"reason": "Sửa", "fee": "30.000"}),
    ]


def _batch(s):
    batch = HandoverBatch.query.filter_by(unit_id=s.unit_id).one()
    return [
        ("GET", f"/handover/{batch.id}", None),
        ("POST", f"/handover/{batch.id}/sign", {}),
        ("POST", f"/handover/{batch.id}/discard", {}),
    ]


def _meeting(s):
    meeting = Meeting.query.filter_by(unit_id=s.unit_id).one()
    return [
        ("GET", f"/meetings/{meeting.id}", None),
        ("POST", f"/meetings/{meeting.id}/edit", {"date": "2024-09-22", "chair": "Người khác"}),
        ("POST", f"/meetings/{meeting.id}/tasks", {"description": "Việc mới"}),
    ]


def _task(s):
    task = Meeting.query.filter_by(unit_id=s.unit_id).one().tasks[0]
    return [("POST", f"/tasks/{task.id}/status", {f"task{task.id}-status": "done"})]


def _brief(s):
    brief = Brief.query.filter_by(unit_id=s.unit_id).one()
    return [
        ("GET", f"/briefs/{brief.id}.pdf", None),
        ("POST", f"/briefs/{brief.id}/withdraw", {"reason": "Nhầm số liệu"}),
    ]


KINDS = {
    "dossier": _dossier,
    "shipment": _shipment,
    "handover": _batch,
    "meeting": _meeting,
    "task": _task,
    "brief": _brief,
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_another_units_record_is_a_404_and_changes_nothing(app, units, kind):
    own, other = units
    clients = {
        role: sign_in(app.test_client(), f.user(role, unit_id=FIRST_UNIT_ID))
        for role in ("admin", "centre", "leader")
    }
    before = table_dump()
    for role, client in clients.items():
        for method, url, data in KINDS[kind](other):
            r = client.open(url, method=method, data=data, headers={"HX-Request": "true"})
            if r.status_code == 403:  # the role may not take this step at all (the policy's)
                continue
            assert r.status_code == 404, f"{method} {url} as {role}: {r.status_code}"
            assert table_dump() == before, f"{method} {url} as {role} changed the database"
        # Their own unit's record is there.
        for method, url, _data in KINDS[kind](own):
            if method == "GET":
                assert client.get(url).status_code in (200, 403), url
    # A province-wide user reaches the other unit's record.
    province = sign_in(app.test_client(), f.user("admin", province_wide=True))
    for method, url, _data in KINDS[kind](other):
        if method == "GET":
            assert province.get(url).status_code == 200, url


def test_lists_show_only_the_users_unit(client, auth, units):
    own, other = units
    bound(auth, "centre")
    pages = (
        "/dossiers?q=000",
        "/dossiers/export.csv",
        "/shipments",
        "/shipments/export.csv",
        "/shipments/new",
        "/handover",
        "/meetings",
        "/briefs",
        "/reconciliation",
    )
    markers = other.markers()
    for page in pages:
        r = client.get(page)
        assert r.status_code == 200, page
        shown = [m for m in markers if m in r.text]
        assert not shown, f"{page} shows the other unit's {shown}"
    assert own.dossier.code in client.get("/dossiers?q=000").text
    assert own.shipment.tracking_number in client.get("/shipments").text
    # Province-wide: both units.
    sign_in(client, f.user("centre", province_wide=True))
    assert OTHER_DOSSIER_CODE in client.get("/dossiers?q=000").text
    assert OTHER_TRACKING in client.get("/shipments").text


def test_a_units_shipment_totals_and_reconciliation_count_its_own(app, units):
    own, other = units
    everything = postal.list_totals(postal.ShipmentFilters())
    mine = postal.list_totals(postal.ShipmentFilters(unit_id=FIRST_UNIT_ID))
    theirs = postal.list_totals(postal.ShipmentFilters(unit_id=other.unit_id))
    assert (mine["total"], theirs["total"], everything["total"]) == (1, 1, 2)
    assert mine["fees"] + theirs["fees"] == everything["fees"]
    _rows, province = postal.reconciliation_by_department()
    _rows, first = postal.reconciliation_by_department(unit_id=FIRST_UNIT_ID)
    _rows, second = postal.reconciliation_by_department(unit_id=other.unit_id)
    assert second["unlogged_return"] == 1 and first["unlogged_return"] == 0
    assert province == {k: first[k] + second[k] for k in province}


def test_the_counter_refuses_another_units_dossier_code_as_unknown(client, auth, units):
    _own, other = units
    bound(auth, "centre")
    hx = {"HX-Request": "true"}
    r = client.get(f"/shipments/lookup-dossier?dossier_code={OTHER_DOSSIER_CODE}", headers=hx)
    assert '"unknown": true' in r.headers["HX-Trigger"]
    assert 'data-testid="dossier-known"' not in r.text
    count = db.session.scalar(select(func.count()).select_from(Shipment))
    data = {
        "tracking_number": GOOD,
        "direction": "tra_ket_qua",
        "dossier_code": OTHER_DOSSIER_CODE,
        "date": "2024-03-20",
        "fee": "25.000",
    }
    r = client.post("/shipments/new", data=data, headers=hx)
    assert r.status_code == 422 and 'data-testid="dossier-unknown"' in r.text
    # With what creates a dossier: the code is taken in the province, said without showing it.
    data.update(procedure_code=other.procedure.code, receive_channel="truc_tiep")
    data["receive_date"] = "2024-03-04"
    r = client.post("/shipments/new", data=data, headers=hx)
    assert r.status_code == 422
    assert f"/dossiers/{other.dossier.id}" not in r.text
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Shipment)) == count
    assert db.session.get(Dossier, other.dossier.id).unit_id == other.unit_id


def test_another_units_tracking_number_is_refused_without_showing_it(client, auth, units):
    own, other = units
    bound(auth, "centre")
    hx = {"HX-Request": "true"}
    r = client.get(
        f"/shipments/check-tracking?tracking_number={OTHER_TRACKING}&direction=tra_ket_qua",
        headers=hx,
    )
    assert 'data-testid="tracking-duplicate"' in r.text
    assert f"/shipments/{other.shipment.id}" not in r.text
    data = {
        "tracking_number": OTHER_TRACKING,
        "direction": "tra_ket_qua",
        "dossier_code": own.dossier.code,
        "date": "2024-03-20",
        "recipient_name": "Nguyễn Văn An",
        "address": "12 Lê Lợi, Hạ Long",
        "phone": "0912345678",
    }
    r = client.post("/shipments/new", data=data, headers=hx)
    assert r.status_code == 409
    assert f"/shipments/{other.shipment.id}" not in r.text and "Trần Thị Bình" not in r.text


def test_a_shipment_is_not_moved_to_another_units_dossier(client, auth, units):
    own, _other = units
    bound(auth, "centre")
    sid = own.shipment.id
    data = {
        "tracking_number": own.shipment.tracking_number,
        "dossier_code": OTHER_DOSSIER_CODE,
        "date": "2024-03-18",
        "reason": "Sửa mã hồ sơ",
    }
    r = client.post(f"/shipments/{sid}/edit", data=data, headers={"HX-Request": "true"})
    assert r.status_code == 422
    db.session.rollback()
    assert db.session.get(Shipment, sid).dossier_id == own.dossier.id


def test_a_record_takes_no_other_units_shipment(client, auth, units):
    own, other = units
    bound(auth, "centre")
    batch = HandoverBatch.query.filter_by(unit_id=FIRST_UNIT_ID).one()
    db.session.commit()
    before = table_dump()
    r = client.post(f"/handover/{batch.id}/items", data={"shipment_id": other.shipment.id})
    assert r.status_code == 404
    assert table_dump() == before


def test_new_records_are_the_users_unit(app, units):
    _own, other = units
    user = f.user("centre", unit_id=other.unit_id)
    meeting = meetings.create_meeting(
        date_=date(2024, 10, 1), chair="Chủ tịch", participants="", conclusions="", user=user
    )
    assert meeting.unit_id == other.unit_id
    unbound = f.user("admin", province_wide=True)
    assert (
        meetings.create_meeting(
            date_=date(2024, 10, 1), chair="Chủ tịch", participants="", conclusions="", user=unbound
        ).unit_id
        == FIRST_UNIT_ID
    )
    # A hand-over record proposes only its unit's shipments.
    f.shipment(other.dossier, "tra_ket_qua", when=date(2024, 3, 20))
    f.shipment(_own_dossier(), "tra_ket_qua", when=date(2024, 3, 20))
    draft = handover.propose_batch("tra_ket_qua", date(2024, 3, 20), user=user)
    assert draft.unit_id == other.unit_id
    assert [i.shipment.unit_id for i in draft.items] == [other.unit_id]


def _own_dossier():
    return db.session.execute(select(Dossier).where(Dossier.unit_id == FIRST_UNIT_ID)).scalar()


def test_handover_records_and_briefs_are_numbered_per_unit(app, units):
    own, other = units
    first = HandoverBatch.query.filter_by(unit_id=FIRST_UNIT_ID).one()
    second = HandoverBatch.query.filter_by(unit_id=other.unit_id).one()
    handover.sign_batch(first)
    handover.sign_batch(second)
    assert (first.number, second.number) == (1, 1)
    # Briefs: the first unit has number 1 of 2024; the second unit's next is its own 2.
    assert briefs._next_number(2024, FIRST_UNIT_ID) == 2
    assert briefs._next_number(2024, other.unit_id) == 2
    assert briefs._next_number(2025, other.unit_id) == 1


def test_one_unit_lists_add_no_unit_condition(app):
    """On a one-unit deployment nobody is limited to a unit: the lists' SQL has no unit."""
    from blueprints.dossiers import services as dossiers

    filters = dossiers.DossierFilters(q="000")
    assert "unit_id" not in str(select(Dossier.id).where(*filters.dossier_conditions()))
    assert "unit_id" not in str(select(Shipment.id).where(*postal.ShipmentFilters().conditions()))
    leader = f.user("leader")
    from utils.units import unit_scope

    assert unit_scope(leader) is None


def test_a_units_dossier_list_is_counted_from_its_tallies(app, units):
    """A bound user's whole list, or a period of it, is counted exactly from the unit's rows of
    the tallies (the province's count would be wrong, a count over the dossiers capped)."""
    from blueprints.dossiers import services as dossiers

    own, other = units
    for n in range(3):  # more of the second unit's dossiers, some with no return date
        f.dossier(other.procedure, date(2024, 3, 6 + n), unit_id=other.unit_id)
    db.session.commit()
    with recorded() as seen:
        for filters, expected in (
            (dossiers.DossierFilters(unit_id=other.unit_id), 5),
            (dossiers.DossierFilters(unit_id=FIRST_UNIT_ID), 1),
            (dossiers.DossierFilters(), 6),
            (dossiers.DossierFilters(direction="tra_ket_qua", unit_id=other.unit_id), 5),
        ):
            seen.clear()
            page = dossiers.search_dossiers(filters)
            assert (page.total, page.capped) == (expected, False), filters
            # A unit's rows of the units' tally; the province's from the province's tally.
            kept = "dossier_quarter_tally" if filters.unit_id else "province_quarter_tally"
            assert any(kept in s for s in seen), filters


def test_a_unit_bound_users_brief_gives_the_units_figures(app, units):
    """The brief a user bound to a unit previews, drafts and issues gives that unit's figures
    (and follows up its meetings); the province's brief (no unit) is unchanged."""
    from utils import figures
    from utils.dates import Period

    own, other = units
    period = Period(date(2024, 1, 1), date(2024, 3, 31))
    from models import Unit

    unit = db.session.get(Unit, other.unit_id)
    theirs = briefs.brief_context(period, today=date(2024, 10, 1), unit_id=other.unit_id)
    province = briefs.brief_context(period, today=date(2024, 10, 1))
    assert theirs["summary"].counts == figures.summary(period, unit=unit).counts
    assert province["summary"].counts == figures.summary(period).counts
    assert theirs["summary"].counts != province["summary"].counts
    assert theirs["trend"] == figures.monthly_trend(period, unit)
    assert [t.task.meeting.unit_id for t in theirs["follow_up"]["tasks"]] == [other.unit_id]
    assert len(province["follow_up"]["tasks"]) == 2


def test_briefs_are_written_with_their_own_units_prefix(app, client, auth, units):
    """The issued-brief list, the withdrawal form, the confirmation and the messages write a
    brief's number with its own unit's prefix, not the first unit's (fails before: TTHCC)."""
    from tests.test_briefs import own_rubric
    from utils.settings import get_settings

    own, other = units
    own_rubric()
    get_settings(other.unit_id).doc_prefix = "TTXTL"
    db.session.commit()
    theirs = Brief.query.filter_by(unit_id=other.unit_id).one()
    province = sign_in(app.test_client(), f.user("leader", province_wide=True))
    listed = province.get("/briefs").text
    assert "01/BC-TTHCC" in listed and "01/BC-TTXTL" in listed
    # Who sees every unit is told each brief's unit.
    assert f"{TAN_LAP}</div>" in listed
    bound(auth, "leader", other.unit_id)
    listed = client.get("/briefs").text
    assert "01/BC-TTXTL" in listed and "BC-TTHCC" not in listed
    form = client.get(f"/briefs/{theirs.id}/withdraw").text
    assert "01/BC-TTXTL" in form and "BC-TTHCC" not in form
    confirm = client.get("/briefs/issue", query_string={"from": "2024-01-01", "to": "2024-03-31"})
    # The year of issue is this year: its first number.
    assert "01/BC-TTXTL" in confirm.text and "BC-TTHCC" not in confirm.text
    r = client.post(
        f"/briefs/{theirs.id}/withdraw", data={"reason": "Nhầm số liệu"}, follow_redirects=True
    )
    assert "01/BC-TTXTL" in r.text and "BC-TTHCC" not in r.text


def test_the_brief_list_reads_every_units_settings_at_once(app, units):
    """The issued-brief list reads its briefs' units' settings in one query (fails before: one
    query per unit)."""
    from tests.test_briefs import own_rubric
    from utils.settings import get_settings

    own, other = units
    own_rubric()
    get_settings(other.unit_id).doc_prefix = "TTXTL"
    db.session.commit()
    listed = Brief.query.all()  # the settings, expired by the commit, are read again
    with recorded() as seen:
        numbers = briefs.brief_numbers(listed)
    assert sorted(numbers.values()) == ["01/BC-TTHCC", "01/BC-TTXTL"] and len(seen) == 1
