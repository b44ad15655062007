"""Administration screens: users, departments, fields, organisation settings, the audit log."""

from datetime import datetime

import pytest
from sqlalchemy import select

from extensions import db
from models import AuditEvent, Department, Field, LoginSession, OrgSettings, User
from tests import factories as f
from utils.errors import Refusal
from utils.settings import get_settings

HX = {"HX-Request": "true"}


@pytest.fixture()
def admin(auth):
    return auth.login("admin")


def events(action):
    db.session.expire_all()
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    ).all()


def get_user(username):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


# --- users ------------------------------------------------------------------------------------


def test_admin_home_links_every_screen(client, admin):
    r = client.get("/admin/")
    assert r.status_code == 200
    for path in (
        "/admin/users",
        "/admin/departments",
        "/admin/fields",
        "/admin/settings",
        "/admin/audit",
    ):
        assert f'href="{path}"' in r.text
    assert 'href="/admin/"' in client.get("/").text  # the main menu shows it to administrators


def test_create_a_department_user(client, admin):
    dept = f.department(code="TCKH", name="Phòng Tài chính – Kế hoạch")
    r = client.get("/admin/users/new")
    assert r.status_code == 200 and 'value="TCKH"' in r.text
    r = client.post(
        "/admin/users/new",
        data={
            "username": "Nguyen.An",
            "full_name": "Nguyễn An",
            "role": "department",
            "department": "TCKH",
            "password": "mot-mat-khau-dai",
            "confirm": "mot-mat-khau-dai",
        },
    )
    assert r.status_code == 303 and r.headers["Location"] == "/admin/users"
    user = get_user("nguyen.an")
    assert user.role == "department" and user.department_id == dept.id and user.active
    [event] = events("user_create")
    assert event.user_id == admin.id and event.new_values["department"] == "TCKH"
    assert "mot-mat-khau-dai" not in repr(event.new_values)
    assert "nguyen.an" in client.get("/admin/users").text
    other = client.application.test_client()
    assert other.log_in("nguyen.an", "mot-mat-khau-dai").status_code == 303


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"role": "department", "department": ""}, "Cán bộ phòng, ban phải thuộc một phòng, ban."),
        ({"username": "taken"}, "Tên đăng nhập này đã có người dùng."),
        ({"username": "bad name!"}, "Tên đăng nhập chỉ gồm chữ cái"),
        ({"password": "short", "confirm": "short"}, "Mật khẩu phải có ít nhất 10 ký tự."),
        ({"confirm": "something-else"}, "Hai mật khẩu không khớp."),
        ({"department": "OLD"}, "Hãy chọn một phòng, ban đang hoạt động."),
    ],
)
def test_create_user_refuses_invalid_input_with_422(client, admin, changes, message):
    f.user("leader", username="taken")
    old = f.department(code="OLD")
    old.active = False
    data = {
        "username": "new.person",
        "role": "department",
        "department": "OLD",
        "password": "mot-mat-khau-dai",
        "confirm": "mot-mat-khau-dai",
    }
    f.department(code="OK")
    data["department"] = "OK"
    data.update(changes)
    count = db.session.query(User).count()
    r = client.post("/admin/users/new", data=data)
    assert r.status_code == 422 and message in r.text
    assert db.session.query(User).count() == count
    assert not events("user_create")


def test_inactive_departments_are_not_offered_for_new_users(client, admin):
    f.department(code="LIVE")
    gone = f.department(code="GONE")
    gone.active = False
    page = client.get("/admin/users/new").text
    assert 'value="LIVE"' in page and 'value="GONE"' not in page


def test_change_role_and_department_is_audited(client, admin):
    a, b = f.department(code="A1"), f.department(code="B1")
    user = f.user("department", department_=a)
    old_name = user.full_name
    r = client.get(f"/admin/users/{user.id}")
    assert r.status_code == 200 and 'selected value="A1"' in r.text
    r = client.post(
        f"/admin/users/{user.id}",
        data={"full_name": "Trần Bình", "role": "department", "department": "B1"},
    )
    assert r.status_code == 303
    assert get_user(user.username).department_id == b.id
    [event] = events("user_update")
    assert event.old_values == {"department": "A1", "full_name": old_name}
    assert event.new_values == {"department": "B1", "full_name": "Trần Bình"}
    r = client.post(
        f"/admin/users/{user.id}",
        data={"full_name": "Trần Bình", "role": "leader", "department": "B1"},
    )
    assert r.status_code == 303
    changed = get_user(user.username)
    assert changed.role == "leader" and changed.department_id is None  # leaders have no department
    assert events("user_update")[-1].new_values == {"role": "leader", "department": None}


