"""The dashboard page and its fragments, the JSON summary API, and the rubric screens."""

import re
from datetime import date
from decimal import Decimal

import pytest

from extensions import db
from models import AuditEvent, RubricVersion
from tests import factories as f
from utils import figures
from utils.dates import Period

REF = "/dashboard?preset=months&year=2024&months=9"


def count_cell(html, key):
    """The text of the counts table's cell for ``key``, links stripped."""
    import re

    match = re.search(rf'data-key="{key}">(.*?)</td>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def _world():
    fin, land = f.field("Tài chính – Kế hoạch"), f.field("Đất đai")
    dept_a, dept_b = (
        f.department("TCKH", "Phòng Tài chính – Kế hoạch"),
        f.department("TNMT", "Phòng Tài nguyên"),
    )
    p1 = f.procedure(field_=fin, department_=dept_a, receive=True, ret=True)
    p2 = f.procedure(field_=land, department_=dept_b, ret=True)
    f.procedure(field_=land, department_=dept_b)
    for day in range(1, 11):
        f.dossier(p1, date(2024, 2, day))
    f.dossier(p1, date(2024, 3, 1), returned=date(2024, 3, 9), return_channel="bcci")
    for day in range(1, 6):
        f.dossier(p2, date(2024, 8, day), "truc_tuyen")
    f.dossier(p2, date(2024, 11, 2))  # outside the reference period
    db.session.commit()
    return dept_a, dept_b, p1, p2


def test_dashboard_page_and_fragment(client, auth):
    _world()
    auth.login("leader")
    page = client.get(REF)
    assert page.status_code == 200
    html = page.text
    assert (
        "<html" in html and 'id="dashboard-content"' in html and 'id="period-preset-form"' in html
    )
    assert "9 tháng đầu năm 2024" in html
    assert "01/01/2024 – 30/09/2024" in html
    # the criteria, counts, targets, chart with its table, both tables, outreach and tasks
    assert count_cell(html, "dossiers_received") == "16"
    for marker in (
        'data-criterion="C1"',
        "<svg",
        "<title id=",
        "<desc id=",
        'class="table table-sm trend-table"',
        'id="breakdown-field"',
        'id="breakdown-department"',
        'data-target-criterion="C3"',
        "outreach-title",
        "tasks-title",
    ):
        assert marker in html, marker
    assert page.headers["Vary"] == "HX-Request" or "HX-Request" in page.headers["Vary"]
    fragment = client.get(REF, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and 'id="period-preset-form"' in fragment.text
    assert 'aria-current="true"' in fragment.text  # the quick link of the period on screen
    assert 'data-criterion="C1"' in fragment.text and "9 tháng đầu năm 2024" in fragment.text
    assert fragment.headers["HX-Push-Url"] == "/dashboard?preset=months&year=2024&months=9"
    assert "HX-Request" in fragment.headers["Vary"]
    # a boosted or history-restore request gets the whole page
    restore = client.get(REF, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.text


def test_dashboard_figures_are_the_figures_module(client, auth):
    _world()
    auth.login("leader")
    html = client.get("/dashboard?preset=custom&from=2024-01-01&to=2024-09-30").text
    summary = figures.summary(Period(date(2024, 1, 1), date(2024, 9, 30)))
    # 1 result returned by post of 16 dossiers received: 6,25%
    assert summary.criteria[2].percent is not None and "6,25%" in html
    assert count_cell(html, "results_returned_postal") == "1"
    # C3 reached 5% (0,50 points): the card says which band and what the next one needs
    assert "Mức đã đạt: từ 5% được 0,50 điểm." in html
    assert "Cần thêm 1 hồ sơ trả kết quả qua BCCI để đạt 1,00 điểm." in html


@pytest.mark.parametrize(
    "query",
    [
        "preset=weekly",
        "preset=months&months=13",
        "preset=custom&from=2024-09-30&to=2024-01-01",
        "from=2024-02-30&to=2024-03-01",
        "preset=year&year=abc",
    ],
)
def test_dashboard_bad_period_is_400(client, auth, query):
    auth.login("leader")
    r = client.get("/dashboard?" + query)
    assert r.status_code == 400
    r = client.get("/dashboard?" + query, headers={"HX-Request": "true"})
    assert r.status_code == 400 and "error-fragment" in r.text


def test_breakdown_fragment_sorts(client, auth):
    dept_a, dept_b, _, _ = _world()
    auth.login("centre")
    url = "/dashboard/breakdown/department?preset=months&year=2024&months=9&sort=received&dir=desc"
    page = client.get(url)
    assert (
        page.status_code == 200
        and "<html" in page.text
        and 'id="breakdown-department"' in page.text
    )
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert "<html" not in fragment.text
    assert fragment.text.index(f'data-key="{dept_a.id}"') < fragment.text.index(
        f'data-key="{dept_b.id}"'
    )
    asc = client.get(url.replace("dir=desc", "dir=asc"), headers={"HX-Request": "true"}).text
    assert asc.index(f'data-key="{dept_b.id}"') < asc.index(f'data-key="{dept_a.id}"')
    assert 'aria-sort="ascending"' in asc
    assert client.get("/dashboard/breakdown/nothing").status_code == 404


def test_breakdown_table_totals_equal_counts(app):
    _world()
    period = Period(date(2024, 1, 1), date(2024, 9, 30))
    rows, total = figures.breakdown_table(period, "field", "received", True)
    c = figures.counts(period)
    assert total.procedures == c["procedures_total"] and total.received == c["dossiers_received"]
    assert total.with_postal == c["procedures_with_postal"]
    assert [r.received for r in rows] == sorted((r.received for r in rows), reverse=True)
    assert rows[0].returned_postal_percent is not None


def test_list_links_only_to_existing_lists(app):
    from blueprints.dashboard.routes import list_url

    with app.test_request_context("/"):
        assert (
            list_url("main.home", {"from": "2024-01-01"}, department=3, field="")
            == "/?from=2024-01-01&department=3"
        )
        assert list_url("no.such_list", department=3) is None


def test_list_links_are_the_urls_url_for_builds(app):
    """The per-request shortcut gives exactly ``url_for``'s URL, path variables and odd values
    included."""
    from flask import url_for

    from blueprints.dashboard.routes import list_url

    cases = [
        ("dossiers.list_dossiers", {"from": "2024-01-01", "to": "2024-09-30", "field": 7}),
        (
            "procedures.list_procedures",
            {"q": "giấy phép & xây dựng", "postal": "yes", "department": "all"},
        ),
        ("procedures.list_procedures", {"q": "a+b/c?d=e#f", "department": 0}),
        ("dashboard.show_rubric", {"year": 2024}),
        ("dossiers.list_dossiers", {}),
    ]
    from flask_login import login_user

    leader = f.user("leader")
    with app.test_request_context("/"):
        login_user(leader)
        for endpoint, values in cases:
            assert list_url(endpoint, values) == url_for(endpoint, **values), values


def test_breakdown_numbers_link_to_lists(client, auth, app):
    dept_a, _, _, _ = _world()
    auth.login("leader")
    html = client.get(REF).text
    assert f"/procedures?department={dept_a.id}&amp;from=2024-01-01&amp;to=2024-09-30" in html
    assert (
        f"/procedures?department={dept_a.id}&amp;from=2024-01-01&amp;to=2024-09-30&amp;postal=yes"
        in html
    )
    assert (
        "/dossiers?from=2024-01-01&amp;to=2024-09-30&amp;direction=tra_ket_qua&amp;channel=bcci"
        in html
    )
    assert (
        f"department={dept_a.id}&amp;from=2024-01-01&amp;to=2024-09-30&amp;direction=tiep_nhan&amp;channel=bcci"
        in html
    )


def test_no_link_a_role_could_not_follow(client, auth):
    dept_a, _, _, _ = _world()
    auth.login("department", department=dept_a)
    html = client.get(REF).text
    assert "/dossiers?" not in html  # department staff do not open the dossier list


# --- API ---------------------------------------------------------------------------------------


def test_api_summary_is_the_cli_object(client, auth, runner):
    import json

    _world()
    auth.login("department")
    r = client.get("/api/summary?from=2024-01-01&to=2024-09-30")
    assert r.status_code == 200 and r.is_json
    assert r.json == figures.summary(Period(date(2024, 1, 1), date(2024, 9, 30))).as_json()
    cli = runner.invoke(
        args=["report", "summary", "--from", "2024-01-01", "--to", "2024-09-30", "--json"]
    )
    assert json.loads(cli.output) == r.json


@pytest.mark.parametrize(
    "query",
    [
        "",
        "from=2024-01-01",
        "to=2024-09-30",
        "from=2024-13-01&to=2024-12-31",
        "from=31/02/2024&to=30/09/2024",
        "from=2024/01/01&to=2024/09/30",
        "from=2024-09-30&to=2024-01-01",
    ],
)
def test_api_summary_bad_dates_are_400_json(client, auth, query):
    auth.login("leader")
    r = client.get("/api/summary?" + query)
    assert r.status_code == 400 and r.is_json
    assert set(r.json) == {"error"} and r.json["error"]


def test_dates_read_as_people_write_them_and_as_urls_give_them(client, auth):
    """A period typed in a filter (dd/mm/yyyy) and one from a link (YYYY-MM-DD) are the same."""
    auth.login("leader")
    typed = client.get("/api/summary?from=01/01/2024&to=30/09/2024")
    linked = client.get("/api/summary?from=2024-01-01&to=2024-09-30")
    assert typed.status_code == linked.status_code == 200 and typed.json == linked.json
    page = client.get("/dashboard?preset=custom&from=01/01/2024&to=30/09/2024")
    assert page.status_code == 200 and 'type="date"' not in page.text
    assert 'value="01/01/2024"' in page.text and 'value="30/09/2024"' in page.text


def test_api_summary_needs_login(client):
    r = client.get("/api/summary?from=2024-01-01&to=2024-09-30")
    assert r.status_code == 401


# --- Home panel of department staff -------------------------------------------------------------


def test_department_home_shows_its_targets(client, auth):
    dept_a, _, _, _ = _world()
    auth.login("department", department=dept_a)
    html = client.get("/").text
    assert "home-targets-title" in html and 'data-target-criterion="C1"' in html


def test_department_targets_share(app):
    from blueprints.dashboard.services import department_targets

    dept_a, dept_b, _, _ = _world()
    summary, rows = department_targets(dept_b.id, Period(date(2024, 1, 1), date(2024, 9, 30)))
    c1 = dict((t.code, mine) for t, mine in rows)["C1"]
    # C1: 1 of 3 procedures has postal use (33%); 50% needs 2 → 1 more; B has the only pool (p2)
    assert c1 is not None and c1.share == 1 and c1.pool == 1


# --- Rubric --------------------------------------------------------------------------------------


def _rubric_form(c1=("20", "0,5", "50", "1"), maximum="1", note="QĐ 123/QĐ-UBND"):
    data = {"note": note}
    for code in ("C1", "C2", "C3"):
        data[f"{code}-maximum"] = maximum
        bands = c1 if code == "C1" else ("5", "0,5", "10", "1")
        for i in range(4):
            pair = bands[2 * i : 2 * i + 2] if 2 * i < len(bands) else ("", "")
            data[f"{code}-bands-{i}-threshold"] = pair[0]
            data[f"{code}-bands-{i}-points"] = pair[1]
    return data


def _illustration(year=2024):
    v = RubricVersion(year=year, version=1, criteria=figures.DEFAULT_RUBRIC, is_illustration=True)
    db.session.add(v)
    db.session.commit()
    return v


@pytest.mark.parametrize("role, status", [("leader", 403), ("centre", 403), ("department", 403)])
def test_only_admin_edits_rubric(client, auth, role, status):
    _illustration()
    auth.login(role)
    assert client.get("/rubric/2024/edit").status_code == status
    assert client.post("/rubric/2024/edit", data=_rubric_form()).status_code == status
    assert db.session.scalar(db.select(db.func.count()).select_from(RubricVersion)) == 1
    assert client.get("/rubric").status_code == 200
    assert client.get("/rubric/2024").status_code == 200


def test_rubric_versioning(client, auth):
    illustration = _illustration()
    auth.login("admin")
    page = client.get("/rubric/2024")
    assert "rubric-illustration" in page.text
    # The illustration is never changed: saving creates version 2.
    r = client.post("/rubric/2024/edit", data=_rubric_form(c1=("10", "0,5", "30", "1")))
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(RubricVersion, illustration.id).criteria == figures.DEFAULT_RUBRIC
    rubric = figures.rubric_for(2024)
    assert rubric.version == 2 and not rubric.is_illustration
    assert [(str(b.threshold), str(b.points)) for b in rubric.bands["C1"]] == [
        ("10", "0.50"),
        ("30", "1.00"),
    ]
    # An unfrozen version of the administrator's own is corrected in place.
    r = client.post("/rubric/2024/edit", data=_rubric_form(c1=("15", "0,5", "30", "1")))
    assert r.status_code == 303
    db.session.expire_all()
    assert figures.rubric_for(2024).version == 2
    assert figures.rubric_for(2024).bands["C1"][0].threshold == 15
    # Once an issued brief froze it, editing creates version 3 and version 2 stays as it was.
    v2 = db.session.scalars(db.select(RubricVersion).where(RubricVersion.version == 2)).one()
    v2.frozen = True
    frozen_criteria = dict(v2.criteria)
    db.session.commit()
    r = client.post("/rubric/2024/edit", data=_rubric_form(c1=("25", "0,75", "60", "1")))
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(RubricVersion, v2.id).criteria == frozen_criteria
    latest = figures.rubric_for(2024)
    assert latest.version == 3 and latest.bands["C1"][0].points == Decimal("0.75")
    # A brief issued with version 2 scores with version 2 still.
    old = figures.rubric_from_version(db.session.get(RubricVersion, v2.id))
    assert old.bands["C1"][0].threshold == 15
    actions = [
        e.action
        for e in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))
        if e.action.startswith("rubric.")
    ]
    assert actions == ["rubric.create", "rubric.update", "rubric.create"]
    # the page lists every version, the frozen one marked
    html = client.get("/rubric/2024").text
    assert html.count("data-version=") == 3 and "Đã dùng cho báo cáo đã ban hành" in html


def test_rubric_for_a_new_year_starts_from_the_one_in_force(client, auth):
    _illustration(2024)
    auth.login("admin")
    form = client.get("/rubric/2025/edit")
    assert form.status_code == 200 and 'value="20"' in form.text
    assert client.get("/rubric/edit?year=2025").status_code == 302
    r = client.post("/rubric/2025/edit", data=_rubric_form())
    assert r.status_code == 303
    assert figures.rubric_for(2025).year == 2025 and figures.rubric_for(2025).version == 1
    assert figures.rubric_for(2024).is_illustration


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"C1-maximum": "0"}, "Điểm tối đa phải"),
        ({"C1-bands-0-threshold": "120"}, "Mỗi ngưỡng phải"),
        ({"C1-bands-0-points": "2"}, "Điểm của mỗi mức"),
        ({"C1-bands-1-threshold": "10"}, "Ngưỡng cao hơn phải cho điểm cao hơn"),
        ({"C1-bands-1-points": ""}, "Nhập cả ngưỡng và điểm"),
        (
            {
                "C1-bands-0-threshold": "",
                "C1-bands-0-points": "",
                "C1-bands-1-threshold": "",
                "C1-bands-1-points": "",
            },
            "Nhập ít nhất một mức",
        ),
    ],
)
def test_rubric_validation_is_422(client, auth, changes, message):
    _illustration()
    auth.login("admin")
    data = _rubric_form()
    data.update(changes)
    r = client.post("/rubric/2024/edit", data=data)
    assert r.status_code == 422 and message in r.text
    r = client.post("/rubric/2024/edit", data=data, headers={"HX-Request": "true"})
    assert r.status_code == 422 and "<html" not in r.text and 'id="rubric-form"' in r.text
    assert figures.rubric_for(2024).is_illustration


