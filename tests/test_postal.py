"""Postal shipments: the log form, edit and cancel, manifests, exports, reconciliation, purge."""

import io
import json
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from blueprints.postal import services
from extensions import db
from models import AuditEvent, Shipment
from tests import factories as f
from utils import figures
from utils.dates import Period, vn_today

GOOD = "EB123456785VN"
BAD_DIGIT = "EB123456789VN"


@pytest.fixture()
def setup(app):
    proc = f.procedure(code="1.001108", receive=False, ret=True)
    d = f.dossier(proc, date(2024, 3, 1), code="000.17.22.H56-240301-0001")
    db.session.commit()
    return proc, d


def audited(action):
    """How many events of the action the audit trail holds."""
    return db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    )


@pytest.fixture()
def sent(setup):
    """A result sent home, with the citizen's name, phone and address."""
    _proc, d = setup
    return f.shipment(
        d,
        "tra_ket_qua",
        recipient_name="Nguyễn Văn An",
        phone="0912345678",
        address="Số 3, phố Cột Đồng Hồ, phường Hồng Gai",
    )


def form_data(**extra):
    data = {
        "tracking_number": "eb 1234 5678 5vn",
        "direction": "tra_ket_qua",
        "dossier_code": "000.17.22.H56-240301-0001",
        "date": "2024-03-10",
        "recipient_name": "Nguyễn Văn An",
        "address": "Số 3, phố Cột Đồng Hồ, phường Hồng Gai",
        "phone": "0912 345 678",
        "fee": "25.000",
    }
    data.update(extra)
    return data


def shipments():
    return db.session.execute(select(Shipment)).scalars().all()


def test_log_with_htmx_resets_form_and_prepends_the_row(client, auth, setup):
    proc, d = setup
    auth.login("centre")
    r = client.post("/shipments/new", data=form_data(), headers={"HX-Request": "true"})
    assert r.status_code == 200, r.text
    assert "<html" not in r.text and 'data-testid="saved"' in r.text
    assert 'hx-swap-oob="afterbegin:#recent-rows"' in r.text and GOOD in r.text
    assert "shipment-logged" in r.headers["HX-Trigger"]
    # Only what changed comes back: the notice (retargeted), the row, the checks cleared, and
    # the kept date flagged as not today; the form itself is not sent again.
    assert r.headers["HX-Retarget"] == "#log-saved" and r.headers["HX-Reswap"] == "outerHTML"
    assert "<form" not in r.text and "<input" not in r.text and "procedure-codes" not in r.text
    assert 'data-testid="date-not-today"' in r.text and "10/03/2024" in r.text
    [s] = shipments()
    assert (s.tracking_number, s.fee, s.phone, s.check_digit_warning, s.eligibility_warning) == (
        GOOD,
        25000,
        "0912345678",
        False,
        False,
    )
    db.session.refresh(d)
    assert (d.return_channel, d.return_date) == ("bcci", date(2024, 3, 10))
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "shipment.create")
    ).scalar_one()
    # the trail keeps what the lists show (masked), never the values themselves
    assert "Nguyễn Văn An" not in str(event.new_values) and "0912345678" not in str(
        event.new_values
    )
    assert (event.new_values["recipient_name"], event.new_values["phone"]) == (
        "Nguyễn V. A.",
        "09•• ••• 678",
    )
    # Written with the shipment (on PostgreSQL in its INSERT's statement): its id, its dossier,
    # who logged it.
    assert (event.object_type, event.object_id, event.new_values["dossier"]) == (
        "shipment",
        str(s.id),
        d.code,
    )
    assert event.user_id == s.recorded_by_id and event.user_id is not None
    assert event.username == event.user.username


