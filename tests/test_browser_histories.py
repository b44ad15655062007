"""The audit log at 1366×768: its "Thay đổi" column shows every change whole (nothing cut off,
no scrolling sideways), however long the values."""

from datetime import datetime, timedelta

import pytest

from extensions import db
from tests import factories as f
from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def test_the_audit_logs_changes_column_is_not_cut_off(page):
    admin = f.user("admin")
    shipments = [f"EB{n:09d}VN" for n in range(100000000, 100000040)]
    at = datetime(2024, 3, 5, 2, 0)
    f.audit_event(
        "handover.sign",
        at,
        admin,
        "handover_batch",
        1,
        old={"status": "draft"},
        new={"status": "signed", "number": 1, "year": 2024, "shipments": shipments},
    )
    f.audit_event(
        "dossier.import",
        at + timedelta(hours=1),
        admin,
        "import",
        "x",
        new={
            "file": "mot-cua-" + "rat-dai-" * 12 + ".xlsx",
            "sha256": "ab" * 32,
            "rows": 44865,
            "created": 44865,
            "updated": 0,
            "unchanged": 0,
            "warnings": 0,
        },
    )
    db.session.commit()
    page.set_viewport_size({"width": 1366, "height": 768})
    browser_login(page, admin)
    page.goto("/admin/audit")
    cells = page.locator("td.audit-changes")
    assert cells.count() >= 2
    # the page never scrolls sideways, and no cell holds more than it shows
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    clipped = page.evaluate("""() => [...document.querySelectorAll('#audit-results td, #audit-results th')]
        .filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.textContent.trim().slice(0, 60))""")
    assert clipped == []
    right = page.evaluate(
        "document.querySelector('#audit-results table').getBoundingClientRect().right"
    )
    assert right <= 1366
    assert "EB100000039VN" in " ".join(c.inner_text() for c in cells.all())
