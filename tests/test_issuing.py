"""Issuing and withdrawing a brief: who may, the confirmation that names the number, the number
taken meanwhile, the refusal under the built-in illustrative rubric, and withdrawal (thu hồi).
"""

import hashlib
from datetime import date

import pytest
from sqlalchemy import func, select

from extensions import db
from models import AuditEvent, Brief, RubricVersion
from tests import factories as f
from tests.pdf import pdf_text as pdftotext
from tests.test_briefs import _small_catalogue, own_rubric
from utils import figures
from utils.dates import Period
from utils.errors import Refusal

PERIOD = Period(date(2024, 1, 1), date(2024, 3, 31))
QUERY = {"from": "2024-01-01", "to": "2024-03-31"}
FORM = {"start": "2024-01-01", "end": "2024-03-31"}
ILLUSTRATION_NOTE = "thang điểm minh họa có sẵn của phần mềm"


def _briefs():
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Brief))


def _issue(today=None):
    from blueprints.briefs import services

    brief = services.issue_brief(PERIOD, today=today)
    db.session.commit()
    return brief


# --- Who issues -----------------------------------------------------------------------------------


def test_centre_staff_prepare_and_download_drafts_but_do_not_issue(client, auth):
    _small_catalogue()
    own_rubric()
    auth.login("centre")
    preview = client.get("/briefs/preview", query_string=QUERY)
    assert preview.status_code == 200 and "DỰ THẢO" in preview.text
    assert "/briefs/issue" not in preview.text
    assert "Lãnh đạo và quản trị viên ban hành báo cáo" in preview.text
    assert client.get("/briefs/draft.pdf", query_string=QUERY).status_code == 200
    assert client.get("/briefs/issue", query_string=QUERY).status_code == 403
    assert client.post("/briefs/issue", data=dict(FORM, number="1")).status_code == 403
    assert _briefs() == 0


@pytest.mark.parametrize("role", ["leader", "admin"])
def test_leaders_and_administrators_issue(client, auth, role):
    _small_catalogue()
    own_rubric()
    auth.login(role)
    assert (
        'href="/briefs/issue?from=2024-01-01&amp;to=2024-03-31"'
        in client.get("/briefs/preview", query_string=QUERY).text
    )
    r = client.post("/briefs/issue", data=dict(FORM, number="1"))
    assert r.status_code == 303 and _briefs() == 1


# --- The confirmation -----------------------------------------------------------------------------


@pytest.mark.parametrize("hx", [False, True])
def test_confirmation_names_the_number_period_and_rubric_and_changes_nothing(client, auth, hx):
    _small_catalogue()
    version = own_rubric()
    _issue()  # 01 is taken: this one would be 02
    auth.login("leader")
    r = client.get(
        "/briefs/issue", query_string=QUERY, headers={"HX-Request": "true"} if hx else {}
    )
    assert r.status_code == 200
    assert ("<html" in r.text) is (not hx)
    assert "Số: 02/BC-TTHCC" in r.text
    assert "01/01/2024 – 31/03/2024" in r.text
    assert f"Thang điểm năm 2024, phiên bản {version.version}" in r.text
    assert "Không thể hoàn tác" in r.text
    assert 'name="number" value="2"' in r.text
    assert _briefs() == 1


def test_a_number_taken_meanwhile_is_told_and_asked_again(client, auth):
    _small_catalogue()
    own_rubric()
    auth.login("leader")
    assert "Số: 01/BC-TTHCC" in client.get("/briefs/issue", query_string=QUERY).text
    _issue()  # someone else issues first: 01 is gone
    r = client.post("/briefs/issue", data=dict(FORM, number="1"))
    assert r.status_code == 409
    assert "Số 01 vừa được cấp cho một báo cáo khác" in r.text
    assert "Số: 02/BC-TTHCC" in r.text and 'name="number" value="2"' in r.text
    assert _briefs() == 1  # nothing issued by the refused confirmation
    r = client.post("/briefs/issue", data=dict(FORM, number="2"))
    assert r.status_code == 303
    assert sorted(db.session.scalars(select(Brief.number))) == [1, 2]


def test_issuing_without_a_confirmed_number_is_refused(client, auth):
    _small_catalogue()
    own_rubric()
    auth.login("leader")
    r = client.post("/briefs/issue", data=FORM)
    assert r.status_code == 422
    assert "Hãy xác nhận số báo cáo sẽ nhận." in r.text
    assert _briefs() == 0


# --- The illustrative rubric ----------------------------------------------------------------------


@pytest.mark.parametrize("stored", [False, True])
def test_issuing_is_refused_under_the_illustration(client, auth, stored):
    _small_catalogue()
    if stored:  # an illustration stored as a version (as older demos did) is refused all the same
        db.session.add(
            RubricVersion(
                year=2024, version=1, criteria=figures.DEFAULT_RUBRIC, is_illustration=True
            )
        )
        db.session.commit()
    auth.login("admin")
    confirm = client.get("/briefs/issue", query_string=QUERY)
    assert confirm.status_code == 200
    assert "thang điểm minh họa có sẵn" in confirm.text and 'href="/rubric/2024"' in confirm.text
    assert 'name="number"' not in confirm.text
    r = client.post("/briefs/issue", data=dict(FORM, number="1"))
    assert r.status_code == 409 and 'href="/rubric/2024"' in r.text
    assert _briefs() == 0
    # The draft keeps its note.
    assert ILLUSTRATION_NOTE in client.get("/briefs/preview", query_string=QUERY).text


