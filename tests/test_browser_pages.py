"""Every main page, for every role, in a Chrome set to English at 1366×768 (as many office
machines are): axe-core finds no serious or critical violation, the main menu fits one row, the
date fields are dd/mm/yyyy text fields. The pages people use most are saved as screenshots at
1366×768 and 390×844 in test-artifacts/screenshots/ (kept to be looked at, never compared)."""

import os
from datetime import date

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import url_for
from playwright.sync_api import expect

from blueprints.handover import services as handover
from extensions import db
from models import AuditEvent
from tests import factories as f
from tests.conftest import artifact_path, browser_login, local_page
from utils.navigation import NAV

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
AXE = Axe()


@pytest.fixture()
def world(app):
    """A small centre with long names and codes, as the real catalogue has them."""
    tp = f.department(code="TP", name="Phòng Tư pháp")
    qldt = f.department(code="QLDT", name="Phòng Quản lý đô thị")
    civil = f.field(name="Tư pháp – Hộ tịch")
    build = f.field(name="Lao động – Thương binh và Xã hội")
    procs = [
        f.procedure(
            code="1.001108",
            name="Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ "
            "thuộc thẩm quyền cấp của Ủy ban nhân dân cấp huyện",
            department_=qldt,
            field_=build,
            receive=True,
            ret=True,
        )
    ]
    procs.append(
        f.procedure(
            code="2.000908.000.00.00.H56",
            name="Chứng thực bản sao từ bản chính "
            "giấy tờ, văn bản do cơ quan có thẩm quyền của Việt Nam cấp",
            department_=tp,
            field_=civil,
            receive=False,
            ret=True,
            reason_code="in_person",
        )
    )
    for i in range(8):
        procs.append(
            f.procedure(
                name=f"Đăng ký khai sinh, kết hợp nhận cha, mẹ, con số {i}",
                department_=tp,
                field_=civil,
                receive=i % 2 == 0,
                ret=True,
            )
        )
    dossiers = [
        f.dossier(
            p,
            date(2024, 3, 1 + i % 20),
            channel="bcci" if i % 3 == 0 else "truc_tiep",
            returned=date(2024, 3, 25),
            return_channel="bcci" if i % 2 else "truc_tuyen",
        )
        for i, p in enumerate(procs * 3)
    ]
    users = {
        role: f.user(role, department_=tp if role == "department" else None)
        for role in ("leader", "department", "centre", "admin")
    }
    today = date.today()
    shipments = [
        f.logged_shipment(
            d,
            "tra_ket_qua",
            today,
            users["centre"],
            tracking_number=f.tracking_number("EB"),
            **f.RECIPIENT
            | {"address": "Số 12, phố Cột Đồng Hồ, phường Hồng Gai, thành phố Hạ Long"},
        )
        for d in dossiers[:6]
    ]
    batch = handover.propose_batch("tra_ket_qua", today, user=users["centre"])
    db.session.commit()
    return {"users": users, "procedure": procs[1], "shipment": shipments[0], "batch": batch}


def urls(app, role, world):
    """The role's main pages: its menu, and the pages one opens from them."""
    with app.test_request_context():
        pages = [
            url_for(ep) for ep, _label, roles in NAV if role in roles and ep in app.view_functions
        ]
        if role in ("department", "leader"):
            pages.append(url_for("procedures.show_procedure", procedure_id=world["procedure"].id))
        if role in ("centre", "admin"):
            pages += [
                url_for("postal.new_shipment"),
                url_for("dossiers.import_dossiers"),
                url_for("postal.show_shipment", shipment_id=world["shipment"].id),
                url_for("handover.show_batch", batch_id=world["batch"].id),
            ]
        if role == "admin":
            pages.append(url_for("admin.list_audit"))
    return pages


def fits(page, table):
    """The table needs no sideways scrolling at the page's width."""
    return page.locator(table).evaluate(
        "t => { const box = t.closest('.table-responsive') || t.parentElement;"
        " return box.scrollWidth <= box.clientWidth; }"
    )


