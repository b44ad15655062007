"""The first screen: every leaders' page opens on the organisation's default reporting period.

The period is the organisation's setting when an administrator set one; otherwise 1 January to
the last receive date of the latest year that has dossiers (never an empty current year). The
picker names the preset the period matches, or says "Tùy chọn" (custom range).
"""

import re
from datetime import date

import pytest
from sqlalchemy import select

from extensions import db
from models import AuditEvent, OrgSettings
from tests import factories as f
from utils import periods
from utils.dates import Period, vn_today


def _settings(start=None, end=None):
    settings = db.session.get(OrgSettings, 1) or OrgSettings(id=1)
    settings.default_period_from, settings.default_period_to = start, end
    db.session.add(settings)
    db.session.commit()


def _catalogue():
    """Dossiers only in 2023 and 2024, none this year: a default of "this year" shows nothing.

    In 2024: 3 dossiers of an eligible procedure without postal use (the outreach list) and 2 of
    another, one of them returned by post on 20/02/2024; the last is received on 15/08/2024.
    """
    dept = f.department(name="Phòng Tư pháp")
    field = f.field(name="Tư pháp – Hộ tịch")
    idle = f.procedure(
        name="Chứng thực chữ ký", field_=field, department_=dept, receive=True, ret=True
    )
    posted = f.procedure(
        name="Đăng ký khai sinh", field_=field, department_=dept, receive=True, ret=True
    )
    for day in (date(2024, 2, 1), date(2024, 3, 5), date(2024, 8, 15)):
        f.dossier(idle, day)
    f.dossier(posted, date(2024, 2, 10), returned=date(2024, 2, 20), return_channel="bcci")
    f.dossier(posted, date(2024, 6, 1))
    f.dossier(posted, date(2023, 5, 5))
    db.session.commit()
    return idle, posted


def _shows_date(html, iso):
    """A date field holds ``iso`` (written dd/mm/yyyy, or yyyy-mm-dd in a native date input)."""
    day = date.fromisoformat(iso)
    return f'value="{day:%d/%m/%Y}"' in html or f'value="{iso}"' in html


def _count(html, key):
    match = re.search(rf'data-key="{key}">(?:<a [^>]*>)?([\d.]+)', html)
    assert match, key
    return int(match.group(1).replace(".", ""))


# --- The default period ---------------------------------------------------------------------------


def test_default_period_is_the_current_year_to_date_without_dossiers(app):
    today = date(2026, 11, 26)
    assert periods.default_period(today) == Period(date(2026, 1, 1), today)


def test_default_period_ends_on_the_last_receive_date_of_the_latest_year(app):
    _catalogue()
    assert periods.default_period() == Period(date(2024, 1, 1), date(2024, 8, 15))


def test_the_organisation_setting_wins(app):
    _catalogue()
    _settings(date(2024, 1, 1), date(2024, 3, 31))
    assert periods.default_period() == Period(date(2024, 1, 1), date(2024, 3, 31))


@pytest.mark.parametrize(
    "start, end, preset, label",
    [
        ("2024-01-01", "2024-09-30", "months", "9 tháng đầu năm 2024"),
        ("2024-01-01", "2024-12-31", "year", "Năm 2024"),
        ("2024-01-05", "2024-03-31", "custom", "05/01/2024 – 31/03/2024"),
    ],
)
def test_the_period_is_named_by_the_preset_it_matches(app, start, end, preset, label):
    period = Period(date.fromisoformat(start), date.fromisoformat(end))
    with app.test_request_context("/"):
        choice = periods.match_choice(period, today=date(2026, 11, 26))
        assert (choice.preset, choice.label) == (preset, label)


# --- Every page opens on it ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["leader", "admin", "centre"])
def test_dashboard_opens_on_the_default_period(client, auth, role):
    _catalogue()
    auth.login(role)
    html = client.get("/dashboard").text
    # 1 January to the last receive date of 2024, not the empty current year.
    assert _count(html, "dossiers_received") == 5
    assert _count(html, "results_returned_postal") == 1
    assert 'data-period="2024-01-01/2024-08-15"' in html
    # No preset names 01/01–15/08/2024: the picker says so, and the dates are shown once.
    assert re.search(r'<option value="custom" selected>Tùy chọn</option>', html)
    assert html.count("01/01/2024 – 15/08/2024") == 1


def test_dashboard_names_the_preset_of_the_organisation_period(client, auth):
    _catalogue()
    _settings(date(2024, 1, 1), date(2024, 3, 31))
    auth.login("leader")
    html = client.get("/dashboard").text
    assert _count(html, "dossiers_received") == 3
    assert '<option value="months" selected>' in html
    assert re.search(r'<option value="3" selected>3</option>', html)
    assert "3 tháng đầu năm 2024" in html and "Tùy chọn</option>" in html
    assert '<option value="custom" selected>' not in html
    # The brief for the same period, its dates filled in.
    link = re.search(r'href="([^"]*/briefs/preview[^"]*)"', html).group(1).replace("&amp;", "&")
    assert "from=2024-01-01" in link and "to=2024-03-31" in link