def test_log_without_htmx_redirects(client, auth, setup):
    auth.login("centre")
    r = client.post("/shipments/new", data=form_data(direction="tiep_nhan"))
    assert r.status_code == 303
    assert r.headers["Location"].endswith(
        "/shipments/new?direction=tiep_nhan&date=2024-03-10&fee=25.000"
    )
    r = client.get(r.headers["Location"])
    assert GOOD in r.text
    # Direction, date and fee are kept for the next item, the rest is empty; the date is flagged.
    assert re.search(
        r'<input[^>]*checked[^>]*value="tiep_nhan"|<input[^>]*value="tiep_nhan"[^>]*checked', r.text
    )
    assert 'value="10/03/2024"' in r.text and 'value="25.000"' in r.text
    assert 'value="Nguyễn Văn An"' not in r.text and 'data-testid="date-not-today"' in r.text


def test_log_form_dates_read_both_forms_and_show_dd_mm_yyyy(client, auth, setup):
    auth.login("centre")
    r = client.get("/shipments/new")
    assert 'type="date"' not in r.text and 'data-testid="date-not-today"' not in r.text
    assert f'value="{vn_today():%d/%m/%Y}"' in r.text
    r = client.post(
        "/shipments/new", data=form_data(date="10/03/2024"), headers={"HX-Request": "true"}
    )
    assert r.status_code == 200 and shipments()[0].date == date(2024, 3, 10)
    r = client.post(
        "/shipments/new",
        data=form_data(date="03/32/2024", tracking_number="RR473124829VN"),
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 422 and 'value="03/32/2024"' in r.text and "dd/mm/yyyy" in r.text


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"tracking_number": "EB12345678VN"}, "tracking_number"),
        ({"date": (vn_today() + timedelta(days=1)).isoformat()}, "date"),
        ({"phone": "12345"}, "phone"),
        ({"fee": "25,5"}, "fee"),
        ({"recipient_name": ""}, "recipient_name"),
    ],
)
def test_invalid_values_are_422(client, auth, setup, changes, field):
    auth.login("centre")
    r = client.post("/shipments/new", data=form_data(**changes), headers={"HX-Request": "true"})
    assert r.status_code == 422 and "is-invalid" in r.text
    assert shipments() == []