def test_the_service_refuses_the_illustration_too(app):
    from blueprints.briefs import services

    _small_catalogue()
    with pytest.raises(Refusal, match="thang điểm minh họa") as refusal:
        services.issue_brief(PERIOD)
    assert refusal.value.status == 409
    assert _briefs() == 0


@pytest.mark.pdf
def test_an_issued_brief_never_carries_the_illustration_note(app):
    from blueprints.briefs import services

    _small_catalogue()
    draft = " ".join(pdftotext(services.draft_pdf(PERIOD)).split())
    assert ILLUSTRATION_NOTE in draft
    own_rubric()
    issued = " ".join(pdftotext(_issue().pdf).split())
    assert ILLUSTRATION_NOTE not in issued
    assert "Điểm được tính theo thang điểm năm 2024 (phiên bản" in issued


# --- Withdrawal -----------------------------------------------------------------------------------


def test_withdrawal_keeps_number_and_file_marks_them_and_the_replacement_takes_the_next(
    client, auth
):
    _small_catalogue()
    own_rubric()
    brief = _issue()
    original = bytes(brief.pdf)
    user = auth.login("leader")
    page = client.get(f"/briefs/{brief.id}/withdraw")
    assert page.status_code == 200 and "Thu hồi báo cáo số 01/BC-TTHCC" in page.text
    # A reason is required.
    r = client.post(f"/briefs/{brief.id}/withdraw", data={"reason": "  "})
    assert r.status_code == 422 and "Hãy nêu lý do thu hồi báo cáo." in r.text
    db.session.expire_all()
    assert db.session.get(Brief, brief.id).withdrawn_at is None
    r = client.post(f"/briefs/{brief.id}/withdraw", data={"reason": "Sai kỳ báo cáo"})
    assert r.status_code == 303
    db.session.expire_all()
    withdrawn = db.session.get(Brief, brief.id)
    assert withdrawn.withdrawn and withdrawn.withdraw_reason == "Sai kỳ báo cáo"
    assert withdrawn.withdrawn_by_id == user.id and withdrawn.number == 1
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "brief.withdraw")
    ).one()
    assert event.user_id == user.id and event.new_values["reason"] == "Sai kỳ báo cáo"
    # Listed as withdrawn, with its reason; downloaded byte for byte, its name saying so.
    listing = client.get("/briefs").text
    row = listing[listing.index(f'data-brief="{brief.id}"') :]
    row = row[: row.index("</tr>")]
    assert "Đã thu hồi" in row and "Sai kỳ báo cáo" in row and "Tải PDF (đã thu hồi)" in row
    download = client.get(f"/briefs/{brief.id}.pdf")
    assert download.status_code == 200 and download.data == original
    assert hashlib.sha256(download.data).hexdigest() == withdrawn.sha256
    assert "da-thu-hoi" in download.headers["Content-Disposition"]
    assert download.headers["X-Brief-Status"] == "withdrawn"
    # Withdrawn twice: told, nothing changes.
    r = client.post(f"/briefs/{brief.id}/withdraw", data={"reason": "Lần nữa"})
    assert r.status_code == 409 and "Báo cáo này đã được thu hồi." in r.text
    # The replacement takes the next number, never the withdrawn one.
    assert "Số: 02/BC-TTHCC" in client.get("/briefs/issue", query_string=QUERY).text
    assert client.post("/briefs/issue", data=dict(FORM, number="2")).status_code == 303
    assert sorted(db.session.scalars(select(Brief.number))) == [1, 2]


def test_centre_staff_cannot_withdraw(client, auth):
    _small_catalogue()
    own_rubric()
    brief = _issue()
    auth.login("centre")
    assert client.post(f"/briefs/{brief.id}/withdraw", data={"reason": "x"}).status_code == 403
    assert "/withdraw" not in client.get("/briefs").text
    db.session.expire_all()
    assert not db.session.get(Brief, brief.id).withdrawn


def test_the_service_refuses_a_second_withdrawal(app):
    from blueprints.briefs import services

    _small_catalogue()
    own_rubric()
    brief = _issue()
    services.withdraw_brief(brief, "Nhầm số liệu")
    db.session.commit()
    with pytest.raises(Refusal, match="đã được thu hồi") as refusal:
        services.withdraw_brief(brief, "Lần nữa")
    assert (refusal.value.status, refusal.value.field) == (409, "reason")


# --- The demo -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_demo_brief_can_be_issued(demo_app):
    """The demo saves its rubric as the organisation's own version: its brief is issued."""
    from blueprints.briefs import services
    from utils import demo

    plan = services.issue_plan(Period(demo.PERIOD_START, demo.PERIOD_END))
    assert plan.refusal is None and not plan.rubric.is_illustration
    assert plan.label == "01/BC-TTHCC"
    summary = figures.summary(Period(demo.PERIOD_START, demo.PERIOD_END))
    assert [c.as_json()["points"] for c in summary.criteria] == ["0.00", "0.00", "0.00"]
    f.user("leader")  # a second user does not change the plan
    assert services.issue_plan(Period(demo.PERIOD_START, demo.PERIOD_END)).number == 1