def test_an_admin_cannot_change_their_own_role_or_lock_themselves_out(client, admin):
    r = client.post(f"/admin/users/{admin.id}", data={"role": "leader", "department": ""})
    assert r.status_code == 422 and "Bạn không thể tự đổi vai trò của mình." in r.text
    r = client.post(f"/admin/users/{admin.id}/active", data={"active": "0"}, headers=HX)
    assert r.status_code == 409 and "Bạn không thể tự khóa tài khoản của mình." in r.text
    assert r.text.lstrip().startswith("<tr")
    assert get_user(admin.username).active and get_user(admin.username).role == "admin"
    assert not events("user_update") and not events("user_deactivate")


def test_the_last_active_administrator_stays(client, admin):
    from blueprints.auth import services as users

    other = f.user("admin")
    r = client.post(f"/admin/users/{other.id}", data={"role": "leader", "department": ""})
    assert r.status_code == 303  # with two administrators, one may become a leader
    me = get_user(admin.username)
    with pytest.raises(Refusal, match="Phải còn ít nhất một quản trị viên"):
        users.update_user(me, "centre", actor=None)
    with pytest.raises(Refusal, match="Phải còn ít nhất một quản trị viên"):
        users.set_user_active(me, False, actor=None)
    db.session.rollback()
    assert get_user(admin.username).role == "admin" and get_user(admin.username).active


def test_deactivation_revokes_open_sessions_and_reactivation_allows_login(app, client, admin):
    user = f.user("centre")
    db.session.commit()
    theirs = app.test_client()
    theirs.log_in(user.username, f.PASSWORD)
    assert theirs.get("/").status_code == 200
    r = client.post(f"/admin/users/{user.id}/active", data={"active": "0"})
    assert r.status_code == 303 and r.headers["Location"] == "/admin/users"
    db.session.expire_all()
    open_sessions = db.session.query(LoginSession).filter(
        LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None)
    )
    assert open_sessions.count() == 0
    assert theirs.get("/").status_code == 302  # their cookie no longer works
    assert theirs.log_in(user.username, f.PASSWORD).status_code == 401
    [event] = events("user_deactivate")
    assert (event.old_values, event.new_values) == ({"active": True}, {"active": False})
    r = client.post(f"/admin/users/{user.id}/active", data={"active": "1"}, headers=HX)
    assert r.status_code == 200 and "HX-Request" in r.vary
    assert r.text.lstrip().startswith(f'<tr id="user-{user.id}"') and "<html" not in r.text
    assert get_user(user.username).active and events("user_activate")
    assert theirs.log_in(user.username, f.PASSWORD).status_code == 303


def test_reset_password(app, client, admin):
    user = f.user("leader")
    db.session.commit()
    theirs = app.test_client()
    theirs.log_in(user.username, f.PASSWORD)
    r = client.post(f"/admin/users/{user.id}/password", data={"new": "short", "confirm": "short"})
    assert r.status_code == 422 and "Mật khẩu phải có ít nhất 10 ký tự." in r.text
    r = client.post(
        f"/admin/users/{user.id}/password",
        data={"new": "mat-khau-moi-123", "confirm": "mat-khau-moi-123"},
    )
    assert r.status_code == 303
    assert theirs.get("/").status_code == 302
    fresh = app.test_client()
    assert fresh.log_in(user.username, f.PASSWORD).status_code == 401
    assert fresh.log_in(user.username, "mat-khau-moi-123").status_code == 303
    [event] = events("password_reset")
    assert event.user_id == admin.id and event.object_id == str(user.id)
    assert event.old_values is None and event.new_values is None


def test_user_pages_404_for_unknown_users(client, admin):
    assert client.get("/admin/users/999999").status_code == 404
    assert client.post("/admin/users/999999/active", data={"active": "0"}).status_code == 404


# --- departments ------------------------------------------------------------------------------


def test_create_department_full_page_and_htmx(client, admin):
    r = client.post("/admin/departments/new", data={"code": "tckh", "name": " Phòng Tài chính "})
    assert r.status_code == 303
    dept = db.session.scalar(select(Department).where(Department.code == "TCKH"))
    assert dept.name == "Phòng Tài chính" and dept.name_folded == "phong tai chinh"
    r = client.post(
        "/admin/departments/new", data={"code": "QLDT", "name": "Phòng Quản lý đô thị"}, headers=HX
    )
    assert r.status_code == 200 and "HX-Request" in r.vary
    assert r.text.lstrip().startswith('<div id="departments">') and "QLDT" in r.text
    [first, second] = events("department_create")
    assert first.new_values == {"code": "TCKH", "name": "Phòng Tài chính", "active": True}


