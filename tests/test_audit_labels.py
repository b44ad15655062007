"""Every audit action the application records has a label in both languages: the audit log shows
it with the raw code beside it (as a tooltip) and still filters by the code."""

import html
import re
from datetime import datetime

import pytest
from sqlalchemy import select

from extensions import db
from models import AuditEvent
from tests import factories as f
from tests.test_histories import ACTIONS, record_every_action
from utils.labels import ACTION_LABELS


def shown_label(client, code):
    """The label the audit log shows for the events of ``code`` (filtered by it)."""
    r = client.get("/admin/audit", query_string={"action": code}, headers={"HX-Request": "true"})
    assert r.status_code == 200, code
    cell = rf'<td data-action="{re.escape(code)}"><span title="{re.escape(code)}">([^<]*)</span>'
    labels = {html.unescape(label).strip() for label in re.findall(cell, r.text)}
    assert len(labels) == 1, (code, labels)
    return labels.pop()


@pytest.mark.slow  # drives every audited service, a brief's PDF included
def test_every_recorded_action_shows_a_label_in_both_languages(client):
    record_every_action(client)  # logged in as an administrator
    recorded = set(db.session.scalars(select(AuditEvent.action).distinct()))
    assert recorded == set(ACTIONS)
    vietnamese = {code: shown_label(client, code) for code in ACTIONS}
    client.post("/language", data={"lang": "en"})
    english = {code: shown_label(client, code) for code in ACTIONS}
    for code in ACTIONS:
        assert vietnamese[code] not in ("", code) and english[code] not in ("", code), code
        assert vietnamese[code] != english[code], code
    assert vietnamese["shipment.create"] == "Ghi sổ bưu gửi"
    assert english["shipment.create"] == "Shipment logged"


def test_no_label_for_an_action_nothing_records(app):
    assert set(ACTION_LABELS) == set(ACTIONS)


def test_the_audit_log_shows_labels_keeps_the_code_out_of_sight_and_filters(client, auth):
    at = datetime(2024, 3, 5, 2, 0)
    f.audit_event("shipment.create", at, object_type="shipment", object_id=1)
    f.audit_event("handover.sign", at, object_type="handover_batch", object_id=2)
    auth.login("admin")
    page = client.get("/admin/audit").text
    assert "Ghi sổ bưu gửi" in page and 'title="shipment.create"' in page
    assert ">shipment.create<" not in page  # the code only as a tooltip, never as text
    assert "Ký biên bản giao nhận" in page
    # the filter offers the labels (object types too) and filters by the code
    assert '<option value="shipment.create">Ghi sổ bưu gửi</option>' in page
    assert '<option value="handover_batch">Biên bản giao nhận</option>' in page
    r = client.get(
        "/admin/audit", query_string={"action": "handover.sign"}, headers={"HX-Request": "true"}
    )
    assert "<html" not in r.text
    assert 'data-action="handover.sign"' in r.text and 'data-action="shipment.create"' not in r.text
