"""A session that ends while a person works, in a real browser: a form sent after the end is
offered again after logging in, and an htmx search sends the whole page to the login page."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select, update

from extensions import db
from models import LoginSession, Meeting, utcnow
from tests import factories as f
from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def _end_sessions_of(user):
    db.session.rollback()  # a fresh transaction: the server has written since this one read
    db.session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id)
        .values(last_seen_at=utcnow() - timedelta(hours=2))
    )
    db.session.commit()


def _log_in_again(page, user):
    page.wait_for_url("**/login?**")
    expect(page.get_by_text("60 phút không thao tác")).to_be_visible()
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", f.PASSWORD)
    page.click("button[type=submit]:not([name=lang])")


def test_a_form_sent_after_the_session_ended_is_offered_again(page):
    user = f.user("centre")
    db.session.commit()
    browser_login(page, user)
    page.goto("/meetings/new")
    page.fill("input[name=chair]", "Chủ tịch UBND phường Hồng Gai")
    page.fill("textarea[name=conclusions]", "Đưa 12 thủ tục lên BCCI")
    _end_sessions_of(user)
    page.click("#meeting-form button[type=submit]")
    _log_in_again(page, user)
    page.wait_for_url("**/login/kept?**")
    expect(page.get_by_text("Chủ tịch UBND phường Hồng Gai")).to_be_visible()
    page.get_by_role("button", name="Gửi lại").click()
    page.wait_for_url(re.compile(r"/meetings/\d+$"))
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Meeting)) == 1


def test_an_htmx_search_after_the_end_goes_to_the_login_and_back(page):
    user = f.user("centre")
    f.procedure()
    db.session.commit()
    browser_login(page, user)
    page.goto("/procedures")
    _end_sessions_of(user)
    page.fill("#procedure-filters input[name=q]", "khai sinh")
    _log_in_again(page, user)
    page.wait_for_url("**/procedures**")
    expect(page.locator("#procedure-table")).to_be_visible()