def test_choosing_custom_in_the_picker_keeps_the_dates(client, auth):
    _catalogue()
    auth.login("leader")
    r = client.get(
        "/dashboard",
        query_string={
            "preset": "custom",
            "months": "9",
            "year": "2024",
            "from": "2024-02-01",
            "to": "2024-02-29",
        },
    )
    assert r.status_code == 200
    assert 'data-period="2024-02-01/2024-02-29"' in r.text


def test_home_page_and_its_panels_open_on_the_default_period(client, auth):
    idle, _posted = _catalogue()
    _settings(date(2024, 1, 1), date(2024, 3, 31))
    auth.login("department", department=idle.department)
    html = client.get("/").text
    # The criteria cards: 3 dossiers received from January to March 2024, 1 returned by post.
    card = html[html.index('data-criterion="C3"') :]
    card = re.sub(r"<[^>]+>", "", card[: card.index("</section>")])
    assert "1 / 3" in card
    assert "3 tháng đầu năm 2024 (01/01/2024 – 31/03/2024)" in html
    assert html.count("31/03/2024") == 1  # the panels do not repeat it
    # The department's targets panel links to the dashboard of the same period.
    assert "/dashboard?from=2024-01-01&amp;to=2024-03-31#targets" in html


def test_procedure_list_and_outreach_open_on_the_default_period(client, auth):
    idle, posted = _catalogue()
    auth.login("centre")
    html = client.get("/procedures").text
    assert _shows_date(html, "2024-01-01") and _shows_date(html, "2024-08-15")
    row = html[html.index("Chứng thực chữ ký") :]
    assert re.search(r'<td class="num">(<a [^>]*>)?3(</a>)?</td>', row[:2000])
    outreach = client.get("/procedures/outreach").text
    assert "Chứng thực chữ ký" in outreach and "Đăng ký khai sinh" not in outreach
    assert "từ 01/01/2024 đến 15/08/2024" in outreach


def test_brief_pages_open_on_the_default_period(client, auth):
    _catalogue()
    _settings(date(2024, 1, 1), date(2024, 6, 30))
    auth.login("leader")
    listing = client.get("/briefs").text
    assert _shows_date(listing, "2024-01-01") and _shows_date(listing, "2024-06-30")
    preview = client.get("/briefs/preview").text
    assert "từ ngày 01/01/2024 đến ngày 30/06/2024" in preview


def test_api_summary_still_needs_both_dates(client, auth):
    auth.login("leader")
    assert client.get("/api/summary").status_code == 400


# --- The setting ----------------------------------------------------------------------------------


def _settings_form(**extra):
    """The settings form: its two required fields (the others left blank) and ``extra``."""
    return {"doc_prefix": "TTHCC", "retention_months": "24", **extra}


def test_administrator_sets_the_default_period_and_it_is_audited(client, auth):
    _catalogue()
    auth.login("admin")
    r = client.post(
        "/admin/settings",
        data=_settings_form(default_period_from="2024-01-01", default_period_to="2024-06-30"),
    )
    assert r.status_code == 303
    settings = db.session.get(OrgSettings, 1)
    db.session.refresh(settings)
    assert (settings.default_period_from, settings.default_period_to) == (
        date(2024, 1, 1),
        date(2024, 6, 30),
    )
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "settings_update")
    ).one()
    assert event.new_values["default_period_to"] == "2024-06-30"
    assert 'data-period="2024-01-01/2024-06-30"' in client.get("/dashboard").text
    # Cleared: back to the dossiers' latest year.
    r = client.post("/admin/settings", data=_settings_form())
    assert r.status_code == 303
    assert 'data-period="2024-01-01/2024-08-15"' in client.get("/dashboard").text


@pytest.mark.parametrize(
    "start, end, message",
    [
        ("2024-01-01", "", "Nhập cả ngày đầu và ngày cuối của kỳ mặc định, hoặc để trống cả hai."),
        ("2024-06-30", "2024-01-01", "Ngày đầu kỳ sau ngày cuối kỳ."),
    ],
)
def test_a_half_or_reversed_default_period_is_refused(client, auth, start, end, message):
    auth.login("admin")
    r = client.post(
        "/admin/settings", data=_settings_form(default_period_from=start, default_period_to=end)
    )
    assert r.status_code == 422
    assert message in r.text
    assert db.session.get(OrgSettings, 1) is None


def test_the_default_never_opens_on_a_future_year_without_dossiers(client, auth):
    """The current year has no dossier yet: the dashboard opens on the latest year that has."""
    _catalogue()
    auth.login("leader")
    html = client.get("/dashboard").text
    assert f'data-period="{vn_today().year}-01-01' not in html


# --- The demo -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_leader_sees_the_reference_case_on_logging_in_to_the_demo(demo_app):
    from tests.conftest import Auth

    client = demo_app.test_client()
    Auth(client).login("leader")
    for url in ("/", "/dashboard"):
        html = client.get(url).text
        text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
        assert "9 tháng đầu năm 2024" in text and "01/01/2024 – 30/09/2024" in text, url
        for figure in ("9,70%", "29 / 299", "0 / 44.865", "120 / 44.865"):
            assert figure in text, (url, figure)
    assert _count(html, "dossiers_received") == 44865