@pytest.mark.parametrize("headers", [{}, HX])
def test_create_department_refuses_bad_codes_in_place(client, admin, headers):
    f.department(code="TCKH")
    for data, message in (
        ({"code": "TCKH", "name": "x"}, "Đã có phòng, ban khác dùng mã này."),
        ({"code": "a b", "name": "x"}, "Mã gồm chữ in hoa"),
        ({"code": "NEW", "name": ""}, ""),
    ):
        r = client.post("/admin/departments/new", data=data, headers=headers)
        assert r.status_code == 422 and message in r.text
        assert ("<html" in r.text) is (not headers)
        assert 'id="departments"' in r.text
    assert not events("department_create")


def test_rename_department_inline_with_htmx(client, admin):
    dept = f.department(code="TCKH", name="Phòng cũ")
    r = client.get(f"/admin/departments/{dept.id}/edit", headers=HX)
    assert r.status_code == 200 and "HX-Request" in r.vary
    assert r.text.lstrip().startswith(f'<tr id="department-{dept.id}"') and "hx-post=" in r.text
    r = client.post(f"/admin/departments/{dept.id}/edit", data={"name": ""}, headers=HX)
    assert r.status_code == 422 and 'data-testid="department-edit-row"' in r.text
    r = client.post(f"/admin/departments/{dept.id}/edit", data={"name": "Phòng mới"}, headers=HX)
    assert (
        r.status_code == 200 and 'data-testid="department-row"' in r.text and "Phòng mới" in r.text
    )
    [event] = events("department_update")
    assert (event.old_values, event.new_values) == ({"name": "Phòng cũ"}, {"name": "Phòng mới"})
    r = client.get(f"/admin/departments/{dept.id}", headers=HX)
    assert r.status_code == 200 and r.text.lstrip().startswith("<tr") and "Phòng mới" in r.text


def test_rename_department_without_javascript(client, admin):
    dept = f.department(code="TCKH", name="Phòng cũ")
    r = client.get(f"/admin/departments/{dept.id}/edit")
    assert r.status_code == 200 and "<html" in r.text and 'method="post"' in r.text
    assert "hx-post=" not in r.text.split('id="department-')[1]  # a real form on the full page
    r = client.post(f"/admin/departments/{dept.id}/edit", data={"name": ""})
    assert r.status_code == 422 and "<html" in r.text
    r = client.post(f"/admin/departments/{dept.id}/edit", data={"name": "Phòng mới"})
    assert r.status_code == 303 and r.headers["Location"] == "/admin/departments"
    r = client.get(f"/admin/departments/{dept.id}")
    assert r.status_code == 200 and "<html" in r.text and "Phòng mới" in r.text


def test_deactivate_and_reactivate_department(client, admin):
    dept = f.department(code="TCKH")
    r = client.post(f"/admin/departments/{dept.id}/active", data={"active": "0"}, headers=HX)
    assert (
        r.status_code == 200 and "Ngừng hoạt động" in r.text and r.text.lstrip().startswith("<tr")
    )
    db.session.expire_all()
    assert not db.session.get(Department, dept.id).active
    r = client.post(f"/admin/departments/{dept.id}/active", data={"active": "1"})
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(Department, dept.id).active
    assert [e.action for e in events("department_deactivate") + events("department_activate")] == [
        "department_deactivate",
        "department_activate",
    ]


# --- fields -----------------------------------------------------------------------------------


