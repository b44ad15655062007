"""New records on a deployment of several units (issue 18, docs/units.md, *Who sees which
unit*): a user who sees every unit picks the unit of a new meeting, hand-over record and dossier
created at the counter; a unit-bound user gets no picker and his records are his unit's whatever
the form sends; a one-unit deployment shows no picker."""

from sqlalchemy import func, select

from extensions import db
from models import FIRST_UNIT_ID, Dossier, HandoverBatch, Meeting, Procedure, Shipment
from tests import factories as f
from tests.test_postal import form_data
from utils.units import create_unit

FORMS = ("/meetings/new", "/handover", "/shipments/new")
MEETING = {"date": "01/10/2024", "chair": "Chủ tịch", "conclusions": "Kết luận"}
BATCH = {"direction": "tra_ket_qua", "day": "20/03/2024"}


def _new_dossier(code, **extra):
    """The counter's form for a shipment of a dossier the product does not know yet."""
    return form_data(
        dossier_code=code,
        procedure_code="1.001108",
        receive_channel="truc_tiep",
        receive_date="2024-03-02",
        **extra,
    )


def _latest(model):
    return db.session.execute(select(model).order_by(model.id.desc())).scalars().first()


def _count(model):
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _two_units():
    f.procedure(code="1.001108", receive=True, ret=True, unit_level="ca_hai")
    second = create_unit("XA02", "Xã Hai", "xa")
    db.session.commit()
    return second


def test_a_province_wide_user_picks_the_unit_of_a_new_record(app, client, auth):
    second = _two_units()
    auth.login(user=f.user("admin", province_wide=True))
    for url in FORMS:
        page = client.get(url).text
        assert 'name="unit"' in page and "XA02 · Xã Hai" in page, url
    picked = {"unit": str(second.id)}
    assert client.post("/meetings/new", data={**MEETING, **picked}).status_code == 303
    assert _latest(Meeting).unit_id == second.id
    assert client.post("/handover/new", data={**BATCH, **picked}).status_code in (200, 303)
    assert _latest(HandoverBatch).unit_id == second.id
    assert client.post("/shipments/new", data=_new_dossier("NEW-1", **picked)).status_code == 303
    dossier = db.session.execute(select(Dossier).where(Dossier.code == "NEW-1")).scalar_one()
    assert dossier.unit_id == second.id and _latest(Shipment).unit_id == second.id
    # Sent without a unit (a form of before): the first unit's, as before the picker.
    assert client.post("/meetings/new", data=MEETING).status_code == 303
    assert _latest(Meeting).unit_id == FIRST_UNIT_ID
    # A unit that is not offered: refused in the user's language, nothing recorded.
    before = [_count(m) for m in (Meeting, HandoverBatch, Dossier, Shipment)]
    for url, data in (
        ("/meetings/new", MEETING),
        ("/handover/new", BATCH),
        ("/shipments/new", _new_dossier("NEW-2", tracking_number="EB000000005VN")),
    ):
        r = client.post(url, data={**data, "unit": "999"})
        assert r.status_code == 422 and "Hãy chọn một trong các đơn vị" in r.text, url
    assert [_count(m) for m in (Meeting, HandoverBatch, Dossier, Shipment)] == before


def _picked(page):
    """The unit the page's unit picker has chosen (its value), or ``None``."""
    import re

    select_ = re.search(r'<select[^>]*name="unit".*?</select>', page, re.S)
    chosen = select_ and re.search(r'<option selected value="([^"]*)"', select_[0])
    return chosen[1] if chosen else None


def test_the_counters_plain_form_keeps_the_picked_unit(app, client, auth):
    """Without htmx the page is sent again (a refusal) or anew (a save): either keeps the unit
    picked for the new dossier, as the htmx form does (it keeps the page)."""
    second = _two_units()
    auth.login(user=f.user("admin", province_wide=True))
    picked = {"unit": str(second.id)}
    refused = client.post("/shipments/new", data={**_new_dossier("NEW-5", **picked), "fee": "x"})
    assert refused.status_code == 422 and _picked(refused.text) == str(second.id)
    r = client.post("/shipments/new", data=_new_dossier("NEW-5", **picked))
    assert r.status_code == 303 and _latest(Dossier).unit_id == second.id
    assert _picked(client.get(r.headers["Location"]).text) == str(second.id)
    # A unit the address keeps that is not offered any more: the first unit, as on a new form.
    assert _picked(client.get("/shipments/new?unit=999").text) == str(FIRST_UNIT_ID)


