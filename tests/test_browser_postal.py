"""Logging shipments at the counter in a real browser: htmx checks, saves and resets the form."""

import re
import time
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from models import Dossier, Shipment
from tests import factories as f
from tests.conftest import HtmxWatch, artifact_path, browser_login

pytestmark = pytest.mark.browser


@pytest.fixture()
def counter(app):
    proc = f.procedure(code="1.001108", name="Cấp giấy phép xây dựng", receive=True, ret=True)
    f.dossier(proc, date(2024, 3, 1), code="000.17.22.H56-240301-0001")
    user = f.user("centre")
    db.session.commit()
    return user


def open_log_form(page, user):
    """Logs ``user`` in and opens the shipment form; returns the watch on its htmx requests."""
    browser_login(page, user)
    page.goto("/shipments/new")
    return HtmxWatch(page)


def fill_recipient(page):
    page.fill("input[name=recipient_name]", "Nguyễn Văn An")
    page.fill("input[name=address]", "Số 3, phố Cột Đồng Hồ, phường Hồng Gai")
    page.fill("input[name=phone]", "0912345678")
    page.fill("input[name=fee]", "25.000")


def test_malformed_then_valid_tracking_number(page, counter):
    watch = open_log_form(page, counter)
    page.check("input[name=direction][value=tra_ket_qua]")
    page.fill("input[name=tracking_number]", "EB1234")
    expect(page.get_by_test_id("tracking-malformed")).to_be_visible()
    page.fill("input[name=tracking_number]", "eb 1234 5678 5vn")
    page.locator("input[name=tracking_number]").blur()
    expect(page.get_by_test_id("tracking-ok")).to_be_visible()
    expect(page.locator("input[name=tracking_number]")).to_have_value("EB123456785VN")
    page.fill("input[name=dossier_code]", "000.17.22.H56-240301-0001")
    expect(page.get_by_test_id("dossier-known")).to_contain_text("Cấp giấy phép xây dựng")
    expect(page.locator("#new-dossier")).to_be_hidden()
    fill_recipient(page)
    page.get_by_role("button", name="Lưu và ghi bưu gửi tiếp theo").click()
    expect(page.get_by_test_id("saved")).to_contain_text("EB123456785VN")
    # The new row is at the top of the list, and the form is empty for the next item.
    expect(page.locator("#recent-rows tr").first).to_contain_text("EB123456785VN")
    expect(page.locator("#recent-rows tr").first).to_contain_text("Nguyễn V. A.")
    expect(page.locator("input[name=tracking_number]")).to_have_value("")
    expect(page.locator("input[name=recipient_name]")).to_have_value("")
    assert watch.page_did_not_reload()
    paths = [re.sub(r"\?.*", "", r.url.split("//", 1)[1].split("/", 1)[1]) for r in watch.requests]
    assert "shipments/check-tracking" in paths and "shipments/lookup-dossier" in paths
    assert "shipments/new" in paths
    db.session.rollback()  # a fresh read: the server wrote in another connection
    [s] = db.session.execute(select(Shipment)).scalars().all()
    assert s.tracking_number == "EB123456785VN" and s.fee == 25000
    # The same number again, in the same direction: refused with a link to the record.
    page.fill("input[name=tracking_number]", "EB123456785VN")
    expect(page.get_by_test_id("tracking-duplicate")).to_be_visible()
    expect(page.get_by_test_id("tracking-duplicate").get_by_role("link")).to_have_attribute(
        "href", f"/shipments/{s.id}"
    )


def test_wrong_check_digit_needs_confirmation(page, counter):
    watch = open_log_form(page, counter)
    page.fill("input[name=tracking_number]", "EB123456789VN")
    expect(page.get_by_test_id("tracking-check-digit")).to_be_visible()
    page.fill("input[name=dossier_code]", "000.17.22.H56-240301-0001")
    fill_recipient(page)
    page.get_by_role("button", name="Lưu và ghi bưu gửi tiếp theo").click()
    expect(page.get_by_test_id("tracking-check-digit")).to_contain_text(
        "Số kiểm tra của số hiệu này không đúng"
    )
    db.session.rollback()
    assert db.session.execute(select(Shipment)).first() is None
    page.check("input[name=confirm_check_digit]")
    page.get_by_role("button", name="Lưu và ghi bưu gửi tiếp theo").click()
    expect(page.get_by_test_id("saved")).to_be_visible()
    assert watch.page_did_not_reload()
    db.session.rollback()  # a fresh read: the server wrote in another connection
    assert db.session.execute(select(Shipment)).scalar_one().check_digit_warning is True