def screenshot(page, name):
    for label, size in (("1366x768", DESKTOP), ("390x844", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(
            path=artifact_path(os.path.join("screenshots", f"{name}-{label}.png")), full_page=True
        )
    page.set_viewport_size(DESKTOP)


def serious(page):
    results = AXE.run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        f"{[(n['target'], n.get('failureSummary', '')[-120:]) for n in v['nodes'][:4]]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("role", ["leader", "department", "centre", "admin"])
def test_main_pages_for_each_role(browser, live_server, app, world, role):
    os.makedirs(artifact_path("screenshots"), exist_ok=True)
    with local_page(browser, live_server, locale="en-US", viewport=DESKTOP) as page:
        browser_login(page, world["users"][role])
        problems = {}
        for url in urls(app, role, world):
            page.goto(url)
            menu = page.locator(".app-menu .nav > li")
            tops = menu.evaluate_all(
                "items => items.map(i => Math.round(i.getBoundingClientRect().top))"
            )
            assert len(set(tops)) == 1, (
                f"{url}: the menu wraps onto {len(set(tops))} rows at 1366 px"
            )
            assert page.locator("input[type=date]").count() == 0, url
            found = serious(page)
            if found:
                problems[url] = found
        with open(artifact_path(f"axe-{role}.txt"), "w", encoding="utf-8") as out:
            out.write(
                "\n".join(f"{url}: {p}" for url, found in problems.items() for p in found)
                or "none\n"
            )
        assert not problems, problems
        saved = {
            "leader": leader_pages,
            "department": department_pages,
            "centre": centre_pages,
            "admin": admin_pages,
        }[role]
        saved(page, app, world)


def leader_pages(page, app, world):
    page.goto("/")
    screenshot(page, "leader-home")
    page.goto("/dashboard")
    screenshot(page, "leader-dashboard")


def department_pages(page, app, world):
    page.goto("/procedures")
    expect(page.get_by_test_id("own-department")).to_be_visible()
    assert fits(page, ".procedure-table"), "the procedure list is wider than 1366 px"
    screenshot(page, "department-procedures")
    page.goto(f"/procedures/{world['procedure'].id}")
    screenshot(page, "department-procedure")


def centre_pages(page, app, world):
    page.goto("/shipments/new")
    page.fill("input[name=tracking_number]", f.tracking_number("RR"))
    page.fill("input[name=dossier_code]", world["shipment"].dossier.code)
    page.fill("input[name=recipient_name]", "Trần Văn Bình")
    page.fill("input[name=address]", "Số 3, phường Hồng Hải, thành phố Hạ Long")
    page.fill("input[name=phone]", "0987654321")
    page.fill("input[name=fee]", "30.000")
    page.locator("input[name=fee]").press("Enter")
    expect(page.get_by_test_id("saved")).to_be_visible()
    assert serious(page) == []
    assert fits(page, ".shipment-table"), "the recent shipments are wider than 1366 px"
    screenshot(page, "centre-log-form-saved")
    page.goto("/shipments")
    screenshot(page, "centre-shipments")
    page.goto(f"/shipments/{world['shipment'].id}")
    screenshot(page, "centre-shipment")
    page.goto("/dossiers/import")
    # The file field speaks the interface's language, not the browser's ("Choose File").
    expect(page.locator(".file-picker-button")).to_have_text("Chọn tệp…")
    expect(page.locator("#import-result-file-name")).to_have_text("Chưa chọn tệp")
    page.set_input_files(
        "input[name=file]",
        files=[
            {
                "name": "ho-so.csv",
                "mimeType": "text/csv",
                "buffer": "ma_ho_so,ma_tthc,ngay_tiep_nhan,kenh_tiep_nhan\n"
                "000.17.22.H56-240301-0001,9.999999,01/03/2024,truc_tiep\n"
                "000.17.22.H56-240301-0002,1.001108,31/02/2024,buu_dien\n".encode(),
            }
        ],
    )
    expect(page.locator("#import-result-file-name")).to_have_text("ho-so.csv")
    page.locator("form.upload-form button[type=submit]").first.click()
    expect(page.get_by_test_id("import-refused")).to_be_visible()
    assert serious(page) == []
    screenshot(page, "centre-dossier-import-errors")
    page.goto(f"/handover/{world['batch'].id}")
    screenshot(page, "centre-handover-draft")


def admin_pages(page, app, world):
    assert db.session.query(AuditEvent).count() > 0
    page.goto("/admin/audit")
    screenshot(page, "admin-audit")
