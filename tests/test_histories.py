"""Every history and the audit log read as people read the rest of the interface.

The test drives the real services to record one event of every action code the code records
(``ACTIONS``), renders the procedure, dossier
and shipment pages and every page of the audit log, and fails on anything that shows through
untranslated: a model column name or a stored code value (both lists read from the models and the
code tables), an ISO date, an amount of money without its unit, an internal id or a raw boolean.
"""

import html
import re
from datetime import date, timedelta

import pytest
from flask_babel import force_locale

from blueprints.admin import services as admin
from blueprints.auth import services as auth_services
from blueprints.briefs import services as briefs
from blueprints.dashboard import services as rubrics
from blueprints.dossiers import services as dossiers
from blueprints.handover import services as handover
from blueprints.meetings import services as meetings
from blueprints.postal import services as postal
from blueprints.procedures import services as procedures
from extensions import db
from models import (
    CHANNELS,
    DIRECTIONS,
    HANDOVER_STATUSES,
    ROLES,
    TASK_STATUSES,
    AuditEvent,
    Department,
    Dossier,
    Field,
    Procedure,
)
from tests import factories
from utils.dates import Period, vn_today
from utils.validators import s10_check_digit
from utils import units

# Ids no figure on these pages can equal by chance: any of them on a page is an internal id.
IDS = {
    "department": 71001,
    "field": 72001,
    "procedure": 73001,
    "dossier": 74001,
    "admin": 76001,
    "centre": 76002,
}
FEES = (27500, 31500, 42500)
# Every action code the application records, each recorded once at least by
# ``record_every_action`` (tests/test_audit_labels.py checks that it records exactly these).
ACTIONS = (
    "login logout password_change password_reset user_create user_update user_activate "
    "user_deactivate user_locale department_create department_update department_activate "
    "department_deactivate field_create field_update field_note settings_update procedure_create "
    "procedure_update procedure_eligibility procedure_bulk_eligibility procedure_retire "
    "procedure_reinstate procedure_import procedure_import_update dossier.create dossier.import "
    "dossier.import_update shipment.create shipment.update shipment.cancel shipment.import "
    "shipment.import_update shipment.export_personal shipment.purge_personal_data "
    "handover.create handover.add_item handover.remove_item handover.item_counts handover.sign "
    "handover.void handover.discard handover.print rubric.create rubric.update rubric.freeze "
    "brief.issue brief.withdraw meeting.create meeting.update task.create task.status "
    "unit_create user_bound_to_unit unit_update unit_deactivate unit_activate unit_procedure"
).split()


def tracking(serial):
    digits = f"{serial:08d}"
    return f"EB{digits}{s10_check_digit(digits)}VN"