def test_wrong_check_digit_must_be_confirmed(client, auth, setup):
    auth.login("centre")
    r = client.post(
        "/shipments/new", data=form_data(tracking_number=BAD_DIGIT), headers={"HX-Request": "true"}
    )
    assert r.status_code == 422 and 'name="confirm_check_digit"' in r.text
    assert shipments() == []
    r = client.post(
        "/shipments/new",
        data=form_data(tracking_number=BAD_DIGIT, confirm_check_digit="y"),
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200
    assert shipments()[0].check_digit_warning is True


def test_duplicate_is_refused_with_a_link(client, auth, setup):
    proc, d = setup
    s = f.shipment(d, "tra_ket_qua", tracking_number=GOOD)
    auth.login("centre")
    r = client.post("/shipments/new", data=form_data(), headers={"HX-Request": "true"})
    assert r.status_code == 409
    assert f"/shipments/{s.id}" in r.text and 'data-testid="tracking-duplicate"' in r.text
    # The same number in the other direction is another item.
    r = client.post(
        "/shipments/new", data=form_data(direction="tiep_nhan"), headers={"HX-Request": "true"}
    )
    assert r.status_code == 200
    assert (
        shipments()[-1].eligibility_warning is True
    )  # receiving is not flagged for this procedure


def test_unknown_dossier_is_created_with_the_shipment(client, auth, setup):
    auth.login("centre")
    data = form_data(dossier_code="000.17.22.H56-240302-0009")
    r = client.post("/shipments/new", data=data, headers={"HX-Request": "true"})
    assert r.status_code == 422 and 'data-testid="dossier-unknown"' in r.text
    assert '<fieldset id="new-dossier" class="border rounded p-2 bg-light mt-2">' in r.text  # shown
    assert "Unknown dossier" in r.text or "Hồ sơ chưa có" in r.text
    data.update(procedure_code="1.001108", receive_channel="truc_tiep", receive_date="2024-03-02")
    r = client.post("/shipments/new", data=data, headers={"HX-Request": "true"})
    assert r.status_code == 200, r.text
    d = f.stored_dossier("000.17.22.H56-240302-0009")
    assert (d.receive_channel_src, d.receive_date_src, d.return_channel) == (
        "truc_tiep",
        date(2024, 3, 2),
        "bcci",
    )
    assert audited("dossier.create") == 1


def test_check_tracking_endpoint(client, auth, setup):
    proc, d = setup
    f.shipment(d, "tra_ket_qua", tracking_number=GOOD)
    auth.login("centre")
    hx = {"HX-Request": "true"}
    r = client.get(
        "/shipments/check-tracking?tracking_number=EB12&direction=tra_ket_qua", headers=hx
    )
    assert 'data-testid="tracking-malformed"' in r.text and "<html" not in r.text
    r = client.get(
        f"/shipments/check-tracking?tracking_number={BAD_DIGIT}&direction=tra_ket_qua", headers=hx
    )
    assert 'data-testid="tracking-check-digit"' in r.text
    r = client.get(
        "/shipments/check-tracking?tracking_number=eb123456785vn&direction=tra_ket_qua", headers=hx
    )
    assert 'data-testid="tracking-duplicate"' in r.text
    r = client.get("/shipments/check-tracking?tracking_number=RR473124829VN&direction=tra_ket_qua")
    assert 'data-testid="tracking-ok"' in r.text and "<html" in r.text


def test_lookup_dossier_endpoint(client, auth, setup):
    auth.login("centre")
    r = client.get(
        "/shipments/lookup-dossier?dossier_code=000.17.22.H56-240301-0001&direction=tiep_nhan",
        headers={"HX-Request": "true"},
    )
    assert (
        'data-testid="dossier-known"' in r.text and "1.001108" in r.text and "<html" not in r.text
    )
    assert '"unknown": false' in r.headers["HX-Trigger"]
    assert "01/03/2024" in r.text
    r = client.get("/shipments/lookup-dossier?dossier_code=NEW-1&direction=tiep_nhan")
    assert 'data-testid="dossier-unknown"' in r.text and "<html" in r.text
    r = client.get(
        "/shipments/lookup-dossier?dossier_code=NEW-1&procedure_code=1.001108&direction=tiep_nhan",
        headers={"HX-Request": "true"},
    )
    assert '"unknown": true' in r.headers["HX-Trigger"]
    assert 'id="procedure-info" hx-swap-oob="true"' in r.text and "Thủ tục số" in r.text
    # The answer names the code it answers (the page acts only on the answer for what the field
    # holds, static/js/postal.js): the start of a known code is unknown, for that start only.
    r = client.get(
        "/shipments/lookup-dossier?dossier_code=000.17.&direction=tiep_nhan",
        headers={"HX-Request": "true"},
    )
    assert json.loads(r.headers["HX-Trigger"])["dossier-lookup"] == {
        "unknown": True,
        "typed": "000.17.",
    }


def test_edit_and_cancel_recompute_and_audit(client, auth, setup):
    proc, d = setup
    auth.login("centre")
    client.post("/shipments/new", data=form_data(), headers={"HX-Request": "true"})
    [s] = shipments()
    data = form_data(date="2024-03-12", reason="Sai ngày")
    data.pop("direction")
    r = client.post(f"/shipments/{s.id}/edit", data=data)
    assert r.status_code == 303
    db.session.refresh(d)
    assert d.return_date == date(2024, 3, 12)
    r = client.post(
        f"/shipments/{s.id}/edit", data={**data, "reason": ""}, headers={"HX-Request": "true"}
    )
    assert r.status_code == 422
    r = client.post(
        f"/shipments/{s.id}/cancel", data={"reason": ""}, headers={"HX-Request": "true"}
    )
    assert r.status_code == 422
    r = client.post(f"/shipments/{s.id}/cancel", data={"reason": "Khách đổi ý"})
    assert r.status_code == 303
    db.session.refresh(d)
    db.session.refresh(s)
    assert s.cancelled and (d.return_channel, d.return_date) == (None, None)
    actions = (
        db.session.execute(select(AuditEvent.action).where(AuditEvent.object_type == "shipment"))
        .scalars()
        .all()
    )
    assert {"shipment.create", "shipment.update", "shipment.cancel"} <= set(actions)
    update_event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "shipment.update")
    ).scalar_one()
    assert update_event.new_values["reason"] == "Sai ngày"
    assert client.get(f"/shipments/{s.id}/edit").status_code == 409


