"""Logging shipments at the counter in a real browser: htmx checks, saves and resets the form."""
import re
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from models import Dossier, Shipment
from tests import factories as f
from tests.conftest import HtmxWatch, browser_login

pytestmark = pytest.mark.browser


@pytest.fixture()
def counter(app):
    proc = f.procedure(code="1.001108", name="Cấp giấy phép xây dựng", receive=True, ret=True)
    f.dossier(proc, date(2024, 3, 1), code="000.17.22.H56-240301-0001")
    user = f.user("centre")
    db.session.commit()
    return user


def fill_recipient(page):
    page.fill("input[name=recipient_name]", "Nguyễn Văn An")
    page.fill("input[name=address]", "Số 3, phố Cột Đồng Hồ, phường Hồng Gai")
    page.fill("input[name=phone]", "0912345678")
    page.fill("input[name=fee]", "25.000")


def test_malformed_then_valid_tracking_number(page, counter):
    browser_login(page, counter)
    page.goto("/shipments/new")
    watch = HtmxWatch(page)
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
        "href", f"/shipments/{s.id}")


def test_wrong_check_digit_needs_confirmation(page, counter):
    browser_login(page, counter)
    page.goto("/shipments/new")
    watch = HtmxWatch(page)
    page.fill("input[name=tracking_number]", "EB123456789VN")
    expect(page.get_by_test_id("tracking-check-digit")).to_be_visible()
    page.fill("input[name=dossier_code]", "000.17.22.H56-240301-0001")
    fill_recipient(page)
    page.get_by_role("button", name="Lưu và ghi bưu gửi tiếp theo").click()
    expect(page.get_by_test_id("tracking-check-digit")).to_contain_text("Số kiểm tra của số hiệu này không đúng")
    db.session.rollback()
    assert db.session.execute(select(Shipment)).first() is None
    page.check("input[name=confirm_check_digit]")
    page.get_by_role("button", name="Lưu và ghi bưu gửi tiếp theo").click()
    expect(page.get_by_test_id("saved")).to_be_visible()
    assert watch.page_did_not_reload()
    db.session.rollback()  # a fresh read: the server wrote in another connection
    assert db.session.execute(select(Shipment)).scalar_one().check_digit_warning is True


def test_unknown_dossier_is_created_with_the_shipment(page, counter):
    browser_login(page, counter)
    page.goto("/shipments/new")
    watch = HtmxWatch(page)
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
    d = db.session.execute(select(Dossier).where(Dossier.code == "000.17.22.H56-240305-0042")).scalar_one()
    assert (d.receive_channel_src, d.receive_date_src, d.receive_channel) == ("bcci", date(2024, 3, 5), "bcci")
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
    browser_login(page, counter)
    page.goto("/shipments/new")
    watch = HtmxWatch(page)
    page.check("input[name=direction][value=tra_ket_qua]")
    page.fill("input[name=tracking_number]", "EB123456785VN")
    expect(page.get_by_test_id("tracking-duplicate")).to_be_visible()
    page.check("input[name=direction][value=tiep_nhan]")
    expect(page.get_by_test_id("tracking-ok")).to_be_visible()
    assert watch.page_did_not_reload()