def test_a_unit_bound_user_has_no_picker_and_his_records_stay_his_units(app, client, auth):
    second = _two_units()
    auth.login(user=f.user("centre", unit_id=second.id))
    for url in FORMS:
        assert 'name="unit"' not in client.get(url).text, url
    sent = {"unit": str(FIRST_UNIT_ID)}  # another unit's id: ignored
    assert client.post("/meetings/new", data={**MEETING, **sent}).status_code == 303
    assert _latest(Meeting).unit_id == second.id
    assert client.post("/handover/new", data={**BATCH, **sent}).status_code in (200, 303)
    assert _latest(HandoverBatch).unit_id == second.id
    assert client.post("/shipments/new", data=_new_dossier("NEW-3", **sent)).status_code == 303
    assert _latest(Dossier).unit_id == second.id


def test_a_one_unit_deployment_shows_no_picker(app, client, auth):
    auth.login(user=f.user("admin"))
    for url in FORMS:
        assert 'name="unit"' not in client.get(url).text, url


# --- A deactivated unit ---------------------------------------------------------------------------

INACTIVE = "Đơn vị XA02 đã ngừng hoạt động"


def _upload(client, data, **form):
    import io

    return client.post(
        "/dossiers/import",
        data={"file": (io.BytesIO(data), "hs.csv"), **form},
        content_type="multipart/form-data",
        headers={"HX-Request": "true"},
    )


def test_a_deactivated_unit_takes_no_new_record_and_no_import(app, client, auth, runner, tmp_path):
    from tests.test_import_units import DOSSIER_HEADER, csv_file, dossier_row
    from utils.units import set_unit_active

    second = _two_units()
    staff = f.user("centre", unit_id=second.id)
    set_unit_active(second, False)
    db.session.commit()
    tables = (Meeting, HandoverBatch, Dossier, Shipment)
    before = [_count(m) for m in tables]
    file = csv_file(DOSSIER_HEADER, dossier_row("HS-OFF-1"))
    # Its staff: each new record and the web import refused, in their language.
    auth.login(user=staff)
    for url, data in (
        ("/meetings/new", MEETING),
        ("/handover/new", BATCH),
        ("/shipments/new", _new_dossier("NEW-4")),
    ):
        r = client.post(url, data=data)
        assert r.status_code == 422 and INACTIVE in r.text, url
    r = _upload(client, file)
    assert r.status_code == 422 and INACTIVE in r.text
    auth.logout()
    # A province-wide user is not offered it, and may not pick it.
    auth.login(user=f.user("admin", province_wide=True))
    for url in (*FORMS, "/dossiers/import"):
        assert "XA02 · Xã Hai" not in client.get(url).text, url
    r = client.post("/meetings/new", data={**MEETING, "unit": str(second.id)})
    assert r.status_code == 422
    r = _upload(client, file, unit=str(second.id))
    assert r.status_code == 422 and INACTIVE in r.text
    # A row naming it is a bad row (the rest of the file is another unit's).
    named = csv_file((*DOSSIER_HEADER, "ma_don_vi"), (*dossier_row("HS-OFF-2"), "XA02"))
    r = _upload(client, named)
    assert r.status_code == 422 and "Đơn vị XA02 đã ngừng hoạt động: không nhận tệp nhập" in r.text
    assert [_count(m) for m in tables] == before
    # The command line: --unit naming it stops before the file is read; so does a row naming it.
    path = tmp_path / "hs.csv"
    path.write_bytes(file)
    r = runner.invoke(args=["import", "dossiers", str(path), "--unit", "XA02"])
    assert r.exit_code != 0 and INACTIVE in r.output
    path.write_bytes(named)
    r = runner.invoke(args=["import", "dossiers", str(path), "--unit", "DV01"])
    assert r.exit_code != 0 and "XA02" in r.output
    assert [_count(m) for m in tables] == before
    # Active again, it takes them.
    set_unit_active(second, True)
    db.session.commit()
    r = runner.invoke(args=["import", "dossiers", str(path)])
    assert r.exit_code == 0, r.output


def test_a_deactivated_units_leader_issues_no_brief(app, client, auth):
    from models import Brief
    from tests.test_briefs import _small_catalogue, own_rubric
    from tests.test_issuing import FORM, QUERY
    from utils.units import set_unit_active

    _small_catalogue()
    own_rubric()
    second = create_unit("XA02", "Xã Hai", "xa")
    leader = f.user("leader", unit_id=second.id)
    set_unit_active(second, False)
    db.session.commit()
    auth.login(user=leader)
    page = client.get("/briefs/issue", query_string=QUERY).text
    assert INACTIVE in page
    r = client.post("/briefs/issue", data=dict(FORM, number="1"))
    assert r.status_code == 422 and INACTIVE in r.text
    assert _count(Brief) == 0