@pytest.mark.parametrize("role", ["leader", "department"])
def test_other_roles_cannot_log_edit_cancel_or_see_full_data(client, auth, setup, sent, role):
    proc, _d = setup
    s = sent
    auth.login(role, department=proc.department)
    assert client.get("/shipments/new").status_code == 403
    assert (
        client.post("/shipments/new", data=form_data(tracking_number="RR473124829VN")).status_code
        == 403
    )
    assert (
        client.post(f"/shipments/{s.id}/edit", data={**form_data(), "reason": "x"}).status_code
        == 403
    )
    assert client.post(f"/shipments/{s.id}/cancel", data={"reason": "x"}).status_code == 403
    assert client.get("/shipments/check-tracking?tracking_number=X").status_code == 403
    assert client.get("/shipments/import").status_code == 403
    r = client.get(f"/shipments/{s.id}")
    assert r.status_code == 200
    assert "Nguyễn V. A." in r.text and "Nguyễn Văn An" not in r.text and "0912345678" not in r.text
    assert "Cột Đồng Hồ" not in r.text
    assert len(shipments()) == 1 and not shipments()[0].cancelled


def test_centre_sees_full_data_on_the_shipment_page_only(client, auth, sent):
    s = sent
    auth.login("centre")
    r = client.get(f"/shipments/{s.id}")
    assert "Nguyễn Văn An" in r.text and "0912345678" in r.text and "Cột Đồng Hồ" in r.text
    r = client.get("/shipments")
    assert "Nguyễn V. A." in r.text and "09•• ••• 678" in r.text and "phường Hồng Gai" in r.text
    assert "Nguyễn Văn An" not in r.text and "Cột Đồng Hồ" not in r.text


def test_list_filters_and_totals(client, auth, setup):
    proc, d = setup
    other = f.procedure()
    d2 = f.dossier(other, date(2024, 5, 1))
    f.shipment(d, "tra_ket_qua", date(2024, 3, 5), fee=20000)
    f.shipment(d, "tra_ket_qua", date(2024, 3, 6), fee=30000, cancelled=True)
    f.shipment(d2, "tiep_nhan", date(2024, 5, 1), fee=10000, eligibility_warning=True)
    totals = services.shipment_totals()
    assert (
        totals["total"],
        totals["active"],
        totals["cancelled"],
        totals["received"],
        totals["returned"],
        totals["eligibility_warnings"],
        totals["fees"],
    ) == (3, 2, 1, 1, 1, 1, 30000)
    flt = services.ShipmentFilters(department_id=proc.department_id, status="active")
    assert services.shipment_totals(flt.conditions())["total"] == 1
    auth.login("leader")
    r = client.get(
        f"/shipments?direction=tiep_nhan&department={other.department_id}",
        headers={"HX-Request": "true"},
    )
    assert (
        r.status_code == 200
        and "<html" not in r.text
        and d2.code in r.text
        and d.code not in r.text
    )
    r = client.get("/shipments?from=2024-03-01&to=2024-03-31&status=cancelled")
    assert r.status_code == 200 and "<html" in r.text
    assert client.get("/shipments?from=2024-03-01").status_code == 400