def record_every_action(client):
    """Drive every service that records an event; returns what the pages need."""
    today = vn_today()
    day = today - timedelta(days=3)
    admin_user = factories.user(
        "admin", username="quantri", full_name="Lê Quản Trị", id=IDS["admin"], province_wide=True
    )
    centre = factories.user("centre", username="canbo1", full_name="Phạm Văn Tâm", id=IDS["centre"])
    department = Department(
        id=IDS["department"], code="PTP", name="Phòng Tư pháp", name_folded="phong tu phap"
    )
    field = Field(id=IDS["field"], name="Hộ tịch", name_folded="ho tich", postal_note="")
    db.session.add_all([department, field])
    db.session.flush()
    procedure = Procedure(
        id=IDS["procedure"],
        code="1.001122",
        name="Đăng ký khai sinh",
        name_folded="dang ky khai sinh",
        field_id=field.id,
        department_id=department.id,
        eligible_receive=True,
        eligible_return=True,
    )
    db.session.add(procedure)
    db.session.flush()
    dossier = Dossier(
        id=IDS["dossier"],
        code="000.00.22.H56-241001-0001",
        procedure_id=procedure.id,
        receive_channel_src="truc_tiep",
        receive_date_src=day - timedelta(days=5),
        receive_channel="truc_tiep",
        receive_date=day - timedelta(days=5),
    )
    db.session.add(dossier)
    db.session.commit()

    # people and sessions
    r = client.log_in("quantri", factories.PASSWORD)
    assert r.status_code == 303
    sid = auth_services.start_session(centre)
    auth_services.end_session(sid, user=centre)
    auth_services.change_password(centre, factories.PASSWORD, "another-long-password-1")
    auth_services.reset_password(centre, factories.PASSWORD, actor=admin_user)
    staff = auth_services.create_user(
        "canbo2",
        "department",
        factories.PASSWORD,
        department_code="PTP",
        full_name="Đỗ Thị Hoa",
        actor=admin_user,
    )
    auth_services.update_user(
        staff, "department", "PTP", full_name="Đỗ Thị Hoa Mai", actor=admin_user
    )
    auth_services.set_user_active(staff, False, actor=admin_user)
    auth_services.set_user_active(staff, True, actor=admin_user)
    auth_services.set_locale(staff, "en")

    # organisation
    other = admin.create_department("PKT", "Phòng Kinh tế")
    admin.rename_department(other, "Phòng Kinh tế và Hạ tầng")
    admin.set_department_active(other, False)
    admin.set_department_active(other, True)
    transport = admin.create_field("Giao thông", "")
    admin.update_field(transport, "Giao thông vận tải", "Chưa gửi được qua bưu điện")
    admin.save_settings(
        {
            "parent_agency": "UBND thành phố Hạ Long",
            "unit_name": "Trung tâm Hành chính công",
            "place_name": "Hạ Long",
            "signer_name": "Nguyễn Văn Minh",
            "signer_title": "Giám đốc",
            "doc_prefix": "TTHCC",
            "recipients": "Như trên",
            "address": "Số 1 Đường Hạ Long",
            "opening_hours": "7h30–17h",
            "retention_months": 24,
            "public_list_enabled": True,
            "default_period_from": date(today.year, 1, 1),
            "default_period_to": date(today.year, 9, 30),
        }
    )
    procedures.update_field_note(field, admin_user, "Gửi được bản sao có chứng thực")

    # procedures
    second = procedures.create_procedure(
        admin_user,
        "1.001133",
        "Đăng ký kết hôn",
        field.id,
        department.id,
        "Cấp xã",
        True,
        False,
        "in_person",
        "",
    )
    procedures.update_details(
        second,
        admin_user,
        second.version,
        "1.001133",
        "Đăng ký kết hôn (sửa)",
        transport.id,
        other.id,
        "Cấp huyện",
    )
    procedures.update_eligibility(second, admin_user, second.version, False, False, "originals", "")
    procedures.bulk_update([second], admin_user, True, None, "", "")
    procedures.set_in_force(second, admin_user, False)
    procedures.set_in_force(second, admin_user, True)
    report = procedures.import_procedures(
        "thu-tuc.csv",
        (
            "ma_tthc,ten_tthc,linh_vuc,don_vi,ten_don_vi,tiep_nhan_bcci,tra_ket_qua_bcci,ly_do_khong_bcci\n"
            "1.001122,Đăng ký khai sinh lưu động,Hộ tịch,PTP,,có,không,Người yêu cầu phải có mặt trực tiếp\n"
            "1.009999,Chứng thực bản sao,Chứng thực,PVH,Phòng Văn hóa,có,có,\n"
        ).encode(),
        user=admin_user,
    )
    assert report.ok, report.errors

    # dossiers
    created = dossiers.create_dossier(
        "000.00.22.H56-241001-0002", procedure, "truc_tuyen", day - timedelta(days=2), user=centre
    )
    receive = (day - timedelta(days=5)).strftime("%d/%m/%Y")
    back = (day - timedelta(days=1)).strftime("%d/%m/%Y")
    report = dossiers.import_dossiers(
        "mot-cua.csv",
        (
            "ma_ho_so,ma_tthc,ngay_tiep_nhan,kenh_tiep_nhan,ngay_tra,kenh_tra\n"
            f"{dossier.code},1.001133,{receive},Trực tiếp,{back},BCCI\n"
            f"000.00.22.H56-241001-0003,1.001122,{receive},Trực tuyến,,\n"
        ).encode(),
        user=centre,
    )
    assert report.ok, report.errors

    # shipments
    first = factories.logged_shipment(
        dossier,
        "tra_ket_qua",
        day,
        centre,
        tracking_number=tracking(11),
        **factories.RECIPIENT | {"fee": FEES[0]},
    )
    postal.update_shipment(
        first,
        {
            "fee": FEES[1],
            "recipient_name": "Nguyễn Văn Ân",
            "phone": "0912000123",
            "date": day - timedelta(days=1),
            "dossier_id": created.id,
        },
        "Ghi nhầm hồ sơ",
        user=centre,
    )
    wrong = postal.log_shipment(
        tracking_number=tracking(12),
        direction="tra_ket_qua",
        dossier=created,
        date=day,
        fee=FEES[2],
        user=centre,
    )
    postal.cancel_shipment(wrong, "Ghi trùng", user=centre)
    old = postal.log_shipment(
        tracking_number=tracking(13),
        direction="tiep_nhan",
        dossier=dossier,
        date=today - timedelta(days=800),
        recipient_name="Trần Thị Bình",
        phone="0987654321",
        user=centre,
    )
    report = postal.import_postal(
        "buu-gui.csv",
        (
            "so_hieu_buu_gui,chieu,ma_ho_so,ngay,ho_ten,cuoc_phi\n"
            f"{tracking(11)},tra_ket_qua,{created.code},{(day - timedelta(days=1)):%d/%m/%Y},Nguyễn Văn Ân,{FEES[2]}\n"
            f"{tracking(14)},tiep_nhan,{created.code},{day:%d/%m/%Y},Lê Thị Cúc,\n"
        ).encode(),
        user=centre,
    )
    assert report.ok, report.errors
    postal.purge_personal_data(today=today, user=centre)
    db.session.commit()
    r = client.post(
        "/shipments/export-personal.csv",
        data={
            "direction": "tra_ket_qua",
            "from": day.isoformat(),
            "to": day.isoformat(),
            "status": "active",
        },
    )
    assert r.status_code == 200

    # hand-over records
    batch = handover.propose_batch("tra_ket_qua", day - timedelta(days=1), user=centre)
    item = batch.items[0]
    handover.remove_item(batch, item.id, user=centre)
    item = handover.add_item(batch, first.id, user=centre)
    handover.set_item_counts(batch, item.id, 1, 2, user=centre)
    handover.sign_batch(batch, user=centre)
    handover.record_print(batch, user=centre)
    handover.void_batch(batch, "Ký nhầm ngày", user=centre)
    draft = handover.propose_batch("tra_ket_qua", day - timedelta(days=1), user=centre)
    handover.discard_draft(draft, user=centre)

    # rubric, brief, meetings
    bands = {
        code: {"max": "1", "bands": [["20", "0,5"], ["50", "1"]]} for code in ("C1", "C2", "C3")
    }
    version, _ = rubrics.save_rubric(
        today.year, bands, "Theo bộ tiêu chí của tỉnh", user=admin_user
    )
    rubrics.save_rubric(today.year, bands, "Theo bộ tiêu chí năm nay", user=admin_user)
    brief = briefs.issue_brief(Period(date(today.year, 1, 1), today), user=admin_user, today=today)
    briefs.withdraw_brief(brief, "Số liệu tháng 9 chưa đủ", user=admin_user)
    meeting = meetings.create_meeting(
        date_=day,
        chair="Nguyễn Văn Minh",
        participants="Các phòng",
        conclusions="Đẩy mạnh tiếp nhận qua bưu điện",
        user=admin_user,
    )
    meetings.update_meeting(
        meeting,
        date_=day,
        chair="Nguyễn Văn Minh",
        participants="Các phòng, ban",
        conclusions="Đẩy mạnh tiếp nhận qua bưu điện",
        user=admin_user,
    )
    task = meetings.add_task(
        meeting,
        department_id=department.id,
        description="Rà soát danh mục",
        deadline=today + timedelta(days=30),
        user=admin_user,
    )
    meetings.set_task_status(task, "in_progress", "Đang rà soát", user=admin_user)
    # a second unit (which binds the users bound to none to the first)
    unit = units.create_unit(
        "XA-02", "Trung tâm Phục vụ hành chính công xã Hòa An", "xa", user=admin_user
    )
    units.update_unit(unit, "Trung tâm xã Hòa An", "xa", "chi_nhanh", user=admin_user)
    units.set_unit_active(unit, False, user=admin_user)
    units.set_unit_active(unit, True, user=admin_user)
    units.set_handling(unit, procedure.code, False, user=admin_user)
    auth_services.update_user(
        staff, "centre", None, full_name="Đỗ Thị Hoa Mai", actor=admin_user, unit_code="XA-02"
    )
    db.session.commit()
    return {
        "procedures": [procedure, second],
        "dossiers": [dossier, created],
        "shipments": [first, wrong, old],
    }


