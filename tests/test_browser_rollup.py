"""The province's roll-up in a real browser: a province-wide leader opens it, sorts it by a column
(an htmx swap that keeps the page and pushes the URL), drills into one unit's dashboard and comes
back; a leader bound to a unit never sees the unit picker."""

import pytest
from playwright.sync_api import expect

from extensions import db
from tests import factories as f
from tests.conftest import HtmxWatch, browser_login, local_page
from tests.test_unit_figures import _several_units_dataset
from utils import figures
from utils.dates import Period

pytestmark = pytest.mark.browser

ROLLUP = "/dashboard/units?preset=months&year=2024&months=9"
RANKED = "table.rollup-table tbody tr[data-unit]:not([data-unit=province])"


def _ranked(page):
    return page.locator(RANKED).evaluate_all("rows => rows.map(r => r.dataset.unit)")


def test_a_province_leader_sorts_the_rollup_drills_into_a_unit_and_comes_back(
    browser, live_server, app
):
    _rng, units, _procs = _several_units_dataset(400, seed=12)
    province = f.user("leader", province_wide=True)
    bound = f.user("leader", unit_id=units[1].id)
    db.session.commit()
    rollup = figures.rollup(_nine_months())
    worst_first = ["TINH"] + [row.unit.code for row in rollup.communes]
    by_code = ["TINH"] + sorted(row.unit.code for row in rollup.communes)
    by_code_desc = ["TINH"] + sorted((row.unit.code for row in rollup.communes), reverse=True)
    assert worst_first != by_code_desc  # the sorts below must change the order they check

    with local_page(browser, live_server, locale="vi-VN") as page:
        browser_login(page, province)
        page.goto(ROLLUP)
        assert _ranked(page) == worst_first
        watch = HtmxWatch(page)
        # The outreach list across units comes once the ranking is shown.
        expect(page.locator("table.rollup-outreach tbody tr").first).to_be_visible()
        outreach = _outreach_units(page)
        assert outreach == [o.unit.code for o in figures.units_outreach(_nine_months())]
        heading = page.locator("table.rollup-table thead").get_by_role(
            "link", name="Mã", exact=True
        )
        heading.click()
        page.wait_for_url("**sort=code&dir=asc**")
        watch.settled()
        assert _ranked(page) == by_code
        heading.click()  # again: the other way
        page.wait_for_url("**sort=code&dir=desc**")
        watch.settled()
        assert _ranked(page) == by_code_desc
        sorts = [r for r in watch.requests if "/dashboard/units/outreach" not in r.url]
        assert watch.page_did_not_reload() and len(sorts) == 2
        # each new ranking brings the outreach list again (the same: a sort does not change it)
        expect(page.locator("table.rollup-outreach tbody tr").first).to_be_visible()
        assert _outreach_units(page) == outreach
        # drill into one unit: its dashboard, the picker on that unit
        page.locator(f"{RANKED}[data-unit=XA02]").get_by_role("link", name="Xã Hai").click()
        page.wait_for_url("**/dashboard?unit=XA02**")
        expect(page.locator("select#unit-picker")).to_have_value("XA02")
        page.go_back()
        page.wait_for_url("**/dashboard/units?**dir=desc**")
        page.wait_for_selector(RANKED)
        assert _ranked(page) == by_code_desc

    with local_page(browser, live_server, locale="vi-VN") as page:
        browser_login(page, bound)
        page.goto("/dashboard?preset=months&year=2024&months=9")
        expect(page.locator("#dashboard-content")).to_be_visible()
        assert page.locator("select#unit-picker, [data-testid=unit-picker]").count() == 0
        assert page.locator("a[href^='/dashboard/units']").count() == 0
        assert page.goto(ROLLUP).status == 403


def _outreach_units(page):
    return page.locator("table.rollup-outreach tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.unit)"
    )


def _nine_months():
    from datetime import date

    return Period(date(2024, 1, 1), date(2024, 9, 30))
