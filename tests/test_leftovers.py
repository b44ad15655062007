"""Rules left from earlier work: a result is never returned before its dossier was received (the
postal manifest, the counter and the shipment edit refuse it, as the dossier import does), and two
people correcting the same unfrozen rubric version cannot overwrite each other silently."""

from datetime import date

from sqlalchemy import func, select

from blueprints.postal import services
from extensions import db
from models import AuditEvent, RubricVersion, Shipment
from tests import factories as f
from tests.test_dashboard import _rubric_form
from tests.test_postal import GOOD, form_data, manifest
from utils import figures
from utils.errors import Refusal

CODE = "000.17.22.H56-240301-0001"


def _dossier():
    proc = f.procedure(code="1.001108", receive=False, ret=True)
    d = f.dossier(proc, date(2024, 3, 1), code=CODE)
    db.session.commit()
    return d


def _shipments():
    return db.session.scalar(select(func.count()).select_from(Shipment))


def test_a_manifest_return_before_the_receive_date_is_a_bad_row(app):
    d = _dossier()
    report = services.import_postal(
        "m.csv", manifest(f"{GOOD},tra_ket_qua,{d.code},28/02/2024,,,,")
    )
    assert not report.ok
    [problem] = report.problems
    assert (problem.row, problem.column) == (2, "ngay") and "01/03/2024" in problem.reason
    assert _shipments() == 0
    # The same day is fine.
    assert services.import_postal(
        "m.csv", manifest(f"{GOOD},tra_ket_qua,{d.code},01/03/2024,,,,")
    ).ok


def test_the_counter_refuses_a_return_before_the_receive_date(client, auth):
    _dossier()
    auth.login("centre")
    r = client.post(
        "/shipments/new", data=form_data(date="2024-02-28"), headers={"HX-Request": "true"}
    )
    assert r.status_code == 422 and "01/03/2024" in r.text and "is-invalid" in r.text
    assert _shipments() == 0
    assert client.post("/shipments/new", data=form_data(date="2024-03-01")).status_code == 303


def test_an_edit_cannot_move_a_return_before_the_receive_date(app):
    d = _dossier()
    shipment = services.log_shipment(
        tracking_number=GOOD, direction="tra_ket_qua", dossier=d, date=date(2024, 3, 10)
    )
    db.session.commit()
    try:
        services.update_shipment(shipment, {"date": date(2024, 2, 1)}, "Ghi nhầm ngày")
    except Refusal as e:
        assert e.field == "date" and "01/03/2024" in str(e)
    else:
        raise AssertionError("a return before the receive date was accepted")


def _unfrozen(note="first"):
    v = RubricVersion(year=2024, version=2, criteria=figures.DEFAULT_RUBRIC, note=note)
    db.session.add_all(
        [
            RubricVersion(
                year=2024, version=1, criteria=figures.DEFAULT_RUBRIC, is_illustration=True
            ),
            v,
        ]
    )
    db.session.commit()
    return v


def _based_on(page):
    import re

    return re.search(r'name="based_on" type="hidden" value="([0-9a-f]+)"', page.text).group(1)


def test_two_corrections_of_an_unfrozen_version_give_a_409_with_the_other_values(app, client, auth):
    version = _unfrozen()
    auth.login("admin")
    other = app.test_client()
    from tests.conftest import Auth

    Auth(other).login("admin")
    mine = _based_on(client.get("/rubric/2024/edit"))
    theirs = _based_on(other.get("/rubric/2024/edit"))
    r = other.post(
        "/rubric/2024/edit",
        data={**_rubric_form(c1=("30", "0,5", "60", "1"), note="QĐ của họ"), "based_on": theirs},
    )
    assert r.status_code == 303
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    r = client.post(
        "/rubric/2024/edit",
        data={**_rubric_form(c1=("12,5", "0,5", "40", "1"), note="QĐ của tôi"), "based_on": mine},
    )
    assert r.status_code == 409
    assert 'data-testid="rubric-conflict"' in r.text
    assert "QĐ của họ" in r.text and 'value="12,5"' in r.text  # theirs shown, mine kept
    db.session.expire_all()
    assert db.session.get(RubricVersion, version.id).note == "QĐ của họ"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events
    # Having seen their values, saving again is a deliberate correction.
    again = client.post(
        "/rubric/2024/edit", data={**_rubric_form(note="QĐ của tôi"), "based_on": _based_on(r)}
    )
    assert again.status_code == 303
    db.session.expire_all()
    assert db.session.get(RubricVersion, version.id).note == "QĐ của tôi"