def visible(fragment):
    """The text a person reads: tags (and their attributes) dropped, entities decoded."""
    text = re.sub(r"<script.*?</script>", " ", fragment, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text)))


def history_text(page):
    match = re.search(
        r'<table class="table table-sm bg-white history" data-testid="history">.*?</table>',
        page,
        re.S,
    )
    assert match, "the page shows no history"
    return visible(match.group(0))


def audit_text(page):
    start = page.index('<div id="audit-results">')
    return visible(page[start : page.index("</table>", start)])


def column_names():
    return {column.name for table in db.metadata.sorted_tables for column in table.columns}


def code_values(object_types):
    return (
        set(CHANNELS)
        | set(DIRECTIONS)
        | set(ROLES)
        | set(TASK_STATUSES)
        | set(HANDOVER_STATUSES)
        | set(procedures.REASON_CODES)
        | set(ACTIONS)
        | set(object_types)
    )


def problems(text, words, where):
    """What shows through in ``text``: each as "where: what"."""
    found = []
    for word in sorted(words):
        if re.search(rf"(?<![\w.-]){re.escape(word)}(?![\w-])", text):
            found.append(f"{where}: code or column name {word!r}")
    for pattern, what in (
        (r"\b\d{4}-\d{2}-\d{2}\b", "ISO date"),
        (r"#\s?\d+", "internal id"),
        (r"\b(?:True|False|true|false|None|null)\b", "raw boolean"),
    ):
        for match in re.findall(pattern, text):
            found.append(f"{where}: {what} {match!r}")
    for internal in IDS.values():
        if re.search(rf"(?<![\d.,]){internal}(?![\d.,])", text):
            found.append(f"{where}: internal id {internal}")
    for fee in FEES:
        if str(fee) in text:
            found.append(f"{where}: bare amount {fee}")
        for match in re.finditer(re.escape(f"{fee:,}".replace(",", ".")), text):
            if not text[match.end() :].startswith(" đồng"):
                found.append(
                    f"{where}: amount without its unit {text[match.start() : match.end() + 8]!r}"
                )
    return found


