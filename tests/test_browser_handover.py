"""A centre staff member builds a hand-over record, fixes its items, signs and prints it."""

import pytest
from playwright.sync_api import expect

from extensions import db
from models import AuditEvent, HandoverBatch, Shipment
from tests import factories as f
from tests.conftest import HtmxWatch, browser_login
from utils.dates import vn_today

pytestmark = pytest.mark.browser


def test_build_sign_and_print_a_batch(page):
    today = vn_today()
    procedure = f.procedure(name="Cấp giấy phép xây dựng", ret=True)
    shipments = [
        f.shipment(
            f.dossier(procedure, today),
            "tra_ket_qua",
            when=today,
            tracking_number=number,
            recipient_name="Nguyễn Văn An",
            fee=25000,
        )
        for number in ("EB123456785VN", "RR473124829VN")
    ]
    user = f.user("centre")
    db.session.commit()
    browser_login(page, user)

    page.locator(".app-menu summary", has_text="Bưu chính").click()  # the menu's Post group
    page.get_by_role("link", name="Biên bản giao nhận").click()
    page.get_by_role("button", name="Lập biên bản").click()
    page.wait_for_url("**/handover/*")
    items = page.get_by_test_id("items")
    for s in shipments:
        expect(items.locator(f"tr[data-tracking='{s.tracking_number}']")).to_be_visible()

    watch = HtmxWatch(page)
    # Take one out: it moves to the shipments that can be added; put it back.
    items.locator("tr[data-tracking='RR473124829VN']").get_by_role("button", name="Bỏ ra").click()
    candidates = page.get_by_test_id("candidates")
    expect(candidates.locator("tr[data-tracking='RR473124829VN']")).to_be_visible()
    expect(items.locator("tr[data-tracking='RR473124829VN']")).to_have_count(0)
    candidates.locator("tr[data-tracking='RR473124829VN']").get_by_role(
        "button", name="Thêm"
    ).click()
    expect(items.locator("tr[data-tracking='RR473124829VN']")).to_be_visible()
    expect(page.get_by_test_id("batch-count")).to_have_text("2")

    # Every box has its label; one save for the whole draft.
    for n, s in enumerate(shipments, start=1):
        row = items.locator(f"tr[data-tracking='{s.tracking_number}']")
        row.get_by_label("Bản chính").fill(str(n))
        row.get_by_label("Bản sao").fill(str(n + 1))
    expect(page.get_by_role("button", name="Lưu")).to_have_count(1)
    page.get_by_role("button", name="Lưu số bản chính, bản sao").click()
    expect(
        items.locator("tr[data-tracking='RR473124829VN']").get_by_label("Bản sao")
    ).to_have_value("3")

    # Signing asks first, as discarding does: dismissed, nothing is signed.
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Ký biên bản: ghi nhận các bưu gửi đã bàn giao").click()
    expect(page.get_by_test_id("batch-number")).to_have_text("—")
    assert asked and "2 bưu gửi" in asked[0]
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Ký biên bản: ghi nhận các bưu gửi đã bàn giao").click()
    # The number as the PDF prints it.
    expect(page.get_by_test_id("batch-number")).to_have_text("01/BB-TTHCC")
    handed = page.get_by_test_id("handed-over")
    expect(handed).to_have_count(2)
    for cell in handed.all():
        expect(cell).not_to_have_text("—")
    assert len(watch.requests) >= 3 and watch.page_did_not_reload()
    assert all(r.method == "POST" for r in watch.requests)

    db.session.rollback()  # a new transaction sees what the server committed
    batch = db.session.query(HandoverBatch).one()
    assert batch.status == "signed"
    assert sorted((i.originals, i.copies) for i in batch.items) == [(1, 2), (2, 3)]
    assert all(s.handed_over_at == batch.signed_at for s in db.session.query(Shipment))

    href = page.get_by_test_id("print-link").get_attribute("href")
    pdf = page.request.get(href)
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    db.session.rollback()  # a new transaction sees what the server committed
    assert (
        db.session.query(AuditEvent).filter_by(action="handover.print", user_id=user.id).count()
        == 1
    )
