"""Each validation rule once (``utils.rules``): the form, the service and the import refuse the same
value with the same message."""

from datetime import date, timedelta

import pytest
from werkzeug.datastructures import MultiDict

from blueprints.dossiers import services as dossiers
from blueprints.postal import services as postal
from blueprints.postal.forms import EditShipmentForm, ShipmentForm
from blueprints.procedures import services as procedures
from extensions import db
from tests import factories as f
from tests.test_postal import GOOD, form_data, manifest
from tests.test_procedures_import import HEADER as PROCEDURES_HEADER
from utils import rules
from utils.dates import vn_today
from utils.errors import Refusal
from utils.rules import CellError
from utils.tabular import parse_fee

CODE = "000.17.22.H56-240301-0001"
NOT_S10 = "EB12345678VN"


@pytest.fixture()
def world(app):
    proc = f.procedure(code="1.001108", receive=True, ret=True)
    d = f.dossier(proc, date(2024, 3, 1), code=CODE)
    shipment = postal.log_shipment(
        tracking_number=GOOD, direction="tra_ket_qua", dossier=d, date=date(2024, 3, 10)
    )
    user = f.user("admin")
    db.session.commit()
    with app.test_request_context("/"):
        yield proc, d, shipment, user


def rule_message(rule, *args):
    with pytest.raises(CellError) as e:
        rule(*args)
    return e.value.text()


def form_errors(form_class, field, **values):
    form = form_class(formdata=MultiDict(form_data(reason="sửa", **values)), meta={"csrf": False})
    form.validate()
    return getattr(form, field).errors


def logged(**values):
    with pytest.raises(Refusal) as e:
        postal.log_shipment(
            **(
                {
                    "tracking_number": GOOD.replace("EB", "RR"),
                    "direction": "tra_ket_qua",
                    "date": date(2024, 3, 10),
                }
                | values
            )
        )
    db.session.rollback()
    return e.value.field, str(e.value)


def updated(shipment, **changes):
    with pytest.raises(Refusal) as e:
        postal.update_shipment(shipment, changes, "sửa")
    db.session.rollback()
    return e.value.field, str(e.value)


def imported(line):
    report = postal.import_postal("m.csv", manifest(line))
    assert not report.ok
    return {(p.column, p.reason) for p in report.problems}


def refused_alike(world, message, field, value, form_value=None, column=None, line=None):
    """``value`` of the shipment's ``field`` refused with the rule's one ``message`` by the log
    and edit forms (given the ``form_value`` typed there), the log and update services and the
    manifest import (its ``column``, in the file's ``line``)."""
    _proc, d, shipment, _user = world
    if form_value is not None:
        for form_class in (ShipmentForm, EditShipmentForm):
            assert form_errors(form_class, field, **{field: form_value}) == [message], form_class
    assert logged(dossier=d, **{field: value}) == (field, message)
    assert updated(shipment, **{field: value}) == (field, message)
    if line is not None:
        assert imported(line) == {(column, message)}


def test_a_tracking_number_not_of_the_s10_shape(world):
    d = world[1]
    message = rule_message(rules.tracking_number, NOT_S10)
    assert NOT_S10 in message
    line = f"{NOT_S10},tra_ket_qua,{d.code},10/03/2024,,,,"
    refused_alike(world, message, "tracking_number", NOT_S10, NOT_S10, "so_hieu_buu_gui", line)


def test_a_date_in_the_future(world):
    d = world[1]
    tomorrow = vn_today() + timedelta(days=1)
    message = rule_message(rules.not_in_future, tomorrow)
    assert tomorrow.strftime("%d/%m/%Y") in message
    line = f"RR473124829VN,tra_ket_qua,{d.code},{tomorrow:%d/%m/%Y},,,,"
    refused_alike(world, message, "date", tomorrow, tomorrow.isoformat(), "ngay", line)


def test_a_shipment_without_a_date(world):
    d = world[1]
    message = rule_message(rules.shipment_date, None)
    line = f"RR473124829VN,tra_ket_qua,{d.code},,,,,"
    refused_alike(world, message, "date", None, column="ngay", line=line)


def test_a_negative_fee(world):
    message = rule_message(rules.fee, -1)
    refused_alike(world, message, "fee", -1)
    # A spreadsheet's number cell reaches the import's fee parser as a number.
    assert rule_message(parse_fee, -25000) == message


def test_a_result_returned_before_its_dossier_was_received(world):
    d = world[1]
    message = rule_message(rules.returned_after_received, "tra_ket_qua", date(2024, 2, 1), d)
    assert "01/03/2024" in message
    line = f"RR473124829VN,tra_ket_qua,{d.code},01/02/2024,,,,"
    refused_alike(world, message, "date", date(2024, 2, 1), column="ngay", line=line)


def test_an_unknown_dossier(world):
    _proc, _d, _shipment, _user = world
    unknown = "000.17.22.H56-240301-9999"
    message = rule_message(rules.known_dossier, None, unknown)
    assert unknown in message
    with pytest.raises(Refusal) as e:
        dossiers.known_dossier(unknown)
    assert (e.value.field, str(e.value)) == ("dossier_code", message)
    assert imported(f"RR473124829VN,tra_ket_qua,{unknown},10/03/2024,,,,") == {
        ("ma_ho_so", message)
    }


def test_a_no_needs_a_reason(world):
    proc, _d, _shipment, user = world
    message = rule_message(rules.reason_given, True, False, "")
    with pytest.raises(Refusal) as edit:
        procedures.update_eligibility(proc, user, proc.version, True, False, "", "")
    with pytest.raises(Refusal) as bulk:
        procedures.bulk_update([proc], user, None, False, "", "")
    db.session.rollback()
    assert {k: str(v) for k, v in edit.value.errors.items()} == {"reason_code": message}
    assert {k: str(v) for k, v in bulk.value.errors.items()} == {"reason_code": message}
    report = procedures.import_procedures(
        "p.csv",
        (PROCEDURES_HEADER + f"{proc.code},{proc.name},Lĩnh vực,D1,,,có,không,,có\n").encode(),
    )
    assert [(p.column, p.reason) for p in report.problems] == [("ly_do_khong_bcci", message)]


def test_other_needs_its_text(world):
    proc, _d, _shipment, user = world
    message = rule_message(rules.reason_described, "other", "")
    for call in (
        lambda: procedures.update_eligibility(proc, user, proc.version, True, False, "other", ""),
        lambda: procedures.bulk_update([proc], user, None, False, "other", ""),
    ):
        with pytest.raises(Refusal) as e:
            call()
        assert {k: str(v) for k, v in e.value.errors.items()} == {"reason_text": message}


def test_a_procedure_code_of_the_wrong_shape(world):
    proc, _d, _shipment, user = world
    message = rule_message(rules.procedure_code, "1.23")
    assert "1.23" in message
    with pytest.raises(Refusal) as e:
        procedures.create_procedure(
            user, "1.23", "Tên", proc.field_id, proc.department_id, "", True, True, "", ""
        )
    assert str(e.value.errors["code"]) == message
    report = procedures.import_procedures(
        "p.csv", (PROCEDURES_HEADER + "1.23,Tên,Lĩnh vực,D1,,,có,có,,có\n").encode()
    )
    assert [(p.column, p.reason) for p in report.problems] == [("ma_tthc", message)]
