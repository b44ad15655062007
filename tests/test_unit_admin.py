"""Managing units (docs/units.md): the Units screen of province-wide administrators, each unit's
organisation settings (its documents use them), users' units, and the procedures a unit handles."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from blueprints.admin import services as admin_services
from blueprints.briefs import services as briefs
from blueprints.handover import document, services as handover
from extensions import db
from models import FIRST_UNIT_ID, AuditEvent, OrgSettings, Procedure, Unit, UnitProcedure, User
from tests import factories as f
from tests.pdf import pdf_text
from utils import units
from utils.dates import Period, vn_today
from utils.settings import get_settings

SETTINGS = {
    "parent_agency": "UBND TỈNH QUẢNG NINH",
    "unit_name": "Trung tâm Phục vụ hành chính công phường Hồng Gai",
    "place_name": "Hồng Gai",
    "signer_name": "Trần Thị Lan",
    "signer_title": "GIÁM ĐỐC",
    "doc_prefix": "TTPVHCC-HG",
    "recipients": "- UBND tỉnh;\n- Lưu: VT.",
    "address": "1 Nguyễn Văn Cừ, phường Hồng Gai",
    "opening_hours": "Thứ Hai đến Thứ Sáu, 7 giờ 30 đến 17 giờ",
    "retention_months": 36,
    "public_list_enabled": True,
    "default_period_from": None,
    "default_period_to": None,
}


def events(action):
    db.session.expire_all()
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    ).all()


@pytest.fixture()
def province_admin(auth):
    return auth.login(user=f.user("admin", province_wide=True))


def second_unit(code="HG-02", name="Trung tâm phường Hồng Gai", level="xa"):
    unit = units.create_unit(code, name, level)
    db.session.commit()
    return unit


# --- who reaches the Units screen --------------------------------------------------------------


def _unit_urls():
    return [
        ("GET", "/admin/units", None),
        ("POST", "/admin/units/new", {"code": "X1", "name": "X", "level": "xa", "kind": "diem"}),
        ("GET", f"/admin/units/{FIRST_UNIT_ID}", None),
        ("POST", f"/admin/units/{FIRST_UNIT_ID}", {"name": "Y", "level": "xa", "kind": "diem"}),
        ("POST", f"/admin/units/{FIRST_UNIT_ID}/procedures", {"procedure": "1", "handled": "1"}),
        ("POST", f"/admin/units/{FIRST_UNIT_ID}/active", {"active": "0"}),
    ]


@pytest.mark.parametrize(
    "role, province_wide",
    [("admin", False), ("centre", False), ("leader", True), ("department", False)],
)
def test_only_province_wide_administrators_reach_the_units_screen(
    client, auth, role, province_wide
):
    second_unit()
    user = f.user(role, province_wide=province_wide)
    auth.login(user=user)
    before = db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()))
    for method, url, data in _unit_urls():
        r = client.open(url, method=method, data=data)
        assert r.status_code == 403, (method, url)
    assert db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc())) == before
    assert [u.code for u in db.session.scalars(select(Unit).order_by(Unit.id))] == ["DV01", "HG-02"]
    if role == "admin":  # an administrator bound to a unit sees no Units menu
        page = client.get("/admin/").text
        assert "/admin/units" not in page


def test_a_province_wide_administrator_sees_the_units_menu(client, province_admin):
    page = client.get("/admin/").text
    assert 'href="/admin/units"' in page
    r = client.get("/admin/units")
    assert r.status_code == 200 and 'data-testid="unit-row"' in r.text


# --- create, edit, deactivate ------------------------------------------------------------------


def test_creating_a_unit_on_the_screen(client, province_admin):
    centre = f.user("centre")
    r = client.post(
        "/admin/units/new",
        data={"code": "HG-02", "name": "Trung tâm phường Hồng Gai", "level": "xa", "kind": "diem"},
    )
    assert r.status_code == 303
    unit = db.session.scalar(select(Unit).where(Unit.code == "HG-02"))
    assert r.headers["Location"] == f"/admin/units/{unit.id}"
    assert (unit.name, unit.level, unit.kind, unit.active) == (
        "Trung tâm phường Hồng Gai",
        "xa",
        "diem",
        True,
    )
    [event] = events("unit_create")
    assert event.user_id == province_admin.id and event.new_values["code"] == "HG-02"
    db.session.expire_all()
    assert db.session.get(User, centre.id).unit_id == FIRST_UNIT_ID  # bound by the second unit
    assert db.session.get(OrgSettings, unit.id).unit_name == "Trung tâm phường Hồng Gai"
    page = client.get("/admin/units").text
    assert "HG-02" in page and "Điểm phục vụ" in page


@pytest.mark.parametrize(
    "data, message",
    [
        ({"code": "có dấu"}, "Mã đơn vị gồm 1 đến 20 chữ cái"),
        ({"code": "DV01"}, "Mã đơn vị này đã được dùng."),
        ({"name": ""}, "Nhập tên đơn vị"),
        ({"level": "huyen"}, "Chọn cấp của đơn vị"),
        ({"kind": "kho"}, "Chọn loại đơn vị"),
    ],
)
def test_a_bad_unit_is_refused_with_422(client, province_admin, data, message):
    form = {"code": "HG-02", "name": "Trung tâm phường Hồng Gai", "level": "xa", "kind": "diem"}
    r = client.post("/admin/units/new", data={**form, **data})
    assert r.status_code == 422 and message in r.text
    assert db.session.scalar(select(Unit.id).where(Unit.code == "HG-02")) is None
    assert not events("unit_create")


def test_editing_a_unit_on_the_screen(client, province_admin):
    unit = second_unit()
    r = client.post(
        f"/admin/units/{unit.id}",
        data={"name": "Trung tâm tỉnh Quảng Ninh", "level": "tinh", "kind": "trung_tam"},
    )
    assert r.status_code == 303
    db.session.expire_all()
    unit = db.session.get(Unit, unit.id)
    assert (unit.code, unit.name, unit.level) == ("HG-02", "Trung tâm tỉnh Quảng Ninh", "tinh")
    [event] = events("unit_update")
    assert event.old_values == {"unit_name": "Trung tâm phường Hồng Gai", "unit_level": "xa"}
    assert event.new_values == {"unit_name": "Trung tâm tỉnh Quảng Ninh", "unit_level": "tinh"}
    r = client.post(f"/admin/units/{unit.id}", data={"name": "", "level": "xa", "kind": "diem"})
    assert r.status_code == 422 and "Nhập tên đơn vị" in r.text
    r = client.post(f"/admin/units/{unit.id}", data={"name": "A", "level": "x", "kind": "diem"})
    assert r.status_code == 422 and "Chọn cấp của đơn vị" in r.text
    assert len(events("unit_update")) == 1
    assert client.get("/admin/units/9999").status_code == 404


def test_deactivating_and_reactivating_a_unit(client, province_admin):
    unit = second_unit()
    r = client.post(f"/admin/units/{unit.id}/active", data={"active": "0"})
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(Unit, unit.id).active is False
    r = client.post(f"/admin/units/{FIRST_UNIT_ID}/active", data={"active": "0"})
    assert r.status_code == 409 and "đơn vị cuối cùng còn hoạt động" in r.text
    db.session.expire_all()
    assert db.session.get(Unit, FIRST_UNIT_ID).active is True
    r = client.post(f"/admin/units/{unit.id}/active", data={"active": "1"})
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(Unit, unit.id).active is True
    assert [e.action for e in events("unit_deactivate") + events("unit_activate")] == [
        "unit_deactivate",
        "unit_activate",
    ]


def test_unit_changes_need_a_csrf_token(client, province_admin):
    unit = second_unit()
    r = client.post(f"/admin/units/{unit.id}/active", data={"active": "0"}, csrf=False)
    assert r.status_code == 400
    db.session.expire_all()
    assert db.session.get(Unit, unit.id).active is True


# --- the procedures a unit handles ---------------------------------------------------------------


def test_additions_and_removals_change_what_a_unit_handles(client, province_admin):
    unit = second_unit()
    commune = f.procedure(code="1.000001", unit_level="xa")
    province = f.procedure(code="2.000001", unit_level="tinh")
    f.procedure(code="3.000001", unit_level="ca_hai")
    db.session.commit()

    def handled():
        db.session.expire_all()
        return set(db.session.scalars(select(Procedure.code).where(units.handled_by(unit))).all())

    assert handled() == {"1.000001", "3.000001"}
    page = client.get(f"/admin/units/{unit.id}").text
    assert "Đơn vị thực hiện 2 thủ tục đang có hiệu lực." in page

    url = f"/admin/units/{unit.id}/procedures"
    assert client.post(url, data={"procedure": "2.000001", "handled": "1"}).status_code == 303
    assert client.post(url, data={"procedure": "1.000001", "handled": "0"}).status_code == 303
    assert handled() == {"2.000001", "3.000001"}
    rows = db.session.scalars(select(UnitProcedure).where(UnitProcedure.unit_id == unit.id)).all()
    assert {(r.procedure_id, r.handled) for r in rows} == {(province.id, True), (commune.id, False)}
    page = client.get(f"/admin/units/{unit.id}").text
    assert "Bổ sung cho đơn vị" in page and "Loại bỏ khỏi đơn vị" in page

    # handled again as its level says: the exception goes
    assert client.post(url, data={"procedure": "1.000001", "handled": "1"}).status_code == 303
    assert handled() == {"1.000001", "2.000001", "3.000001"}
    assert db.session.get(UnitProcedure, (unit.id, commune.id)) is None
    assert [
        (e.old_values["handling"], e.new_values["handling"]) for e in events("unit_procedure")
    ] == [
        ("level", "added"),
        ("level", "removed"),
        ("removed", "level"),
    ]
    r = client.post(url, data={"procedure": "9.999999", "handled": "1"})
    assert r.status_code == 422 and "Không có thủ tục nào có mã này." in r.text
    assert len(events("unit_procedure")) == 3


# --- each unit's settings --------------------------------------------------------------------------


def test_a_unit_bound_administrator_edits_their_own_units_settings(client, auth):
    unit = second_unit()
    auth.login(user=f.user("admin", unit_id=unit.id))
    r = client.get("/admin/settings")
    assert r.status_code == 200 and 'data-testid="unit-picker"' not in r.text
    r = client.post("/admin/settings", data=SETTINGS)
    assert r.status_code == 303
    db.session.expire_all()
    assert get_settings(unit.id).doc_prefix == "TTPVHCC-HG"
    assert get_settings(FIRST_UNIT_ID).doc_prefix == "TTHCC"
    assert db.session.get(OrgSettings, FIRST_UNIT_ID) is None or (
        db.session.get(OrgSettings, FIRST_UNIT_ID).unit_name != SETTINGS["unit_name"]
    )
    [event] = events("settings_update")
    assert event.object_id == str(unit.id)
    # another unit's settings are not theirs to open
    assert client.get("/admin/settings?unit=DV01").status_code == 404
    assert client.post("/admin/settings?unit=DV01", data=SETTINGS).status_code == 404


def test_a_province_wide_administrator_picks_the_unit(client, province_admin):
    assert 'data-testid="unit-picker"' not in client.get("/admin/settings").text
    unit = second_unit()
    page = client.get("/admin/settings").text
    assert 'data-testid="unit-picker"' in page and "HG-02" in page
    r = client.post("/admin/settings?unit=HG-02", data=SETTINGS)
    assert r.status_code == 303 and r.headers["Location"] == "/admin/settings?unit=HG-02"
    db.session.expire_all()
    assert get_settings(unit.id).signer_name == "Trần Thị Lan"
    assert get_settings(FIRST_UNIT_ID).signer_name != "Trần Thị Lan"
    assert "Trần Thị Lan" in client.get("/admin/settings?unit=HG-02").text
    assert client.get("/admin/settings?unit=NOPE").status_code == 404


def test_a_units_brief_uses_its_own_settings(app):
    unit = second_unit()
    admin_services.save_settings(SETTINGS, unit.id)
    first = {**SETTINGS, "unit_name": "Trung tâm Hành chính công thành phố", "doc_prefix": "TTHCC"}
    admin_services.save_settings(first, FIRST_UNIT_ID)
    db.session.commit()
    period = Period(date(2024, 1, 1), date(2024, 3, 31))
    html = briefs.render_document(briefs.brief_context(period, date(2024, 4, 2), unit_id=unit.id))
    assert "Phục vụ hành chính công phường Hồng Gai".upper() in html.upper()
    assert "Trần Thị Lan" in html and "Trung tâm Hành chính công thành phố" not in html
    html = briefs.render_document(briefs.brief_context(period, date(2024, 4, 2)))
    assert "Trung tâm Hành chính công thành phố".upper() in html.upper()


def test_a_hand_over_pdf_uses_its_units_settings(app):
    unit = second_unit()
    admin_services.save_settings(SETTINGS, unit.id)
    first = {**SETTINGS, "unit_name": "Trung tâm Hành chính công thành phố", "doc_prefix": "TTHCC"}
    admin_services.save_settings(first, FIRST_UNIT_ID)
    day = vn_today()
    dossier = f.dossier(f.procedure(ret=True), received=day - timedelta(days=5))
    f.shipment(dossier, "tra_ket_qua", when=day)
    batch = handover.propose_batch("tra_ket_qua")
    handover.sign_batch(batch)
    batch.unit_id = unit.id
    db.session.flush()
    text = " ".join(pdf_text(document.render_record(batch)).split())
    assert "PHƯỜNG HỒNG GAI" in text and "01/BB-TTPVHCC-HG" in text
    assert "THÀNH PHỐ" not in text
    batch.unit_id = FIRST_UNIT_ID
    db.session.flush()
    text = " ".join(pdf_text(document.render_record(batch)).split())
    assert "THÀNH PHỐ" in text and "01/BB-TTHCC" in text and "HỒNG GAI" not in text


def test_screens_number_a_hand_over_record_with_its_units_prefix(client, province_admin):
    unit = second_unit()
    admin_services.save_settings(SETTINGS, unit.id)
    day = vn_today()
    dossier = f.dossier(f.procedure(ret=True), received=day - timedelta(days=5))
    shipment = f.shipment(dossier, "tra_ket_qua", when=day)
    batch = handover.propose_batch("tra_ket_qua")
    handover.sign_batch(batch)
    batch.unit_id = dossier.unit_id = shipment.unit_id = unit.id
    db.session.commit()
    assert "01/BB-TTPVHCC-HG" in client.get(f"/handover/{batch.id}").text
    assert "01/BB-TTPVHCC-HG" in client.get(f"/shipments/{shipment.id}/edit").text


# --- users' units ----------------------------------------------------------------------------------


NEW_USER = {
    "username": "can.bo.hg",
    "full_name": "Vũ Thị Hằng",
    "role": "centre",
    "department": "",
    "password": "mot-mat-khau-dai",
    "confirm": "mot-mat-khau-dai",
}


def test_the_user_form_has_no_unit_fields_on_a_one_unit_deployment(client, province_admin):
    assert 'data-testid="user-unit"' not in client.get("/admin/users").text
    page = client.get("/admin/users/new").text
    assert 'name="unit"' not in page and 'name="province_wide"' not in page
    assert client.post("/admin/users/new", data=NEW_USER).status_code == 303
    user = db.session.scalar(select(User).where(User.username == "can.bo.hg"))
    assert user.unit_id is None and not user.province_wide


def test_the_user_form_binds_a_user_to_a_unit(client, province_admin):
    unit = second_unit()
    page = client.get("/admin/users/new").text
    assert 'name="unit"' in page and 'name="province_wide"' in page and "HG-02" in page
    r = client.post("/admin/users/new", data={**NEW_USER, "unit": ""})
    assert r.status_code == 422 and "gắn người dùng với một đơn vị" in r.text
    assert client.post("/admin/users/new", data={**NEW_USER, "unit": "HG-02"}).status_code == 303
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.username == "can.bo.hg"))
    assert (user.unit_id, user.province_wide) == (unit.id, False)

    # editing moves them to the first unit, then makes them province-wide (a leader)
    edit = {"full_name": "Vũ Thị Hằng", "role": "centre", "department": "", "unit": "DV01"}
    page = client.get(f"/admin/users/{user.id}").text
    assert 'name="unit"' in page
    assert client.post(f"/admin/users/{user.id}", data=edit).status_code == 303
    edit.update(role="leader", unit="", province_wide="y")
    assert client.post(f"/admin/users/{user.id}", data=edit).status_code == 303
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert (user.role, user.unit_id, user.province_wide) == ("leader", None, True)
    changes = [(e.old_values, e.new_values) for e in events("user_update")]
    assert changes == [
        ({"unit": "HG-02"}, {"unit": "DV01"}),
        (
            {"role": "centre", "unit": "DV01", "province_wide": False},
            {"role": "leader", "unit": None, "province_wide": True},
        ),
    ]
    # nobody moves their own unit
    r = client.post(
        f"/admin/users/{province_admin.id}",
        data={"full_name": "", "role": "admin", "department": "", "unit": "HG-02"},
    )
    assert r.status_code == 422 and "Bạn không thể tự đổi đơn vị của mình." in r.text


def test_a_unit_bound_administrator_gets_no_unit_fields(client, auth):
    unit = second_unit()
    auth.login(user=f.user("admin", unit_id=unit.id))
    page = client.get("/admin/users/new").text
    assert 'name="unit"' not in page and 'name="province_wide"' not in page
    data = {**NEW_USER, "unit": FIRST_UNIT_ID, "province_wide": "y"}
    assert client.post("/admin/users/new", data=data).status_code == 303
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.username == "can.bo.hg"))
    assert (user.unit_id, user.province_wide) == (unit.id, False)  # their own unit, no more
    edit = {
        "full_name": "",
        "role": "centre",
        "department": "",
        "unit": "DV01",
        "province_wide": "y",
    }
    assert client.post(f"/admin/users/{user.id}", data=edit).status_code == 303
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert (user.unit_id, user.province_wide) == (unit.id, False)


# --- the canonical level of a procedure -------------------------------------------------------------


def _procedure_form(fl, d, **changes):
    return {
        "code": "1.012345",
        "name": "Cấp phép kinh doanh karaoke",
        "field_id": fl.id,
        "department_id": d.id,
        "level": "Cấp tỉnh",
        "eligible_receive": "yes",
        "eligible_return": "yes",
        "reason_code": "",
        **changes,
    }


def _procedure(code="1.012345"):
    db.session.expire_all()
    return db.session.scalars(select(Procedure).where(Procedure.code == code)).unique().one()


def test_a_new_procedures_canonical_level_is_read_from_its_level(client, auth):
    d, fl = f.department(), f.field()
    auth.login("department", department=d)
    page = client.get("/procedures/new").text
    assert 'name="unit_level"' not in page  # one unit: no unit anywhere
    assert client.post("/procedures/new", data=_procedure_form(fl, d)).status_code == 303
    p = _procedure()
    assert p.unit_level == "tinh"
    # the only unit (commune level) still handles it, as every procedure before units
    assert db.session.get(UnitProcedure, (FIRST_UNIT_ID, p.id)).handled is True
    [event] = events("procedure_create")
    assert "unit_level" not in event.new_values  # a one-unit trail as before
    # changing the free text moves the level it follows
    data = {**_procedure_form(fl, d, level="Cấp xã"), "version": p.version}
    assert client.post(f"/procedures/{p.id}/details", data=data).status_code == 303
    assert _procedure().unit_level == "xa"


def test_the_procedure_form_chooses_the_canonical_level_with_several_units(client, auth):
    second_unit()
    d, fl = f.department(), f.field()
    auth.login("department", department=d)
    page = client.get("/procedures/new").text
    assert 'name="unit_level"' in page
    data = _procedure_form(fl, d, level="Cấp tỉnh", unit_level="ca_hai")
    assert client.post("/procedures/new", data=data).status_code == 303
    p = _procedure()
    assert p.unit_level == "ca_hai"
    assert db.session.get(UnitProcedure, (FIRST_UNIT_ID, p.id)) is None
    assert events("procedure_create")[0].new_values["unit_level"] == "ca_hai"
    # chosen by hand: a new free text leaves it; a new choice is audited
    data = {**_procedure_form(fl, d, level="Cấp xã"), "version": p.version, "unit_level": ""}
    assert client.post(f"/procedures/{p.id}/details", data=data).status_code == 303
    assert _procedure().unit_level == "ca_hai"
    data = {**data, "version": _procedure().version, "unit_level": "xa"}
    assert client.post(f"/procedures/{p.id}/details", data=data).status_code == 303
    assert _procedure().unit_level == "xa"
    assert events("procedure_update")[-1].new_values == {"unit_level": "xa"}
    data = {**data, "version": _procedure().version, "unit_level": "huyen"}
    r = client.post(f"/procedures/{p.id}/details", data=data)
    assert r.status_code == 422 and "Chọn cấp thực hiện thủ tục" in r.text
    assert "Cấp xã" in client.get(f"/procedures/{p.id}").text


IMPORT_HEADER = "ma_tthc,ten_tthc,linh_vuc,don_vi,ten_don_vi,cap_thuc_hien\n"


def test_the_procedure_import_reads_the_canonical_level_from_the_level_column(app):
    from blueprints.procedures import services as procedures

    data = IMPORT_HEADER + (
        "1.000001,Khai sinh,Hộ tịch,TP,Phòng Tư pháp,Cấp xã\n"
        "2.000001,Cấp phép,Xây dựng,XD,Sở Xây dựng,Cấp tỉnh\n"
        "3.000001,Khiếu nại,Thanh tra,TT,Thanh tra,\n"
    )
    assert procedures.import_procedures("tthc.csv", data.encode()).ok
    levels = {p.code: p.unit_level for p in db.session.scalars(select(Procedure)).unique()}
    assert levels == {"1.000001": "xa", "2.000001": "tinh", "3.000001": "ca_hai"}
    first = db.session.get(Unit, FIRST_UNIT_ID)
    handled = db.session.scalars(select(Procedure.code).where(units.handled_by(first))).all()
    assert sorted(handled) == ["1.000001", "2.000001", "3.000001"]  # the only unit: all
    # a new level in the file moves the canonical level that followed the old one
    data = IMPORT_HEADER + "1.000001,Khai sinh,Hộ tịch,TP,Phòng Tư pháp,Cấp tỉnh\n"
    assert procedures.import_procedures("tthc2.csv", data.encode()).ok
    assert _procedure("1.000001").unit_level == "tinh"


def test_the_procedure_imports_canonical_level_column_sets_the_level(app, client, auth):
    """``cap_chuan`` (optional) sets the canonical level whatever ``cap_thuc_hien`` says, a
    blank cell as without the column, a bad value a bad row; the help and the export list it
    once there are several units, and the export imports back unchanged."""
    from blueprints.procedures import services as procedures

    second_unit()
    header = IMPORT_HEADER.rstrip("\n") + ",tiep_nhan_bcci,tra_ket_qua_bcci,cap_chuan\n"
    data = header + (
        "1.000001,Khai sinh,Hộ tịch,TP,Phòng Tư pháp,Cấp xã,x,x,tinh\n"
        "2.000001,Cấp phép,Xây dựng,XD,Sở Xây dựng,Cấp tỉnh,x,x,Cả hai\n"
        "3.000001,Khiếu nại,Thanh tra,TT,Thanh tra,Cấp xã,x,x,\n"
    )
    assert procedures.import_procedures("tthc.csv", data.encode()).ok
    levels = {p.code: p.unit_level for p in db.session.scalars(select(Procedure)).unique()}
    assert levels == {"1.000001": "tinh", "2.000001": "ca_hai", "3.000001": "xa"}
    db.session.commit()
    # an existing procedure's level changed by the column, audited
    data = header + "3.000001,Khiếu nại,Thanh tra,TT,Thanh tra,Cấp xã,x,x,TINH\n"
    assert procedures.import_procedures("tthc2.csv", data.encode()).ok
    assert _procedure("3.000001").unit_level == "tinh"
    assert events("procedure_import_update")[-1].new_values == {"unit_level": "tinh"}
    db.session.commit()
    # bad values are bad rows: nothing written
    data = header + (
        "1.000001,Khai sinh,Hộ tịch,TP,Phòng Tư pháp,Cấp xã,x,x,huyen\n"
        "3.000001,Khiếu nại,Thanh tra,TT,Thanh tra,Cấp xã,x,x,xa\n"
    )
    report = procedures.import_procedures("tthc3.csv", data.encode())
    assert not report.ok and [(p.row, p.column) for p in report.problems] == [(2, "cap_chuan")]
    assert "tinh, xa hoặc ca_hai: huyen" in str(report.problems[0].reason)
    db.session.rollback()
    assert _procedure("3.000001").unit_level == "tinh"
    # the page's help and the export carry the column; the export imports back unchanged
    auth.login("admin")
    assert "cap_chuan" in client.get("/procedures/import").text
    export = client.get("/procedures/export?format=csv&in_force=all").data
    assert export.decode("utf-8-sig").splitlines()[0].endswith(",cap_chuan")
    report = procedures.import_procedures("export.csv", export)
    assert report.ok and report.unchanged == 3, report.problems


# --- each unit's published list --------------------------------------------------------------------


@pytest.fixture()
def two_lists(app):
    """A province-level unit with its list switched on, beside the first (commune) unit's."""
    unit = second_unit(code="TINH", name="Trung tâm Phục vụ hành chính công tỉnh", level="tinh")
    admin_services.save_settings({**SETTINGS, "address": "2 Lê Lợi, Hạ Long"}, unit.id)
    admin_services.save_settings(
        {**SETTINGS, "address": "9 Trần Phú, Cẩm Phả", "public_list_enabled": False},
        FIRST_UNIT_ID,
    )
    f.procedure("1.000001", "Đăng ký khai sinh", receive=True, unit_level="xa")
    f.procedure("2.000001", "Cấp giấy phép xây dựng", ret=True, unit_level="tinh")
    f.procedure("3.000001", "Giải quyết khiếu nại", ret=True, unit_level="ca_hai")
    db.session.commit()
    return unit


