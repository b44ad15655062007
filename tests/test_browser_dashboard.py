"""In a real browser: a leader changes the dashboard's period and follows a number to its list;
department staff mark their task done from the home page. htmx does the work (no reload)."""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from blueprints.meetings import services
from extensions import db
from models import Task
from tests import factories as f
from tests.conftest import HtmxWatch, browser_login
from utils.dates import vn_today

pytestmark = pytest.mark.browser


def test_period_change_number_to_list_and_task_done(page, live_server):
    dept = f.department("TCKH", "Phòng Tài chính – Kế hoạch")
    fld = f.field("Tài chính – Kế hoạch")
    proc = f.procedure(field_=fld, department_=dept, receive=True, ret=True)
    for day in range(1, 8):
        f.dossier(
            proc,
            date(2024, 5, day),
            returned=date(2024, 5, day + 10),
            return_channel="bcci" if day == 1 else "truc_tiep",
        )
    meeting = f.meeting()
    task = services.add_task(
        meeting,
        department_id=dept.id,
        description="Rà soát thủ tục đủ điều kiện",
        deadline=vn_today() - timedelta(days=2),
    )
    leader = f.user("leader")
    staff = f.user("department", department_=dept)
    db.session.commit()

    browser_login(page, leader)
    page.goto("/dashboard")
    watch = HtmxWatch(page)
    content = page.locator("#dashboard-content")
    page.get_by_role("link", name="9 tháng đầu năm 2024").click()
    expect(page.locator("#dashboard-period")).to_have_text("9 tháng đầu năm 2024")
    expect(page).to_have_url(f"{live_server}/dashboard?preset=months&year=2024&months=9")
    assert watch.page_did_not_reload() and watch.requests
    assert all("/dashboard" in r.url for r in watch.requests)
    expect(content.locator('[data-key="dossiers_received"]')).to_have_text("7")
    # the year selector of the preset form swaps the content too
    page.select_option("#period-preset", "year")
    expect(page.locator("#dashboard-period")).to_have_text("Năm 2024")
    page.select_option("#period-year", "2025")
    expect(page.locator("#dashboard-period")).to_have_text("Năm 2025")
    expect(page).to_have_url(f"{live_server}/dashboard?preset=year&year=2025")
    expect(content.locator('[data-key="dossiers_received"]')).to_have_text("0")
    page.go_back()
    expect(page.locator("#dashboard-period")).to_have_text("Năm 2024")
    assert watch.page_did_not_reload()
    # the overdue task stands out on the dashboard
    expect(content.locator(f"#task-{task.id}.task-overdue")).to_be_visible()
    # a number leads to the list behind it
    content.locator('[data-key="dossiers_received"] a').click()
    page.wait_for_url("**/dossiers?**")
    assert "from=2024-01-01" in page.url and "to=2024-12-31" in page.url

    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url("**/login")
    browser_login(page, staff)
    row = page.locator(f"#task-{task.id}")
    expect(row).to_be_visible()
    assert "task-overdue" in row.get_attribute("class")
    watch = HtmxWatch(page)
    row.locator("select").select_option("done")
    row.locator("input[type=text], input:not([type])").last.fill("Đã rà soát 12 thủ tục")
    row.get_by_role("button", name="Lưu").click()
    updated = page.locator(f"#task-{task.id}")
    expect(updated).to_have_attribute("data-status", "done")
    expect(updated.locator(".task-status")).to_have_text("Đã hoàn thành")
    # Wait for the swap to settle: the old row stays in the page while htmx swaps it out.
    expect(updated).not_to_have_class(re.compile(r"\btask-overdue\b"))
    assert watch.page_did_not_reload()
    assert [r.method for r in watch.requests] == ["POST"]
    assert watch.requests[0].url.endswith(f"/tasks/{task.id}/status")
    db.session.rollback()  # end the test's read transaction to see the server's commit
    saved = db.session.get(Task, task.id)
    assert saved.status == "done" and saved.status_note == "Đã rà soát 12 thủ tục"