def test_search_matches_a_tracking_number_or_its_start_and_dossier_codes(client, auth, setup):
    """The list's search reads the tracking number as the log form normalises it: the whole
    number, or its start from the series letters and a digit on (cancelled shipments too);
    never a part from its middle. A dossier code or its start still finds its shipments."""
    proc, d = setup
    d2 = f.dossier(proc, date(2024, 5, 1), code="000.18.22.H56-240501-0002")
    a = f.shipment(
        d, "tra_ket_qua", date(2024, 3, 5), tracking_number=f.tracking_number("RR", 12345678)
    )
    b = f.shipment(
        d2,
        "tiep_nhan",
        date(2024, 5, 1),
        tracking_number=f.tracking_number("RR", 12349999),
        cancelled=True,
    )
    c = f.shipment(
        d2, "tra_ket_qua", date(2024, 5, 9), tracking_number=f.tracking_number("EB", 12345678)
    )
    db.session.commit()

    def found(q):
        page = services.search_shipments(services.ShipmentFilters(q=q))
        return sorted(s.tracking_number for s in page.rows)

    assert found("rr 1234") == sorted([a.tracking_number, b.tracking_number])
    assert found(" rr12345 ") == [a.tracking_number]
    assert found(c.tracking_number.lower()) == [c.tracking_number]
    assert found("RR1") == sorted([a.tracking_number, b.tracking_number])
    assert found("RR") == [] and found("12345678") == [] and found("1234567") == []
    assert found("RR12345678") == [a.tracking_number]
    assert found(a.tracking_number[:-1]) == [a.tracking_number]
    assert found("000.18.22") == sorted([b.tracking_number, c.tracking_number])
    assert found(d.code) == [a.tracking_number]
    assert services.shipment_totals(services.ShipmentFilters(q="rr1234").conditions())["total"] == 2
    auth.login("centre")
    r = client.get("/shipments", query_string={"q": "eb1234"})
    assert r.status_code == 200 and c.tracking_number in r.text and a.tracking_number not in r.text
    assert 'aria-describedby="q-help"' in r.text


def test_a_tracking_number_search_lists_by_number_page_after_page(client, auth, setup):
    """A search by the start of a tracking number lists its matches by number (from the
    tracking number index, not every match sorted by date), and the list's next page, read from
    the key in its address, follows on without a gap or a repeat."""
    proc, d = setup
    numbers = [f.tracking_number("RR", 20000000 + i) for i in range(7)]
    for i, number in enumerate(numbers):
        f.shipment(d, "tra_ket_qua", date(2024, 3, 1 + (i * 3) % 7), tracking_number=number)
    db.session.commit()
    newest_number_first = sorted(numbers, reverse=True)
    flt = services.ShipmentFilters(q="rr2000")
    first = services.search_shipments(flt, per_page=3)
    assert [s.tracking_number for s in first.rows] == newest_number_first[:3] and first.has_next
    auth.login("centre")
    r = client.get("/shipments", query_string={"q": "rr2000", "page": 2, "after": first.last_key})
    assert r.status_code == 200
    shown = re.findall(r">\s*(RR2000000\d{2}VN)\s*<", r.text)  # as text, not in an address
    assert sorted(set(shown), reverse=True) == newest_number_first[3:]


def test_default_export_is_masked_and_personal_export_is_audited(client, auth, setup):
    proc, d = setup
    f.shipment(
        d,
        "tra_ket_qua",
        recipient_name="=HYPERLINK(1) Văn An",
        phone="0912345678",
        address="Số 3, phố Cột Đồng Hồ, phường Hồng Gai",
        tracking_number=GOOD,
    )
    auth.login("centre")
    r = client.get("/shipments/export.csv")
    text = r.data.decode("utf-8-sig")
    assert "0912345678" not in text and "Cột Đồng Hồ" not in text
    assert ",'=HYPERLINK(1) V. A.," in text  # masked, and neutralised as a formula
    assert text.splitlines()[0].startswith(
        "so_hieu_buu_gui,chieu,ma_ho_so,ngay,ho_ten_che,dia_chi_phuong"
    )
    r = client.get("/shipments/export.xlsx")
    assert r.status_code == 200
    r = client.post("/shipments/export-personal.xlsx", data={"direction": "tra_ket_qua"})
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.data)).active
    rows = list(ws.iter_rows(values_only=True))
    # docs/formats.md: the manifest's eight columns first (it reads back in), then three more
    assert rows[0] == (
        "so_hieu_buu_gui",
        "chieu",
        "ma_ho_so",
        "ngay",
        "ho_ten",
        "dia_chi",
        "dien_thoai",
        "cuoc_phi",
        "ma_tthc",
        "don_vi",
        "trang_thai",
    )
    assert rows[1][4] == "'=HYPERLINK(1) Văn An" and rows[1][6] == "0912345678"
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "shipment.export_personal")
    ).scalar_one()
    assert event.new_values["rows"] == 1 and event.new_values["filters"] == {
        "direction": "tra_ket_qua"
    }
    # No GET route gives it.
    assert client.get("/shipments/export-personal.xlsx").status_code == 405