def _codes(html):
    import re

    return re.findall(r'data-code="([^"]+)"', html)


def test_each_unit_has_its_own_public_list(client, two_lists):
    r = client.get("/public/postal-procedures?unit=TINH")
    assert r.status_code == 200
    assert sorted(_codes(r.text)) == ["2.000001", "3.000001"]
    assert "2 Lê Lợi, Hạ Long" in r.text and "9 Trần Phú" not in r.text
    body = client.get("/public/postal-procedures.json?unit=TINH").get_json()
    assert body["dia_chi"] == "2 Lê Lợi, Hạ Long"
    assert [p["ma_tthc"] for p in body["thu_tuc"]] == ["2.000001", "3.000001"]
    # the first unit's list is switched off; an unknown unit has none
    assert client.get("/public/postal-procedures").status_code == 404
    assert client.get("/public/postal-procedures?unit=DV01").status_code == 404
    assert client.get("/public/postal-procedures?unit=NOPE").status_code == 404
    assert client.get("/public/postal-procedures.csv?unit=DV01").status_code == 404


def test_staff_print_their_own_units_list(client, auth, two_lists):
    auth.login(user=f.user("centre", unit_id=FIRST_UNIT_ID))
    r = client.get("/publication/postal-procedures")
    assert sorted(_codes(r.text)) == ["1.000001", "3.000001"] and "9 Trần Phú, Cẩm Phả" in r.text
    assert 'data-testid="unit-picker"' not in r.text
    assert client.get("/publication/postal-procedures?unit=TINH").status_code == 404
    csv = client.get("/public/postal-procedures.csv").text  # staff: even when switched off
    assert "1.000001" in csv and "2.000001" not in csv