def test_a_deactivated_units_dossier_takes_no_shipment(app, client, auth, runner, tmp_path):
    """A shipment for a dossier the deactivated unit already holds: refused at the counter
    (its staff's and a province-wide user's, with and without htmx), by the postal import on
    the web, by the service and on the command line, nothing written; reactivated, taken."""
    from datetime import date

    from blueprints.postal.services import import_postal
    from tests.test_import_units import POSTAL_HEADER, csv_file
    from utils.units import set_unit_active

    second = _two_units()
    proc = db.session.execute(select(Procedure)).scalars().first()
    dossier = f.dossier(proc, date(2024, 3, 1), code="HS-OFF-9")
    dossier.unit_id = second.id
    staff = f.user("centre", unit_id=second.id)
    set_unit_active(second, False)
    db.session.commit()
    log = form_data(dossier_code="HS-OFF-9")
    row = ("RR473124829VN", "tra_ket_qua", "HS-OFF-9", "10/03/2024")
    manifest = csv_file(POSTAL_HEADER, row)
    for user in (staff, f.user("admin", province_wide=True)):
        auth.login(user=user)
        # The counter says so as soon as the code is typed.
        looked_up = client.get("/shipments/lookup-dossier?dossier_code=HS-OFF-9").text
        assert INACTIVE in looked_up and 'data-testid="dossier-known"' in looked_up
        for headers in ({}, {"HX-Request": "true"}):
            r = client.post("/shipments/new", data=log, headers=headers)
            assert r.status_code == 422 and INACTIVE in r.text, (user.role, headers)
        auth.logout()
    auth.login(user=staff)
    r = client.upload("/shipments/import", manifest, "bg.csv", headers={"HX-Request": "true"})
    assert r.status_code == 422 and INACTIVE in r.text
    report = import_postal("bg.csv", manifest, unit=second.id)
    assert not report.ok and INACTIVE in report.problems[0].reason
    db.session.rollback()
    named = csv_file((*POSTAL_HEADER, "ma_don_vi"), (*row, "XA02"))
    assert not import_postal("bg.csv", named).ok
    db.session.rollback()
    path = tmp_path / "bg.csv"
    path.write_bytes(manifest)
    r = runner.invoke(args=["import", "postal", str(path), "--unit", "XA02"])
    assert r.exit_code != 0 and INACTIVE in r.output
    assert _count(Shipment) == 0
    set_unit_active(second, True)
    db.session.commit()
    assert client.post("/shipments/new", data=log).status_code == 303
    assert _latest(Shipment).unit_id == second.id


