"""A cancelled shipment does not block logging its tracking number again in the same direction;
the number stays unique among the shipments that count (a partial unique index), and manifest
imports match rows with the shipment not cancelled."""

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from blueprints.postal import services
from extensions import db
from models import Dossier, Shipment
from tests import factories as f

NUMBER = "EB123456785VN"
CODE_A = "000.17.22.H56-240301-0001"
CODE_B = "000.17.22.H56-240302-0001"
HEADER = "so_hieu_buu_gui,chieu,ma_ho_so,ngay,cuoc_phi\n"
PERSON = {
    "recipient_name": "Nguyễn Văn An",
    "address": "Số 3, phố Cột Đồng Hồ, phường Hồng Gai",
    "phone": "0912 345 678",
}


@pytest.fixture()
def dossiers(app):
    proc = f.procedure(code="1.001108", ret=True)
    a = f.dossier(proc, date(2024, 3, 1), code=CODE_A)
    b = f.dossier(proc, date(2024, 3, 2), code=CODE_B)
    db.session.commit()
    return a, b


def rows(number=NUMBER):
    return db.session.scalars(
        select(Shipment).where(Shipment.tracking_number == number).order_by(Shipment.id)
    ).all()


def log(dossier, number=NUMBER, direction="tra_ket_qua", when=date(2024, 3, 10)):
    return services.log_shipment(
        tracking_number=number, direction=direction, dossier=dossier, date=when
    )


def test_the_number_of_a_cancelled_shipment_is_logged_again_on_the_form(client, auth, dossiers):
    a, b = dossiers
    first = log(a)
    services.cancel_shipment(first, "Ghi nhầm hồ sơ")
    db.session.commit()
    auth.login("centre")
    check = client.get(
        "/shipments/check-tracking",
        query_string={"tracking_number": NUMBER, "direction": "tra_ket_qua"},
        headers={"HX-Request": "true"},
    )
    assert check.status_code == 200 and "tracking-duplicate" not in check.text
    r = client.post(
        "/shipments/new",
        data={
            "tracking_number": NUMBER,
            "direction": "tra_ket_qua",
            "dossier_code": CODE_B,
            "date": "2024-03-11",
            "fee": "25.000",
            **PERSON,
        },
    )
    assert r.status_code == 303, r.text
    db.session.expire_all()
    assert [(s.dossier_id, s.cancelled) for s in rows()] == [(a.id, True), (b.id, False)]
    assert db.session.get(Dossier, b.id).return_channel == "bcci"
    assert db.session.get(Dossier, a.id).return_channel is None
    # While that one counts, the number is taken in this direction.
    r = client.post(
        "/shipments/new",
        data={
            "tracking_number": NUMBER,
            "direction": "tra_ket_qua",
            "dossier_code": CODE_A,
            "date": "2024-03-11",
            **PERSON,
        },
    )
    assert r.status_code == 409
    assert len(rows()) == 2


def test_a_correction_may_take_a_cancelled_shipments_number(app, dossiers):
    a, b = dossiers
    services.cancel_shipment(log(a), "Nhầm")
    other = log(b, number="RR473124829VN")
    assert services.update_shipment(other, {"tracking_number": NUMBER}, "Sửa số hiệu")
    db.session.commit()
    assert [s.cancelled for s in rows()] == [True, False]


def test_the_database_keeps_one_shipment_that_counts_per_number_and_direction(app, dossiers):
    a, b = dossiers
    f.shipment(a, "tra_ket_qua", tracking_number=NUMBER, cancelled=True)
    f.shipment(b, "tra_ket_qua", tracking_number=NUMBER, cancelled=True)
    f.shipment(b, "tra_ket_qua", tracking_number=NUMBER)
    f.shipment(b, "tiep_nhan", tracking_number=NUMBER)
    db.session.commit()
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            f.shipment(a, "tra_ket_qua", tracking_number=NUMBER)
    db.session.rollback()
    assert len(rows()) == 4


def test_a_manifest_does_not_revive_a_cancelled_shipment_and_matches_the_one_that_counts(
    app, dossiers
):
    a, b = dossiers
    manifest = (HEADER + f"{NUMBER},tra_ket_qua,{CODE_A},10/03/2024,25000\n").encode()
    report = services.import_postal("m.csv", manifest)
    assert report.ok and report.created == 1
    [shipment] = rows()
    services.cancel_shipment(shipment, "Ghi nhầm hồ sơ")
    db.session.commit()
    # The same manifest again: the cancelled shipment stays cancelled, nothing is added.
    report = services.import_postal("m.csv", manifest)
    assert report.ok and (report.created, report.updated, report.unchanged) == (0, 0, 1)
    assert [(w.row, w.column) for w in report.warnings] == [(2, "so_hieu_buu_gui")]
    db.session.commit()
    assert [s.cancelled for s in rows()] == [True]
    # The corrected manifest logs the number anew for the right dossier...
    corrected = (HEADER + f"{NUMBER},tra_ket_qua,{CODE_B},10/03/2024,25000\n").encode()
    report = services.import_postal("m2.csv", corrected)
    assert report.ok and report.created == 1
    db.session.commit()
    # ...and importing it again updates that one, the one that counts.
    changed = (HEADER + f"{NUMBER},tra_ket_qua,{CODE_B},10/03/2024,30000\n").encode()
    report = services.import_postal("m3.csv", changed)
    assert report.ok and (report.created, report.updated) == (0, 1)
    db.session.commit()
    assert [(s.dossier_id, s.cancelled, s.fee) for s in rows()] == [
        (a.id, True, 25000),
        (b.id, False, 30000),
    ]
    # The first manifest now names a number that counts for another dossier: a bad row.
    report = services.import_postal("m.csv", manifest)
    assert [(p.row, p.column) for p in report.problems] == [(2, "ma_ho_so")]