@pytest.mark.slow
def test_every_history_and_the_audit_log_read_as_people_read(client):
    recorded = record_every_action(client)
    events = db.session.query(AuditEvent).all()
    assert {e.action for e in events} == set(ACTIONS)
    object_types = {e.object_type for e in events if e.object_type}
    words = column_names() | code_values(object_types)
    assert {"tracking_number", "department_id", "tra_ket_qua", "handover.sign", "draft"} <= words

    found, histories = [], {}
    for _kind, url in (
        [("procedure", f"/procedures/{p.id}") for p in recorded["procedures"]]
        + [("dossier", f"/dossiers/{d.id}") for d in recorded["dossiers"]]
        + [("shipment", f"/shipments/{s.id}") for s in recorded["shipments"]]
    ):
        r = client.get(url)
        assert r.status_code == 200, url
        histories[url] = history_text(r.text)
        found += problems(histories[url], words, url)
    audit, shown_actions, page = "", set(), 1
    while True:
        r = client.get("/admin/audit", query_string={"page": page})
        assert r.status_code == 200
        audit += audit_text(r.text)
        shown_actions |= set(re.findall(r'data-action="([^"]+)"', r.text))
        if 'aria-label="Các trang nhật ký' not in r.text or f"page={page + 1}" not in r.text:
            break
        page += 1
    assert shown_actions == set(ACTIONS)
    found += problems(audit, words, "audit log")
    start = r.text.index(">", r.text.index('id="audit-filter"')) + 1
    filter_form = r.text[start : r.text.index("</form>", start)]
    found += problems(visible(filter_form), words, "audit log filter")
    assert not found, "\n".join(found)

    # the values read as elsewhere: names, labels, đồng, dd/mm/yyyy, masked personal data
    shipment_history = histories[f"/shipments/{recorded['shipments'][0].id}"]
    day = vn_today() - timedelta(days=3)
    for expected in (
        "Phạm Văn Tâm",
        "Cước phí",
        "27.500 đồng",
        "31.500 đồng",
        "Trả kết quả",
        "Nguyễn V. A.",
        "Nguyễn V. Â.",
        "09•• ••• 678",
        "phường Hồng Gai",
        day.strftime("%d/%m/%Y"),
        "000.00.22.H56-241001-0002",
        "Ghi nhầm hồ sơ",
    ):
        assert expected in shipment_history, expected
    for secret in ("Nguyễn Văn An", "Lê Lợi", "0912345678", "canbo1"):
        assert secret not in shipment_history and secret not in audit
    procedure_history = histories[f"/procedures/{recorded['procedures'][1].id}"]
    for expected in (
        "PKT – Phòng Kinh tế và Hạ tầng",
        "Giao thông vận tải",
        "Phải đối chiếu bản chính",
        "Lê Quản Trị",
    ):
        assert expected in procedure_history or expected in audit, expected
    for expected in (
        "Biên bản giao nhận số 01/BB-TTHCC",
        "Người dùng Đỗ Thị Hoa Mai",
        "English",
        "Phòng, ban PKT – Phòng Kinh tế và Hạ tầng",
        "Ngôn ngữ giao diện",
        "Tệp nhập mot-cua.csv",
    ):
        assert expected in audit, expected


def test_histories_in_english_show_no_code_either(client, app):
    recorded = record_every_action(client)
    client.post("/language", data={"lang": "en"})
    with force_locale("en"):
        words = {
            w for w in column_names() | code_values(()) if "_" in w or "." in w
        }  # English labels may say "Date" or "Name"
    r = client.get(f"/shipments/{recorded['shipments'][0].id}")
    text = history_text(r.text)
    assert not problems(text, words, "shipment"), problems(text, words, "shipment")
    assert "Fee" in text and "31,500 đồng" in text and "Result returned by post" in text