@pytest.mark.parametrize("role", ["leader", "department"])
def test_personal_export_refused_to_other_roles(client, auth, setup, role):
    auth.login(role)
    assert client.post("/shipments/export-personal.csv").status_code == 403
    assert audited("shipment.export_personal") == 0


# --- Manifest import -------------------------------------------------------------------------

HEADER = "so_hieu_buu_gui,chieu,ma_ho_so,ngay,ho_ten,dia_chi,dien_thoai,cuoc_phi\n"


def manifest(*lines, header=HEADER):
    return (header + "\n".join(lines) + "\n").encode("utf-8")


def test_manifest_import_upserts_and_warns(setup):
    proc, d = setup
    data = manifest(
        f'{GOOD},tra_ket_qua,{d.code},10/03/2024,Nguyễn Văn An,"phường Hồng Gai, Hạ Long",0912345678,"25.000"',
        f"{BAD_DIGIT},Tiếp nhận,{d.code},2024-03-01,Lê Bình,,,",
    )
    report = services.import_postal("m.csv", data)
    assert report.ok, report.problems
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    assert {(w.row, w.column) for w in report.warnings} == {(3, "so_hieu_buu_gui"), (3, "ma_ho_so")}
    rows = {s.tracking_number: s for s in shipments()}
    assert rows[BAD_DIGIT].check_digit_warning and rows[BAD_DIGIT].eligibility_warning
    assert rows[GOOD].fee == 25000 and not rows[GOOD].eligibility_warning
    db.session.refresh(d)
    assert (d.receive_channel, d.return_channel, d.return_date) == (
        "bcci",
        "bcci",
        date(2024, 3, 10),
    )
    db.session.commit()
    again = services.import_postal("m.csv", data)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    # Without the personal columns, the stored values stay.
    again = services.import_postal(
        "m2.csv",
        f"so_hieu_buu_gui,chieu,ma_ho_so,ngay\n{GOOD},tra_ket_qua,{d.code},11/03/2024\n".encode(),
    )
    assert again.updated == 1
    assert rows[GOOD].recipient_name == "Nguyễn Văn An" and rows[GOOD].date == date(2024, 3, 11)


