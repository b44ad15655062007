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
    expect(editing.locator("select[name=reason_code]")).to_have_class(
        "form-select form-select-sm is-invalid"
    )
    editing.locator("select[name=reason_code]").select_option("originals")
    editing.get_by_role("button", name="Lưu").click()
    expect(page.locator(f"tr#procedure-{p.id}.editing")).to_have_count(0)
    expect(row.locator(".reason")).to_have_text("Phải đối chiếu bản chính")
    db.session.rollback()  # a fresh snapshot: the server committed on its own connection
    saved = db.session.get(Procedure, p.id)
    assert (saved.eligible_receive, saved.eligible_return, saved.reason_code) == (
        False,
        True,
        "originals",
    )
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
    assert [db.session.get(Procedure, p.id).eligible_return for p in (a, b, c)] == [
        False,
        False,
        True,
    ]
    assert any(r.method == "POST" and r.url.endswith("/procedures/bulk") for r in watch.requests)
    assert watch.page_did_not_reload()


@pytest.mark.slow
def test_department_staff_flag_ten_procedures_with_the_keyboard_alone(page):
    """Their own procedures from the menu; for each: Enter on Edit, receive set to No with a
    reason, Enter on Save; the saved row says so and gives the cursor back to its Edit button,
    and three Tabs reach the next row's."""
    own = f.department(code="TP", name="Phòng Tư pháp")
    other = f.department()
    mine = [f.procedure(department_=own, receive=True, ret=True) for _ in range(10)]
    f.procedure(department_=other, receive=True, ret=True)
    user = f.user("department", department_=own)
    db.session.commit()
    browser_login(page, user)
    page.goto("/procedures")
    watch = HtmxWatch(page)
    expect(page.locator("tbody tr")).to_have_count(10)  # their own department only
    first_edit = page.locator(f"#procedure-{mine[0].id} a", has_text="Sửa")
    for _ in range(120):  # Tab through the menu and the filters to the first row's Edit
        if first_edit.evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("Tab")
    expect(first_edit).to_be_focused()
    for i, p in enumerate(mine):
        if i:
            for _ in range(3):  # the next row's checkbox, code, then its Edit button
                page.keyboard.press("Tab")
        expect(page.locator(f"#procedure-{p.id} a", has_text="Sửa")).to_be_focused()
        page.keyboard.press("Enter")
        receive = page.locator(f"#receive-{p.id}")
        expect(receive).to_be_focused()
        watch.settled()
        page.keyboard.press("ArrowDown")  # Có → Không
        page.keyboard.press("Tab")  # return by post: stays Có
        page.keyboard.press("Tab")  # the reason
        page.keyboard.press("ArrowDown")  # the first reason
        page.keyboard.press("Tab")  # details: none
        page.keyboard.press("Tab")  # Save
        page.keyboard.press("Enter")
        row = page.locator(f"tr#procedure-{p.id}")
        expect(row.get_by_test_id("row-saved")).to_be_visible()
        expect(row.locator('td[data-direction="receive"] .reason')).to_have_count(1)
        expect(page.locator("#row-status")).to_contain_text(p.code)
        watch.settled()  # the cursor is back on the row's Edit button; a person tabs on from there
        expect(row.locator("a", has_text="Sửa")).to_be_focused()
    assert watch.page_did_not_reload()
    assert len([r for r in watch.requests if r.method == "POST"]) == 10
    db.session.rollback()  # a fresh snapshot: the server committed on its own connection
    saved = [db.session.get(Procedure, p.id) for p in mine]
    assert all(
        (s.eligible_receive, s.eligible_return, s.reason_code) == (False, True, "in_person")
        for s in saved
    )