@pytest.mark.parametrize(
    "criteria, ok",
    [
        ({"max": "1", "bands": [["20", "0.5"], ["50", "1"]]}, True),
        ({"max": "1,00", "bands": [["2,5", "0,25"]]}, True),
        ({"max": "1", "bands": [["20", "0.5"], ["20", "1"]]}, False),
        ({"max": "1", "bands": [["20", "0.5"], ["50", "0.5"]]}, False),
        ({"max": "1", "bands": [["20.001", "0.5"]]}, False),
        ({"max": "1", "bands": []}, False),
    ],
)
def test_normalise_criteria(criteria, ok):
    from blueprints.dashboard.services import normalise_criteria
    from utils.errors import Refusal

    raw = {"C1": criteria, "C2": figures.DEFAULT_RUBRIC["C2"], "C3": figures.DEFAULT_RUBRIC["C3"]}
    if ok:
        out = normalise_criteria(raw)
        assert out["C2"] == figures.DEFAULT_RUBRIC["C2"]
        assert all(len(p.split(".")[1]) == 2 for _, p in out["C1"]["bands"])
    else:
        with pytest.raises(Refusal) as refusal:
            normalise_criteria(raw)
        assert (refusal.value.status, list(refusal.value.errors)) == (422, ["C1"])


@pytest.mark.parametrize(
    "url, marker",
    [
        ("/rubric", 'id="rubric-2024"'),
        ("/rubric/2024", 'data-version="1"'),
        ("/rubric/2024/edit", 'id="rubric-form"'),
    ],
)
def test_rubric_fragments_with_and_without_htmx(client, auth, url, marker):
    _illustration()
    auth.login("admin")
    page = client.get(url)
    assert page.status_code == 200 and "<html" in page.text and marker in page.text
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text and marker in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]