def test_a_deactivated_units_shipment_is_neither_changed_nor_cancelled(app, client, auth):
    """A shipment the deactivated unit already holds: its staff's and a province-wide admin's
    edit and cancel are refused (422, in Vietnamese, plain and htmx), its edit form does not
    open by URL (409, as a cancelled shipment's), nor does another unit's
    shipment move to its dossier; nothing changed, no audit event. Reactivated, the edit saves
    (fails before: edit, cancel and move saved)."""
    from datetime import date

    from models import AuditEvent
    from utils.units import set_unit_active

    second = _two_units()
    proc = db.session.execute(select(Procedure)).scalars().first()
    off = f.dossier(proc, date(2024, 3, 1), code="HS-OFF-1")
    off.unit_id = second.id
    kept = f.shipment(off, when=date(2024, 3, 10))
    elsewhere = f.shipment(f.dossier(proc, date(2024, 3, 1), code="HS-ON-1"))
    staff = f.user("centre", unit_id=second.id)
    set_unit_active(second, False)
    db.session.commit()
    stored = select(
        Shipment.id,
        Shipment.tracking_number,
        Shipment.date,
        Shipment.dossier_id,
        Shipment.cancelled,
    ).order_by(Shipment.id)
    before = db.session.execute(stored).all()
    edit = form_data(dossier_code="HS-OFF-1", date="2024-03-12", reason="Sai ngày")
    edit.pop("direction")
    frozen = "Đơn vị XA02 đã ngừng hoạt động: bưu gửi của đơn vị được giữ nguyên"
    admin = f.user("admin", province_wide=True)
    for user, hx in ((staff, {}), (admin, {"HX-Request": "true"})):
        auth.login(user=user)
        # its page offers no correction and no cancellation, and says why
        page = client.get(f"/shipments/{kept.id}").text
        assert 'data-testid="kept-as-is"' in page and frozen in page, user.role
        assert (
            f"/shipments/{kept.id}/edit" not in page and f"/shipments/{kept.id}/cancel" not in page
        )
        # nor does its edit form open by URL: refused as a cancelled shipment's, with the message
        r = client.get(f"/shipments/{kept.id}/edit", headers=hx)
        assert r.status_code == 409 and frozen in r.text and 'id="edit-form"' not in r.text
        assert client.head(f"/shipments/{kept.id}/edit").status_code == 409
        assert client.get(f"/shipments/{kept.id}/cancel", headers=hx).status_code == 405
        r = client.post(f"/shipments/{kept.id}/edit", data=edit, headers=hx)
        assert r.status_code == 422 and frozen in r.text, user.role
        r = client.post(f"/shipments/{kept.id}/cancel", data={"reason": "Hủy"}, headers=hx)
        assert r.status_code == 422 and frozen in r.text, user.role
        if user is staff:
            auth.logout()
    r = client.post(f"/shipments/{elsewhere.id}/edit", data=edit)
    assert r.status_code == 422 and INACTIVE in r.text and frozen not in r.text
    db.session.expire_all()
    assert db.session.execute(stored).all() == before
    audited = (
        select(func.count()).select_from(AuditEvent).where(AuditEvent.object_type == "shipment")
    )
    assert db.session.scalar(audited) == 0
    set_unit_active(second, True)
    db.session.commit()
    page = client.get(f"/shipments/{kept.id}").text
    assert "kept-as-is" not in page
    assert f"/shipments/{kept.id}/edit" in page and f"/shipments/{kept.id}/cancel" in page
    assert 'id="edit-form"' in client.get(f"/shipments/{kept.id}/edit").text
    assert client.post(f"/shipments/{kept.id}/edit", data=edit).status_code == 303


def test_a_postal_import_changes_no_shipment_of_a_deactivated_unit(app, client, auth):
    """A manifest row that would update (by tracking number) a deactivated unit's shipment, or
    log a new one for its dossier, is a bad row, every one reported and nothing written: named
    in ``ma_don_vi`` (the unit is deactivated, as the form's refusal says first), or in the
    file of an active unit (the dossier is another unit's)."""
    from datetime import date

    from blueprints.postal.services import import_postal
    from tests.test_import_units import POSTAL_HEADER, csv_file
    from utils.units import set_unit_active

    second = _two_units()
    proc = db.session.execute(select(Procedure)).scalars().first()
    off = f.dossier(proc, date(2024, 3, 1), code="HS-OFF-1")
    off.unit_id = second.id
    kept = f.shipment(off, when=date(2024, 3, 10))
    f.dossier(proc, date(2024, 3, 1), code="HS-ON-1")
    set_unit_active(second, False)
    db.session.commit()
    stored = select(Shipment.id, Shipment.tracking_number, Shipment.date, Shipment.dossier_id)
    before = db.session.execute(stored).all()
    rows = (
        (kept.tracking_number, "tra_ket_qua", "HS-OFF-1", "12/03/2024"),  # an update
        ("EB123456785VN", "tra_ket_qua", "HS-OFF-1", "12/03/2024"),  # a new one
    )
    good = ("RR473124829VN", "tra_ket_qua", "HS-ON-1", "12/03/2024")
    named = csv_file(
        (*POSTAL_HEADER, "ma_don_vi"), *((*row, "XA02") for row in rows), (*good, "DV01")
    )
    auth.login(user=f.user("admin", province_wide=True))
    r = client.upload("/shipments/import", named, "bg.csv", headers={"HX-Request": "true"})
    assert r.status_code == 422 and r.text.count(f"{INACTIVE}: không nhận tệp nhập") == 2
    report = import_postal("bg.csv", named)
    assert [(p.row, p.column) for p in report.problems] == [(2, "ma_don_vi"), (3, "ma_don_vi")]
    db.session.rollback()
    report = import_postal("bg.csv", csv_file(POSTAL_HEADER, *rows, good), unit=FIRST_UNIT_ID)
    assert [(p.row, p.column, p.reason) for p in report.problems] == [
        (row, "ma_ho_so", "Mã hồ sơ HS-OFF-1 thuộc về một đơn vị khác.") for row in (2, 3)
    ]
    db.session.rollback()
    assert db.session.execute(stored).all() == before
