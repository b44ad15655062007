"""A shipment in a signed hand-over record: the record is a legal document, so the shipment is
neither cancelled nor changed in what the record prints until the record is voided."""

from datetime import date

import pytest
from sqlalchemy import func, select

from blueprints.handover import services as handover
from blueprints.postal import services
from extensions import db
from models import AuditEvent, Dossier, Shipment
from tests import factories as f

DAY = date(2024, 3, 18)
NUMBER = "EB123456785VN"


@pytest.fixture()
def signed(app):
    """A result shipment handed over in a signed record: ``(shipment, batch)``."""
    proc = f.procedure(code="1.001108", ret=True)
    d = f.dossier(proc, date(2024, 3, 1), code="000.17.22.H56-240301-0001")
    f.dossier(proc, date(2024, 3, 2), code="000.17.22.H56-240302-0001")
    s = f.logged_shipment(d, "tra_ket_qua", DAY, tracking_number=NUMBER, **f.RECIPIENT)
    batch = handover.propose_batch("tra_ket_qua", DAY)
    handover.sign_batch(batch)
    db.session.commit()
    return s, batch


def events():
    return db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.object_type == "shipment")
    )


def edit_data(**extra):
    data = {
        "tracking_number": NUMBER,
        "dossier_code": "000.17.22.H56-240301-0001",
        "date": "2024-03-18",
        "recipient_name": f.RECIPIENT["recipient_name"],
        "address": f.RECIPIENT["address"],
        "phone": f.RECIPIENT["phone"],
        "fee": "25.000",
        "reason": "Sửa",
    }
    data.update(extra)
    return data


@pytest.mark.parametrize("htmx", [False, True])
def test_cancelling_a_handed_over_shipment_is_refused(client, auth, signed, htmx):
    s, batch = signed
    before = events()
    auth.login("centre")
    headers = {"HX-Request": "true"} if htmx else {}
    r = client.post(f"/shipments/{s.id}/cancel", data={"reason": "Khách đổi ý"}, headers=headers)
    assert r.status_code == 409
    assert "biên bản giao nhận đã ký số 01/" in r.text
    assert ("<html" in r.text) != htmx
    db.session.expire_all()
    shipment = db.session.get(Shipment, s.id)
    assert not shipment.cancelled and shipment.cancel_reason == ""
    assert db.session.get(Dossier, shipment.dossier_id).return_channel == "bcci"
    assert events() == before


def test_the_shipment_page_offers_no_cancel_form_while_handed_over(client, auth, signed):
    s, batch = signed
    auth.login("centre")
    r = client.get(f"/shipments/{s.id}")
    assert 'data-testid="handed-over"' in r.text and f"/handover/{batch.id}" in r.text
    assert f"/shipments/{s.id}/cancel" not in r.text


def test_after_voiding_the_record_the_shipment_can_be_cancelled(client, auth, signed):
    s, batch = signed
    handover.void_batch(batch, "Lập nhầm")
    db.session.commit()
    auth.login("centre")
    assert f"/shipments/{s.id}/cancel" in client.get(f"/shipments/{s.id}").text
    r = client.post(f"/shipments/{s.id}/cancel", data={"reason": "Khách đổi ý"})
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(Shipment, s.id).cancelled


@pytest.mark.parametrize(
    "field,value",
    [
        ("tracking_number", "RR473124829VN"),
        ("dossier_code", "000.17.22.H56-240302-0001"),
        ("recipient_name", "Trần Thị Bình"),
        ("address", "5 Trần Phú"),
        ("fee", "30.000"),
    ],
)
def test_what_the_record_prints_cannot_be_corrected(client, auth, signed, field, value):
    s, batch = signed
    before = events()
    auth.login("centre")
    r = client.post(
        f"/shipments/{s.id}/edit", data=edit_data(**{field: value}), headers={"HX-Request": "true"}
    )
    assert r.status_code == 409
    assert "<html" not in r.text and 'id="edit-form"' in r.text
    assert "void the record" in r.text or "hủy biên bản" in r.text
    db.session.expire_all()
    shipment = db.session.get(Shipment, s.id)
    assert (
        shipment.tracking_number,
        shipment.recipient_name,
        shipment.address,
        shipment.fee,
        shipment.dossier.code,
    ) == (
        NUMBER,
        f.RECIPIENT["recipient_name"],
        f.RECIPIENT["address"],
        f.RECIPIENT["fee"],
        "000.17.22.H56-240301-0001",
    )
    assert events() == before


def test_what_the_record_does_not_print_can_still_be_corrected(client, auth, signed):
    s, batch = signed
    auth.login("centre")
    page = client.get(f"/shipments/{s.id}/edit")
    assert 'data-testid="handed-over"' in page.text
    r = client.post(
        f"/shipments/{s.id}/edit", data=edit_data(phone="0987654321", date="2024-03-17")
    )
    assert r.status_code == 303
    db.session.expire_all()
    shipment = db.session.get(Shipment, s.id)
    assert (shipment.phone, shipment.date) == ("0987654321", date(2024, 3, 17))


def test_a_manifest_cannot_change_what_a_signed_record_prints(app, signed):
    s, batch = signed
    header = "so_hieu_buu_gui,chieu,ma_ho_so,ngay,ho_ten,cuoc_phi\n"
    same = f"{NUMBER},tra_ket_qua,000.17.22.H56-240301-0001,18/03/2024,Nguyễn Văn An,25000\n"
    report = services.import_postal("m.csv", (header + same).encode())
    assert report.ok and report.unchanged == 1
    db.session.commit()
    changed = f"{NUMBER},tra_ket_qua,000.17.22.H56-240301-0001,18/03/2024,Trần Thị Bình,30000\n"
    report = services.import_postal("m.csv", (header + changed).encode())
    assert not report.ok
    assert sorted((b.row, b.column) for b in report.problems) == [(2, "cuoc_phi"), (2, "ho_ten")]
    db.session.rollback()
    shipment = db.session.get(Shipment, s.id)
    assert (shipment.recipient_name, shipment.fee) == ("Nguyễn Văn An", 25000)