def test_create_and_edit_field_with_its_postal_note(client, admin):
    r = client.post(
        "/admin/fields/new",
        data={"name": "Xây dựng", "postal_note": "Trả kết quả được."},
        headers=HX,
    )
    assert r.status_code == 200 and r.text.lstrip().startswith('<div id="fields">')
    field = db.session.scalar(select(Field).where(Field.name == "Xây dựng"))
    assert field.name_folded == "xay dung" and field.postal_note == "Trả kết quả được."
    r = client.post("/admin/fields/new", data={"name": "Xây dựng"})
    assert r.status_code == 422 and "Đã có lĩnh vực khác mang tên này." in r.text
    r = client.get(f"/admin/fields/{field.id}/edit", headers=HX)
    assert r.status_code == 200 and 'data-testid="field-edit-row"' in r.text
    r = client.post(
        f"/admin/fields/{field.id}/edit",
        data={"name": "Xây dựng", "postal_note": "Nhận và trả qua bưu điện."},
        headers=HX,
    )
    assert r.status_code == 200 and "Nhận và trả qua bưu điện." in r.text
    r = client.post(f"/admin/fields/{field.id}/edit", data={"name": "Đất đai", "postal_note": ""})
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(Field, field.id).name == "Đất đai"
    updates = events("field_update")
    assert updates[0].old_values == {"postal_note": "Trả kết quả được."}
    assert updates[1].new_values == {"name": "Đất đai", "postal_note": ""}
    r = client.get(f"/admin/fields/{field.id}")
    assert r.status_code == 200 and "<html" in r.text and "Đất đai" in r.text
    r = client.get(f"/admin/fields/{field.id}", headers=HX)
    assert r.status_code == 200 and r.text.lstrip().startswith(f'<tr id="field-{field.id}"')
    r = client.post("/admin/fields/new", data={"name": "Y tế", "postal_note": ""})
    assert r.status_code == 303 and r.headers["Location"] == "/admin/fields"


# --- organisation settings --------------------------------------------------------------------

SETTINGS = {
    "parent_agency": "UBND THÀNH PHỐ HẠ LONG",
    "unit_name": "TRUNG TÂM HÀNH CHÍNH CÔNG",
    "place_name": "Hạ Long",
    "signer_name": "Nguyễn Văn Bình",
    "signer_title": "GIÁM ĐỐC",
    "doc_prefix": "TTHCC",
    "recipients": "UBND thành phố;\n\n  Lưu: VT.  \n",
    "address": "Tầng 1, Trụ sở liên cơ quan",
    "opening_hours": "Thứ Hai – Thứ Sáu, 7:30–17:00",
    "retention_months": "24",
    "public_list_enabled": "y",
}


def test_settings_are_created_on_first_save_and_audited(client, admin):
    assert db.session.get(OrgSettings, 1) is None
    r = client.get("/admin/settings")
    assert r.status_code == 200 and "chưa được lưu" in r.text
    assert db.session.get(OrgSettings, 1) is None  # showing the form created nothing
    r = client.post("/admin/settings", data=SETTINGS)
    assert r.status_code == 303
    db.session.expire_all()
    settings = get_settings()
    assert settings.unit_name == "TRUNG TÂM HÀNH CHÍNH CÔNG" and settings.public_list_enabled
    assert settings.recipients == "UBND thành phố;\nLưu: VT."
    [first] = events("settings_update")
    assert first.old_values is None and first.new_values["signer_name"] == "Nguyễn Văn Bình"
    changed = dict(SETTINGS, signer_name="Trần Thị Hoa", retention_months="36")
    del changed["public_list_enabled"]  # an unticked box is absent from the form
    assert client.post("/admin/settings", data=changed).status_code == 303
    second = events("settings_update")[-1]
    assert second.old_values == {
        "signer_name": "Nguyễn Văn Bình",
        "retention_months": 24,
        "public_list_enabled": True,
    }
    assert second.new_values == {
        "signer_name": "Trần Thị Hoa",
        "retention_months": 36,
        "public_list_enabled": False,
    }
    assert 'value="Trần Thị Hoa"' in client.get("/admin/settings").text


@pytest.mark.parametrize(
    "changes", [{"retention_months": "0"}, {"retention_months": "abc"}, {"doc_prefix": ""}]
)
def test_settings_refuse_invalid_values_with_422(client, admin, changes):
    r = client.post("/admin/settings", data=dict(SETTINGS, **changes))
    assert r.status_code == 422 and "is-invalid" in r.text
    assert db.session.get(OrgSettings, 1) is None and not events("settings_update")


# --- the audit log ----------------------------------------------------------------------------


