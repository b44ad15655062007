"""In a real browser: a leader issues a brief from its preview. The confirmation opens in place
(htmx) naming the number; another leader issues first; confirming is refused in place with the
new number, and confirming again issues it."""

import re

import pytest
from playwright.sync_api import expect

from extensions import db
from models import Brief
from tests import factories as f
from tests.conftest import HtmxWatch, browser_login
from tests.test_briefs import _small_catalogue, own_rubric
from tests.test_issuing import PERIOD

pytestmark = pytest.mark.browser


def test_issue_confirmation_and_a_number_taken_meanwhile(page, live_server):
    from blueprints.briefs import services

    _small_catalogue()
    own_rubric()
    leader = f.user("leader")
    db.session.commit()

    browser_login(page, leader)
    page.goto("/briefs/preview?from=2024-01-01&to=2024-03-31")
    watch = HtmxWatch(page)
    page.get_by_role("link", name="Ban hành báo cáo này").click()
    card = page.locator("#issue-confirm")
    expect(card.locator(".issue-number")).to_have_text("Số: 01/BC-TTHCC")
    expect(card).to_contain_text("01/01/2024 – 31/03/2024")
    expect(card).to_contain_text("Không thể hoàn tác")
    assert watch.page_did_not_reload() and watch.requests
    assert db.session.scalar(db.select(db.func.count()).select_from(Brief)) == 0
    db.session.commit()  # end the read, so this session may write after the server has

    # Another leader issues first: 01 is taken.
    services.issue_brief(PERIOD)
    db.session.commit()

    card.get_by_role("button", name="Ban hành với số 01/BC-TTHCC").click()
    expect(card.locator(".issue-error")).to_contain_text("Số 01 vừa được cấp cho một báo cáo khác")
    expect(card.locator(".issue-number")).to_have_text("Số: 02/BC-TTHCC")
    assert watch.page_did_not_reload()
    card.get_by_role("button", name="Ban hành với số 02/BC-TTHCC").click()
    expect(page).to_have_url(re.compile(r"/briefs\?from=2024-01-01&to=2024-03-31$"))
    expect(page.locator("#issued-briefs")).to_contain_text("02/BC-TTHCC")
    db.session.expire_all()
    assert sorted(db.session.scalars(db.select(Brief.number))) == [1, 2]