def test_manifest_bad_rows_all_reported_nothing_written(setup):
    proc, d = setup
    other = f.dossier(proc, date(2024, 3, 2), code="000.17.22.H56-240302-0001")
    f.shipment(other, "tra_ket_qua", tracking_number="RR473124829VN")
    db.session.commit()
    future = (vn_today() + timedelta(days=2)).strftime("%d/%m/%Y")
    data = manifest(
        f"{GOOD},tra_ket_qua,{d.code},10/03/2024,,,,",
        f"EB1234,tra_ket_qua,{d.code},10/03/2024,,,,",  # malformed number
        f"RR000000080VN,sideways,{d.code},10/03/2024,,,,",  # bad direction
        "RR000000005VN,tra_ket_qua,000.17.22.H56-999999-0001,10/03/2024,,,,",  # unknown dossier
        f"EE000000005VN,tra_ket_qua,{d.code},{future},,,,",  # future date
        f"EA000000005VN,tra_ket_qua,{d.code},10/03/2024,,,12,",  # bad phone
        f"EC000000005VN,tra_ket_qua,{d.code},10/03/2024,,,,abc",  # bad fee
        f"{GOOD},tra_ket_qua,{d.code},11/03/2024,,,,",  # twice in the file
    )
    report = services.import_postal("bad.csv", data)
    got = {(p.row, p.column) for p in report.problems}
    assert got == {
        (2, "so_hieu_buu_gui"),
        (9, "so_hieu_buu_gui"),
        (3, "so_hieu_buu_gui"),
        (4, "chieu"),
        (5, "ma_ho_so"),
        (6, "ngay"),
        (7, "dien_thoai"),
        (8, "cuoc_phi"),
    }
    db.session.rollback()
    assert len(shipments()) == 1
    # Logged with another dossier: a bad row.
    report = services.import_postal(
        "x.csv", manifest(f"RR473124829VN,tra_ket_qua,{d.code},10/03/2024,,,,")
    )
    assert [(p.row, p.column) for p in report.problems] == [(2, "ma_ho_so")]


def test_manifest_write_repeats_the_database_checks(setup):
    """Checked with no write lock, a manifest is checked again against the database when it is
    written: a number someone logged for another dossier meanwhile refuses it, unwritten."""
    proc, d = setup
    prepared = services.read_manifest(
        "m.csv", manifest(f"{GOOD},tra_ket_qua,{d.code},10/03/2024,,,,")
    )
    services.check_manifest_rows(prepared)
    assert prepared.report.ok
    other = f.dossier(proc, date(2024, 3, 2), code="000.17.22.H56-240302-0001")
    f.shipment(other, "tra_ket_qua", tracking_number=GOOD)
    report = services.write_manifest(prepared)
    assert [(p.row, p.column) for p in report.problems] == [(2, "ma_ho_so")]
    assert [s.dossier_id for s in shipments()] == [other.id]


def test_manifest_cli_and_page(runner, client, auth, setup, tmp_path):
    proc, d = setup
    path = tmp_path / "m.csv"
    path.write_bytes(manifest(f"{GOOD},tra_ket_qua,{d.code},10/03/2024,,,,"))
    r = runner.invoke(args=["import", "postal", str(path)])
    assert r.exit_code == 0 and "1 thêm mới" in r.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        manifest(
            f"X,tra_ket_qua,{d.code},10/03/2024,,,,",
            f"RR473124829VN,x,{d.code},10/03/2024,,,,",
            "RR000000080VN,tra_ket_qua,nope,10/03/2024,,,,",
        )
    )
    r = runner.invoke(args=["import", "postal", str(bad)])
    assert (
        r.exit_code != 0
        and "dòng 2, cột so_hieu_buu_gui" in r.output
        and "dòng 3, cột chieu" in r.output
    )
    assert "dòng 4, cột ma_ho_so" in r.output
    auth.login("centre")
    good = manifest(f"RR473124829VN,tra_ket_qua,{d.code},10/03/2024,,,,")
    r = client.upload("/shipments/import", good, "m.csv", headers={"HX-Request": "true"})
    assert r.status_code == 200 and 'data-testid="import-ok"' in r.text
    r = client.upload("/shipments/import", "nothing,here\n1,2\n", "m.csv")
    assert r.status_code == 422 and 'data-testid="import-refused"' in r.text
    assert len(shipments()) == 2


# --- Reconciliation and purge ----------------------------------------------------------------


