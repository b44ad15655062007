"""A person logs in, switches language, changes the password and logs out, in a real browser."""

import pytest
from playwright.sync_api import expect

from extensions import db
from tests import factories as f
from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def test_login_language_password_logout(page):
    user = f.user("leader")
    db.session.commit()
    browser_login(page, user)
    assert page.locator("html").get_attribute("lang") == "vi"
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("link", name="Password").click()
    page.fill("input[name=current]", f.PASSWORD)
    page.fill("input[name=new]", "brand-new-password-9")
    page.fill("input[name=confirm]", "brand-new-password-9")
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_text("Your password has been changed.")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")
    expect(page.get_by_text("You have logged out.")).to_be_visible()
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "brand-new-password-9")
    page.click("button[type=submit]:not([name=lang])")
    page.wait_for_url(lambda url: "/login" not in url)
    expect(page.locator("html")).to_have_attribute("lang", "en")