def test_audit_log_shows_old_and_new_values_and_filters(client, admin):
    someone = f.user("centre")
    # 2024-03-04 23:30 Vietnam time is 16:30 UTC; 2024-03-05 00:30 Vietnam is 17:30 UTC on the 4th.
    f.audit_event(
        "procedure_update",
        datetime(2024, 3, 4, 16, 30),
        someone,
        "procedure",
        7,
        {"eligible_return": False},
        {"eligible_return": True},
    )
    f.audit_event(
        "procedure_update",
        datetime(2024, 3, 4, 17, 30),
        admin,
        "procedure",
        8,
        {"name": "Cũ"},
        {"name": "Mới"},
    )
    f.audit_event(
        "field_update",
        datetime(2024, 3, 6, 2, 0),
        someone,
        "field",
        3,
        {"postal_note": ""},
        {"postal_note": "Được"},
    )
    page = client.get("/admin/audit").text
    assert "Cũ" in page and "Mới" in page and "04/03/2024 23:30" in page
    assert "05/03/2024 00:30" in page

    def rows(**query):
        r = client.get("/admin/audit", query_string=query)
        assert r.status_code == 200
        return r.text.count('data-testid="audit-row"')

    assert rows(user=someone.id) == 2
    assert rows(action="procedure_update") == 2
    assert rows(object_type="field") == 1
    assert rows(object_type="procedure", object_id="8") == 1
    assert rows(date_from="2024-03-05", date_to="2024-03-05", object_type="procedure") == 1
    assert rows(date_from="2024-03-04", date_to="2024-03-04") == 1
    assert rows(date_to="2024-03-06", action="field_update") == 1
    assert rows(date_from="2024-03-07", action="field_update") == 0
    r = client.get("/admin/audit", query_string={"date_from": "not-a-date"})
    assert r.status_code == 200 and "is-invalid" in r.text


def test_audit_log_fragment_for_the_live_filter(client, admin):
    f.audit_event("field_update", datetime(2024, 3, 6, 2, 0), admin, "field", 3)
    r = client.get("/admin/audit", query_string={"action": "field_update"}, headers=HX)
    assert r.status_code == 200 and "HX-Request" in r.vary
    assert r.text.lstrip().startswith('<div id="audit-results">') and "<form" not in r.text
    r = client.get(
        "/admin/audit",
        query_string={"action": "field_update"},
        headers={**HX, "HX-History-Restore-Request": "true"},
    )
    assert "<html" in r.text and 'id="audit-filter"' in r.text


def test_audit_log_pages(client, admin):
    for i in range(60):
        f.audit_event("field_update", datetime(2024, 1, 1, 0, i), admin, "field", i)
    first = client.get("/admin/audit", query_string={"action": "field_update"}).text
    assert first.count('data-testid="audit-row"') == 50
    assert "/admin/audit?page=2&amp;action=field_update" in first
    second = client.get("/admin/audit", query_string={"action": "field_update", "page": 2}).text
    assert second.count('data-testid="audit-row"') == 10
    assert client.get("/admin/audit", query_string={"page": "x"}).status_code == 200
    assert client.get("/admin/audit", query_string={"page": "-3"}).status_code == 200


def test_audit_log_masks_citizens_personal_data(client, admin):
    f.audit_event(
        "shipment_update",
        datetime(2024, 3, 6, 2, 0),
        admin,
        "shipment",
        1,
        {"recipient_name": "Nguyễn Văn An", "address": "12 Lê Lợi", "phone": "0912345678"},
        {
            "recipient_name": "Nguyễn Văn Ân",
            "address": "14 Lê Lợi",
            "phone": "0912000000",
            "fee": 25000,
        },
    )
    page = client.get("/admin/audit").text
    for secret in ("Nguyễn Văn An", "Nguyễn Văn Ân", "Lê Lợi", "0912345678", "0912000000"):
        assert secret not in page
    # masked as the lists mask them; the fee in đồng
    assert "Nguyễn V. A." in page and "09•• ••• 678" in page and "•••" in page
    assert "25.000 đồng" in page and "25000" not in page


def test_built_in_form_messages_follow_the_users_language(client, admin):
    r = client.post("/admin/departments/new", data={"code": "X1", "name": ""})
    assert r.status_code == 422
    assert "Không được để trống." in r.text and "This field is required." not in r.text
    r = client.post("/admin/settings", data={"doc_prefix": "X", "retention_months": "500"})
    assert "Số phải nằm trong khoảng từ 1 đến 240." in r.text
    client.post("/language", data={"lang": "en", "next": "/"})
    r = client.post("/admin/departments/new", data={"code": "X1", "name": ""})
    assert "This field is required." in r.text


def test_deactivating_from_the_users_page_returns_there(client, admin):
    user = f.user("leader")
    page = client.get(f"/admin/users/{user.id}").text
    assert 'name="back" value="edit"' in page
    r = client.post(f"/admin/users/{user.id}/active", data={"active": "0", "back": "edit"})
    assert r.status_code == 303 and r.headers["Location"] == f"/admin/users/{user.id}"
    assert "Ngừng hoạt động" in client.get(f"/admin/users/{user.id}").text
