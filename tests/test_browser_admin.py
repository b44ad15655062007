"""An administrator sets up a department and its user in a real browser; that user sees only the
menu their role allows. htmx does the inline work (checked: HX-Request sent, no page reload)."""

import re
from urllib.parse import urlsplit

import pytest
from flask import url_for
from playwright.sync_api import expect

from extensions import db
from tests import factories as f
from tests.conftest import HtmxWatch, browser_login
from utils.navigation import NAV

pytestmark = pytest.mark.browser


def menu_hrefs(page):
    return page.locator("header nav a.nav-link").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )


def test_admin_creates_a_department_user_whose_menu_follows_the_role(page, app):
    admin = f.user("admin")
    db.session.commit()
    browser_login(page, admin)

    # A new department, added and renamed in place by htmx.
    page.goto("/admin/departments")
    watch = HtmxWatch(page)
    page.fill("input[name=code]", "tckh")
    page.fill("#departments form input[name=name]", "Phòng Tài chính")
    page.get_by_role("button", name="Thêm phòng, ban").click()
    row = page.locator("tr[data-testid=department-row]", has_text="TCKH")
    expect(row).to_contain_text("Phòng Tài chính")
    row.get_by_role("link", name="Đổi tên").click()
    edit = page.locator("tr[data-testid=department-edit-row]")
    edit.locator("input[name=name]").fill("Phòng Tài chính – Kế hoạch")
    edit.get_by_role("button", name="Lưu").click()
    expect(page.locator("tr[data-testid=department-row]", has_text="TCKH")).to_contain_text(
        "Phòng Tài chính – Kế hoạch"
    )
    posted = [(r.method, urlsplit(r.url).path) for r in watch.requests]
    assert ("POST", "/admin/departments/new") in posted
    assert any(m == "GET" and re.fullmatch(r"/admin/departments/\d+/edit", u) for m, u in posted)
    assert any(m == "POST" and re.fullmatch(r"/admin/departments/\d+/edit", u) for m, u in posted)
    assert watch.page_did_not_reload()

    # A user of that department, through the plain form (it works without JavaScript).
    page.goto("/admin/users/new")
    page.fill("input[name=username]", "ke.toan")
    page.fill("input[name=full_name]", "Lê Kế Toán")
    page.select_option("select[name=role]", "department")
    page.select_option("select[name=department]", "TCKH")
    page.fill("input[name=password]", "mat-khau-ban-dau-1")
    page.fill("input[name=confirm]", "mat-khau-ban-dau-1")
    page.get_by_role("button", name="Tạo người dùng").click()
    page.wait_for_url("**/admin/users")
    expect(page.get_by_text("Đã tạo người dùng ke.toan.")).to_be_visible()
    expect(page.locator("tr[data-testid=user-row]", has_text="ke.toan")).to_contain_text("TCKH")
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url("**/login")

    # The new user logs in: the menu holds exactly what the department role may open.
    page.fill("input[name=username]", "ke.toan")
    page.fill("input[name=password]", "mat-khau-ban-dau-1")
    page.click("button[type=submit]:not([name=lang])")
    page.wait_for_url(lambda url: "/login" not in url)
    # the person by name, the department's code with its name
    expect(page.get_by_test_id("whoami")).to_contain_text(
        "Lê Kế Toán · Cán bộ phòng, ban · TCKH – "
    )
    with app.test_request_context():
        allowed = [
            url_for(ep)
            for ep, _, roles in NAV
            if "department" in roles and ep in app.view_functions
        ]
        forbidden = [
            url_for(ep)
            for ep, _, roles in NAV
            if "department" not in roles and ep in app.view_functions
        ]
    assert menu_hrefs(page) == allowed
    assert "/admin/" in forbidden
    page.goto("/admin/")
    expect(page.locator(".error-page")).to_contain_text("403")


def test_audit_log_filters_live_and_user_deactivation_swaps_the_row(page, app):
    admin = f.user("admin")
    clerk = f.user("centre", username="van.thu")
    db.session.commit()
    browser_login(page, admin)
    page.goto("/admin/users")
    watch = HtmxWatch(page)
    row = page.locator("tr[data-testid=user-row]", has_text="van.thu")
    row.get_by_role("button", name="Khóa").click()
    expect(row).to_contain_text("Ngừng hoạt động")
    assert watch.requests and watch.requests[-1].method == "POST"
    assert watch.page_did_not_reload()

    page.goto("/admin/audit")
    watch = HtmxWatch(page)
    expect(page.locator("tr[data-testid=audit-row]")).to_have_count(2)  # login, deactivation
    page.select_option("select[name=action]", "user_deactivate")
    expect(page.locator("tr[data-testid=audit-row]")).to_have_count(1)
    expect(page.locator("tr[data-testid=audit-row]")).to_contain_text(
        f"Người dùng {clerk.full_name}"
    )
    assert watch.requests and "action=user_deactivate" in watch.requests[-1].url
    assert watch.page_did_not_reload()
    assert "action=user_deactivate" in page.url  # the filter is in the address, for back and reload