@pytest.mark.parametrize("htmx", [False, True])
def test_two_saves_of_the_same_new_version_give_a_409_not_a_500(client, auth, monkeypatch, htmx):
    """Two administrators open the form on the illustration and save: the second save, having
    read the same latest version, makes the same version number; it is refused with a 409, its
    bands still in the form, and the first one's version stays."""
    from blueprints.dashboard import services as dashboard_services

    illustration = _illustration()
    auth.login("admin")
    competitor = RubricVersion(year=2024, version=2, criteria=figures.DEFAULT_RUBRIC, note="first")
    db.session.add(competitor)
    db.session.commit()
    competitor_id, illustration_id = competitor.id, illustration.id
    real_versions_of = dashboard_services.versions_of

    def stale_versions_of(year):
        # What the second save read before the first one committed.
        return [v for v in real_versions_of(year) if v.id != competitor_id]

    monkeypatch.setattr(dashboard_services, "versions_of", stale_versions_of)
    events_before = db.session.scalar(db.select(db.func.count()).select_from(AuditEvent))
    headers = {"HX-Request": "true"} if htmx else {}
    r = client.post(
        "/rubric/2024/edit",
        data=_rubric_form(c1=("12,5", "0,5", "40", "1"), note="second"),
        headers=headers,
    )
    assert r.status_code == 409
    assert 'data-testid="rubric-conflict"' in r.text and "phiên bản 2" in r.text
    assert ("<html" in r.text) != htmx
    # nothing typed is lost
    assert 'value="12,5"' in r.text and 'value="40"' in r.text and "second" in r.text
    db.session.expire_all()
    versions = db.session.scalars(db.select(RubricVersion).order_by(RubricVersion.version)).all()
    assert [(v.id, v.note) for v in versions] == [(illustration_id, ""), (competitor_id, "first")]
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)) == events_before


def test_a_count_without_its_denominator_is_never_n_over_0(client, auth):
    """Results returned by post in a period without dossiers received (they were received
    before it) are a count with the reason there is no rate, not "1 / 0"."""
    p = f.procedure(ret=True)
    f.dossier(p, date(2023, 12, 20), returned=date(2024, 1, 5), return_channel="bcci")
    db.session.commit()
    auth.login("leader")
    for url in (
        "/dashboard?preset=custom&from=2024-01-01&to=2024-01-31",
        "/dashboard/breakdown/field?preset=custom&from=2024-01-01&to=2024-01-31",
    ):
        html = client.get(url).text
        text = re.sub(r"<[^>]+>", "", html)
        assert not re.search(r"\d\s*/\s*0(?!\d|[,.]\d)", text), url
        assert "không có hồ sơ tiếp nhận trong kỳ" in text, url
    card = re.search(
        r'data-criterion="C3".*?</section>',
        client.get("/dashboard?preset=custom&from=2024-01-01&to=2024-01-31").text,
        re.S,
    ).group(0)
    assert "1 kết quả trả qua BCCI" in re.sub(r"<[^>]+>", "", card)