def test_province_wide_staff_pick_the_units_list(client, auth, two_lists):
    auth.login(user=f.user("leader", province_wide=True))
    r = client.get("/publication/postal-procedures?unit=TINH")
    assert 'data-testid="unit-picker"' in r.text and sorted(_codes(r.text)) == [
        "2.000001",
        "3.000001",
    ]
    assert "/public/postal-procedures.csv?unit=TINH" in r.text


def test_a_units_default_period_is_its_own(client, auth):
    unit = second_unit()
    admin_services.save_settings(
        {
            **SETTINGS,
            "default_period_from": date(2024, 4, 1),
            "default_period_to": date(2024, 6, 30),
        },
        unit.id,
    )
    admin_services.save_settings(
        {
            **SETTINGS,
            "default_period_from": date(2023, 1, 1),
            "default_period_to": date(2023, 3, 31),
        },
        FIRST_UNIT_ID,
    )
    db.session.commit()
    auth.login(user=f.user("leader", unit_id=unit.id))
    assert 'data-period="2024-04-01/2024-06-30"' in client.get("/dashboard").text
    other = client.application.test_client()
    auth_first = f.user("leader", unit_id=FIRST_UNIT_ID)
    db.session.commit()
    assert other.log_in(auth_first.username, f.PASSWORD).status_code == 303
    assert 'data-period="2023-01-01/2023-03-31"' in other.get("/dashboard").text


