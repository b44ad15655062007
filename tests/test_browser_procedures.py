"""The procedure catalogue in a real browser: active search, inline edit, bulk update, each done by
htmx (requests carry HX-Request and the page never reloads)."""
import re

import pytest
from playwright.sync_api import expect

from extensions import db
from models import Procedure
from tests import factories as f
from tests.conftest import HtmxWatch, browser_login

pytestmark = pytest.mark.browser


def test_active_search_ignores_diacritics_and_pushes_the_url(page):
    user = f.user("leader")
    f.procedure(name="Thay đổi, cải chính hộ tịch")
    f.procedure(name="Đăng ký biến động đất đai")
    db.session.commit()
    browser_login(page, user)
    page.goto("/procedures")
    watch = HtmxWatch(page)
    expect(page.get_by_text("Đăng ký biến động đất đai")).to_be_visible()
    page.fill("#q", "ho tich")
    expect(page.get_by_text("Đăng ký biến động đất đai")).to_have_count(0)
    expect(page.get_by_text("Thay đổi, cải chính hộ tịch")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/procedures\?.*q=ho(%20|\+)tich"))
    page.fill("#q", "DAT DAI")
    expect(page.get_by_text("Đăng ký biến động đất đai")).to_be_visible()
    expect(page.get_by_text("Thay đổi, cải chính hộ tịch")).to_have_count(0)
    assert watch.requests and all("/procedures" in r.url for r in watch.requests)
    assert watch.page_did_not_reload()


def test_inline_edit_with_a_validation_error_then_success(page):
    user = f.user("centre")
    p = f.procedure(name="Cấp giấy phép xây dựng", receive=True, ret=True)
    db.session.commit()
    browser_login(page, user)
    page.goto("/procedures")
    watch = HtmxWatch(page)
    row = page.locator(f"#procedure-{p.id}")
    row.get_by_role("link", name="Sửa").click()
    editing = page.locator(f"tr#procedure-{p.id}.editing")
    expect(editing).to_be_visible()
    editing.locator("select[name=eligible_receive]").select_option("no")
    editing.get_by_role("button", name="Lưu").click()
    expect(editing.locator(".invalid-feedback")).to_contain_text("Nêu lý do")
    expect(editing.locator("select[name=reason_code]")).to_have_class("form-select form-select-sm is-invalid")
    editing.locator("select[name=reason_code]").select_option("originals")
    editing.get_by_role("button", name="Lưu").click()
    expect(page.locator(f"tr#procedure-{p.id}.editing")).to_have_count(0)
    expect(row.locator(".reason")).to_have_text("Phải đối chiếu bản chính")
    db.session.rollback()  # a fresh snapshot: the server committed on its own connection
    saved = db.session.get(Procedure, p.id)
    assert (saved.eligible_receive, saved.eligible_return, saved.reason_code) == (False, True, "originals")
    assert len([r for r in watch.requests if r.method == "POST"]) == 2
    assert watch.page_did_not_reload()


def test_bulk_update_of_selected_rows(page):
    user = f.user("centre")
    a = f.procedure(name="Thủ tục A", receive=True, ret=True)
    b = f.procedure(name="Thủ tục B", receive=True, ret=True)
    c = f.procedure(name="Thủ tục C", receive=True, ret=True)
    db.session.commit()
    browser_login(page, user)
    page.goto("/procedures")
    watch = HtmxWatch(page)
    page.locator(f"#procedure-{a.id} input[name=ids]").check()
    page.locator(f"#procedure-{b.id} input[name=ids]").check()
    page.select_option("#bulk-return", "no")
    page.select_option("#bulk-reason", "result_in_person")
    page.get_by_role("button", name="Áp dụng cho thủ tục đã chọn").click()
    expect(page.get_by_test_id("bulk-summary")).to_contain_text("2 thủ tục đã thay đổi")
    db.session.rollback()  # a fresh snapshot: the server committed on its own connection
    assert [db.session.get(Procedure, p.id).eligible_return for p in (a, b, c)] == [False, False, True]
    assert any(r.method == "POST" and r.url.endswith("/procedures/bulk") for r in watch.requests)
    assert watch.page_did_not_reload()
