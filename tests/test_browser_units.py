"""Units in a real browser: a province-wide administrator adds a unit on the Units screen and
picks a unit's settings; an administrator bound to a unit never sees the Units menu nor any unit
picker, on any page of the menu."""

import pytest
from playwright.sync_api import expect

from extensions import db
from models import FIRST_UNIT_ID, Unit, User
from tests import factories as f
from tests.conftest import browser_login

pytestmark = pytest.mark.browser

PAGES = (
    "/",
    "/dashboard",
    "/procedures",
    "/dossiers",
    "/shipments",
    "/handover",
    "/meetings",
    "/briefs",
    "/admin/",
    "/admin/users/new",
    "/admin/settings",
    "/publication/postal-procedures",
)
PICKERS = "[data-testid=unit-picker], select[name=unit]"
UNITS_MENU = "a[href^='/admin/units']"


def test_only_a_province_wide_administrator_sees_units(browser, live_server, app):
    from tests.conftest import local_page

    province = f.user("admin", province_wide=True)
    first = f.user("admin")  # bound to the first unit when the second is added
    db.session.commit()
    with local_page(browser, live_server, locale="vi-VN") as page:
        browser_login(page, province)
        page.goto("/admin/")
        page.locator(".admin-tabs").get_by_role("link", name="Đơn vị", exact=True).click()
        page.wait_for_url("**/admin/units")
        form = page.locator("form[data-testid=unit-create]")
        form.locator("input[name=code]").fill("HG-02")
        form.locator("input[name=name]").fill("Trung tâm phường Hồng Gai")
        form.locator("select[name=kind]").select_option("chi_nhanh")
        form.get_by_role("button", name="Thêm đơn vị").click()
        page.wait_for_url(lambda url: url.rstrip("/").split("/")[-1].isdigit())
        expect(page.locator("h1")).to_contain_text("Đơn vị HG-02")
        # two units: the settings page offers the unit picker to the province's administrator
        page.goto("/admin/settings")
        expect(page.locator("[data-testid=unit-picker]")).to_be_visible()
        page.select_option("#settings-unit", "HG-02")
        page.get_by_role("button", name="Xem thông tin của đơn vị").click()
        page.wait_for_url("**/admin/settings?unit=HG-02")
        expect(page.locator("[data-testid=unit-picker] select")).to_have_value("HG-02")
        # an administrator of that unit, through the user form's unit field
        page.goto("/admin/users/new")
        page.fill("input[name=username]", "quan.tri.hg")
        page.select_option("select[name=role]", "admin")
        page.select_option("select[name=unit]", "HG-02")
        page.fill("input[name=password]", "mat-khau-ban-dau-1")
        page.fill("input[name=confirm]", "mat-khau-ban-dau-1")
        page.get_by_role("button", name="Tạo người dùng").click()
        page.wait_for_url("**/admin/users")

    db.session.rollback()  # what the live server committed
    unit = db.session.query(Unit).filter_by(code="HG-02").one()
    second = db.session.query(User).filter_by(username="quan.tri.hg").one()
    db.session.refresh(first)
    assert (first.unit_id, second.unit_id) == (FIRST_UNIT_ID, unit.id)
    for bound, password in ((first, None), (second, "mat-khau-ban-dau-1")):
        with local_page(browser, live_server, locale="vi-VN") as page:
            browser_login(page, bound, password)
            for url in PAGES:
                response = page.goto(url)
                assert response.status == 200, url
                assert page.locator(PICKERS).count() == 0, url
                assert page.locator(UNITS_MENU).count() == 0, url
            response = page.goto("/admin/units")
            assert response.status == 403