def test_each_unit_purges_personal_data_after_its_own_retention(runner):
    unit = second_unit()
    admin_services.save_settings({**SETTINGS, "retention_months": 120}, unit.id)
    admin_services.save_settings({**SETTINGS, "retention_months": 12}, FIRST_UNIT_ID)
    old = vn_today() - timedelta(days=800)
    kept = {}
    for unit_id in (FIRST_UNIT_ID, unit.id):
        dossier = f.dossier(f.procedure(ret=True), received=old)
        dossier.unit_id = unit_id
        kept[unit_id] = f.shipment(dossier, "tra_ket_qua", when=old, recipient_name="Lê Văn Ba")
    db.session.commit()
    r = runner.invoke(args=["privacy", "purge"])
    assert r.exit_code == 0, r.output
    assert "DV01: " in r.output and "HG-02: " in r.output
    db.session.expire_all()
    assert kept[FIRST_UNIT_ID].recipient_name == ""
    assert kept[unit.id].recipient_name == "Lê Văn Ba"  # ten years in that unit
    [event] = events("shipment.purge_personal_data")
    assert event.new_values["unit"] == "DV01" and event.new_values["retention_months"] == 12


def test_a_unit_bound_administrator_manages_their_units_staff_only(client, auth):
    unit = second_unit()
    province = f.user("admin", province_wide=True, username="quan.tri.tinh")
    neighbour = f.user("centre", unit_id=FIRST_UNIT_ID, username="can.bo.dv01")
    colleague = f.user("centre", unit_id=unit.id, username="dong.nghiep.hg")
    staff = f.user("department", username="can.bo.phong")
    auth.login(user=f.user("admin", unit_id=unit.id))
    listed = client.get("/admin/users").text
    assert "dong.nghiep.hg" in listed
    assert '<td data-testid="user-unit">HG-02</td>' in listed
    for other in ("quan.tri.tinh", "can.bo.dv01", "can.bo.phong"):
        assert other not in listed
    for user in (province, neighbour, staff):
        assert client.get(f"/admin/users/{user.id}").status_code == 404
        r = client.post(
            f"/admin/users/{user.id}/password", data={"new": "x" * 12, "confirm": "x" * 12}
        )
        assert r.status_code == 404
        assert (
            client.post(f"/admin/users/{user.id}/active", data={"active": "0"}).status_code == 404
        )
    assert client.get(f"/admin/users/{colleague.id}").status_code == 200
    # nor do they make department staff, who see every unit
    data = {**NEW_USER, "role": "department", "department": staff.department.code}
    r = client.post("/admin/users/new", data=data)
    assert r.status_code == 422 and "chỉ quản lý cán bộ của đơn vị đó" in r.text
    db.session.expire_all()
    assert db.session.get(User, province.id).active


def test_the_audit_log_names_a_units_records_with_its_prefix(client, province_admin):
    unit = second_unit()
    admin_services.save_settings(SETTINGS, unit.id)
    day = vn_today()
    dossier = f.dossier(f.procedure(ret=True), received=day - timedelta(days=5))
    f.shipment(dossier, "tra_ket_qua", when=day)
    batch = handover.propose_batch("tra_ket_qua")
    handover.sign_batch(batch)
    batch.unit_id = unit.id
    db.session.commit()
    page = client.get("/admin/audit", query_string={"action": "handover.sign"}).text
    assert "01/BB-TTPVHCC-HG" in page and "01/BB-TTHCC" not in page