def test_reconciliation(client, auth, setup):
    proc, d = setup
    said_post = f.dossier(proc, date(2024, 3, 3), channel="bcci", code="000.17.22.H56-240303-0001")
    other_dept = f.procedure(receive=True, ret=False)
    d2 = f.dossier(
        other_dept,
        date(2024, 3, 4),
        code="000.17.22.H56-240304-0001",
        returned=date(2024, 3, 8),
        return_channel="bcci",
    )
    f.shipment(d2, "tra_ket_qua", date(2024, 3, 8))  # logged, but the procedure is not flagged
    rows, totals = services.reconciliation_by_department()
    assert totals == {
        "unlogged_receive": 1,
        "unlogged_return": 0,
        "ineligible": 1,
        "ineligible_receive": 0,
        "ineligible_return": 1,
    }
    by_code = {r["code"]: r for r in rows}
    assert by_code[proc.department.code]["unlogged_receive"] == 1
    assert by_code[other_dept.department.code]["ineligible"] == 1
    auth.login("centre")
    r = client.get("/reconciliation")
    assert said_post.code in r.text and d2.code in r.text
    auth.logout()
    auth.login("department", department=proc.department)
    r = client.get("/reconciliation")
    assert r.status_code == 200 and said_post.code in r.text and d2.code not in r.text
    auth.logout()
    auth.login("leader")
    assert client.get("/reconciliation").status_code == 403


def test_purge_blanks_old_personal_data_and_keeps_figures(runner, setup):
    proc, d = setup
    old = f.shipment(
        d,
        "tra_ket_qua",
        vn_today() - timedelta(days=800),
        recipient_name="Nguyễn Văn An",
        address="phường Hồng Gai",
        phone="0912345678",
        fee=25000,
    )
    recent = f.shipment(
        f.dossier(proc, vn_today() - timedelta(days=10)),
        "tra_ket_qua",
        vn_today() - timedelta(days=5),
        recipient_name="Lê Bình",
        address="phường Bãi Cháy",
        phone="0987654321",
    )
    services.recompute_effective([old.dossier_id, recent.dossier_id])
    db.session.commit()
    period = Period(vn_today() - timedelta(days=900), vn_today())
    before = (figures.counts(period), services.shipment_totals())
    r = runner.invoke(args=["privacy", "purge", "--dry-run"])
    assert r.exit_code == 0 and "1 bưu gửi" in r.output
    assert old.recipient_name == "Nguyễn Văn An"
    r = runner.invoke(args=["privacy", "purge"])
    assert r.exit_code == 0 and "1 bưu gửi" in r.output, r.output
    db.session.expire_all()
    assert (old.recipient_name, old.address, old.phone) == ("", "", "")
    assert old.personal_data_purged_at is not None and old.fee == 25000
    assert recent.recipient_name == "Lê Bình"
    assert (figures.counts(period), services.shipment_totals()) == before
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "shipment.purge_personal_data")
    ).scalar_one()
    assert event.new_values["count"] == 1
    # The retention setting is read: 0 months would purge the recent one too.
    f.org_settings(retention_months=0)
    db.session.commit()
    r = runner.invoke(args=["privacy", "purge"])
    assert "1 bưu gửi" in r.output
    db.session.expire_all()
    assert recent.recipient_name == ""


def test_months_before():
    assert services.months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert services.months_before(date(2026, 1, 15), 24) == date(2024, 1, 15)


def test_home_panel(client, auth, setup):
    proc, d = setup
    f.dossier(proc, date(2024, 3, 3), channel="bcci")
    f.shipment(d, "tra_ket_qua", vn_today())
    auth.login("centre")
    r = client.get("/")
    assert 'id="home-postal-title"' in r.text and "/reconciliation" in r.text
    text = re.sub(r"<[^>]+>", "", r.text)
    assert "Đã ghi sổ hôm nay: 0 hồ sơ tiếp nhận và 1 kết quả" in text
    # Each count opens the shipments it counts: today's, active, in its direction.
    link = re.search(r'<a href="([^"]+direction=tra_ket_qua[^"]*)">1</a>', r.text).group(1)
    listed = client.get(link.replace("&amp;", "&")).text
    assert len(re.findall(r'<tr id="shipment-\d+"', listed)) == 1
    auth.logout()
    auth.login("leader")
    assert 'id="home-postal-title"' not in client.get("/").text