def test_unknown_dossier_is_created_with_the_shipment(page, counter):
    watch = open_log_form(page, counter)
    page.check("input[name=direction][value=tiep_nhan]")
    page.fill("input[name=tracking_number]", "RR473124829VN")
    page.fill("input[name=dossier_code]", "000.17.22.H56-240305-0042")
    expect(page.get_by_test_id("dossier-unknown")).to_be_visible()
    expect(page.locator("#new-dossier")).to_be_visible()
    page.fill("input[name=procedure_code]", "1.001108")
    page.locator("input[name=procedure_code]").blur()
    expect(page.get_by_test_id("procedure-name")).to_have_text("Cấp giấy phép xây dựng")
    page.select_option("select[name=receive_channel]", "bcci")
    page.fill("input[name=receive_date]", "2024-03-05")
    fill_recipient(page)
    page.get_by_role("button", name="Lưu và ghi bưu gửi tiếp theo").click()
    expect(page.get_by_test_id("saved")).to_contain_text("000.17.22.H56-240305-0042")
    assert watch.page_did_not_reload()
    assert any("lookup-dossier" in r.url for r in watch.requests)
    db.session.rollback()  # a fresh read: the server wrote in another connection
    d = f.stored_dossier("000.17.22.H56-240305-0042")
    assert (d.receive_channel_src, d.receive_date_src, d.receive_channel) == (
        "bcci",
        date(2024, 3, 5),
        "bcci",
    )
    assert d.procedure.code == "1.001108" and len(d.shipments) == 1


def test_import_page_shows_upload_progress_and_report(page, counter, tmp_path):
    browser_login(page, counter)
    page.goto("/dossiers/import")
    watch = HtmxWatch(page)
    path = tmp_path / "hs.csv"
    lines = ["ma_ho_so,ma_tthc,ngay_tiep_nhan,kenh_tiep_nhan"]
    lines += [f"000.17.22.H56-240101-{i:04d},1.001108,01/01/2024,truc_tiep" for i in range(2, 3000)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    page.set_input_files("input[name=file]", str(path))
    page.get_by_role("button", name="Nhập tệp").click()
    expect(page.get_by_test_id("import-ok")).to_contain_text("2.998")
    assert page.locator(".upload-progress").evaluate("el => el.value") == 100
    assert watch.page_did_not_reload() and watch.requests


def test_direction_change_rechecks_the_number(page, counter):
    d = db.session.execute(select(Dossier)).scalar_one()
    f.shipment(d, "tra_ket_qua", tracking_number="EB123456785VN")
    db.session.commit()
    watch = open_log_form(page, counter)
    page.check("input[name=direction][value=tra_ket_qua]")
    page.fill("input[name=tracking_number]", "EB123456785VN")
    expect(page.get_by_test_id("tracking-duplicate")).to_be_visible()
    page.check("input[name=direction][value=tiep_nhan]")
    expect(page.get_by_test_id("tracking-ok")).to_be_visible()
    assert watch.page_did_not_reload()


@pytest.mark.slow
def test_ten_items_with_the_keyboard_alone(page, counter):
    """A day's batch at the counter, as a barcode scanner and the keyboard give it: each tracking
    number and dossier code is typed and ends in Enter, which checks it and moves to the next
    field without sending the form; Enter in the fee (the last field) saves; direction, date and
    fee stay for the next item. The seconds per item go to test-artifacts/counter-timing.txt."""
    proc = db.session.execute(select(Dossier)).scalar_one().procedure
    codes = [
        f.dossier(proc, date(2024, 4, 1), code=f"000.17.22.H56-240401-{i:04d}").code
        for i in range(1, 11)
    ]
    db.session.commit()
    numbers = [f.tracking_number("EB", serial=31_000_000 + i) for i in range(10)]
    watch = open_log_form(page, counter)
    posts = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" else None)
    tracking = page.locator("input[name=tracking_number]")
    expect(tracking).to_be_focused()
    started = time.perf_counter()
    for i, (number, code) in enumerate(zip(numbers, codes)):
        page.keyboard.type(number)
        sent = len(posts)
        page.keyboard.press("Enter")
        expect(page.locator("input[name=dossier_code]")).to_be_focused()
        assert len(posts) == sent, "Enter after the tracking number sent the form"
        page.keyboard.type(code)
        page.keyboard.press("Enter")
        expect(page.locator("input[name=recipient_name]")).to_be_focused()
        page.keyboard.type(f"Nguyễn Văn {i}")
        page.keyboard.press("Enter")
        page.keyboard.type("Số 3, Hồng Gai")
        page.keyboard.press("Enter")
        page.keyboard.type("0912345678")
        page.keyboard.press("Enter")
        fee = page.locator("input[name=fee]")
        expect(fee).to_be_focused()
        if i == 0:
            page.keyboard.type("25.000")
        else:
            expect(fee).to_have_value("25.000")  # kept from the previous item
        assert len(posts) == sent, "Enter before the last field sent the form"
        page.keyboard.press("Enter")
        expect(page.get_by_test_id("saved")).to_contain_text(number)
        watch.settled()
        expect(tracking).to_be_focused()
        expect(tracking).to_have_value("")
        expect(page.locator("input[name=direction][value=tra_ket_qua]")).to_be_checked()
    seconds = time.perf_counter() - started
    expect(page.locator("#recent-rows tr").first).to_contain_text(numbers[-1])
    assert watch.page_did_not_reload() and len(posts) == 10
    db.session.rollback()  # a fresh read: the server wrote in another connection
    logged = db.session.execute(select(Shipment.tracking_number, Shipment.fee)).all()
    assert sorted(logged) == sorted((n, 25000) for n in numbers)
    with open(artifact_path("counter-timing.txt"), "w", encoding="utf-8") as out:
        out.write(
            f"10 items logged with the keyboard alone in {seconds:.1f} s: "
            f"{seconds / 10:.2f} s per item (headless chromium, the test's own server)\n"
        )
