"""The province's brief (issue 18, docs/brief.md, *The province's brief*): the province's figures
with a table of units whose dossiers add up to them, the gap to each criterion's next band split
across units and proposals naming the units furthest from it; previewed, issued and withdrawn by
province-wide users, numbered by the province's centre, kept byte for byte as issued."""

import re
from datetime import date

import pytest
from sqlalchemy import insert, select

from blueprints.briefs import services
from extensions import db
from models import FIRST_UNIT_ID, AuditEvent, Brief, Dossier, Unit
from tests import factories as f
from tests.test_access_matrix import sign_in
from tests.test_briefs import own_rubric
from utils import figures
from utils.dates import Period
from utils.errors import Refusal
from utils.settings import get_settings
from utils.units import create_unit, set_unit_active

PERIOD = Period(date(2024, 1, 1), date(2024, 3, 31))
QUERY = {"from": "2024-01-01", "to": "2024-03-31"}
FORM = {"start": "2024-01-01", "end": "2024-03-31"}

# Each unit's dossiers received in February 2024: (received, of them by post, returned by post).
DOSSIERS = {
    "DV01": (40, 0, 2),
    "TINH": (20, 3, 4),
    "XB": (30, 1, 0),
    "XC": (10, 2, 3),
    "XD": (5, 1, 0),  # deactivated afterwards: still in the province's figures and the table
}
NAMES = {
    "DV01": "Phường Bạch Đằng",
    "TINH": "Trung tâm tỉnh",
    "XB": "Xã Bình Liêu",
    "XC": "Xã Cô Tô",
    "XD": "Xã Đã Nhập",
}


@pytest.fixture()
def province(app):
    return province_units()


def province_units():
    """Five units (the first a ward, the province's centre, three communes, one of them since
    deactivated), three procedures every unit handles, each unit's dossiers of ``DOSSIERS``, the
    province's own rubric, the centre's settings naming the province: ``{code: Unit}``."""
    first = db.session.get(Unit, FIRST_UNIT_ID)
    first.name = NAMES["DV01"]
    units = {"DV01": first}
    for code, level in (("TINH", "tinh"), ("XB", "xa"), ("XC", "xa"), ("XD", "xa")):
        units[code] = create_unit(code, NAMES[code], level)
    dept = f.department(name="Phòng Tư pháp")
    procs = [f.procedure(department_=dept, receive=True, ret=True) for _ in range(3)]
    rows = []
    for code, (received, by_post, returned_by_post) in DOSSIERS.items():
        for i in range(received):
            channel = "bcci" if i < by_post else "truc_tiep"
            back = "bcci" if i < returned_by_post else "truc_tiep"
            rows.append(
                {
                    "code": f"{code}-{i}",
                    "procedure_id": procs[i % 3].id,
                    "unit_id": units[code].id,
                    **Dossier.as_recorded(channel, date(2024, 2, 5), back, date(2024, 2, 20)),
                }
            )
    db.session.execute(insert(Dossier), rows)
    set_unit_active(units["XD"], False)
    centre = get_settings(units["TINH"].id)
    centre.parent_agency = "UBND tỉnh Quảng Ninh"
    centre.unit_name = "Trung tâm Phục vụ hành chính công tỉnh"
    centre.doc_prefix = "TTPVHCC"
    centre.place_name = "Quảng Ninh"
    db.session.commit()
    own_rubric()
    return units


def _lines(context):
    return context["unit_centres"] + context["unit_communes"]


def _criterion(summary, code):
    return next(c for c in summary.criteria if c.code == code)


# --- The figures -------------------------------------------------------------------------------


def test_the_table_of_units_adds_up_to_the_provinces_dossiers(province):
    context = services.brief_context(PERIOD, date(2024, 4, 2), province=True)
    summary = context["summary"]
    assert summary.counts == figures.summary(PERIOD).counts
    # The province's centre on its own line; the communes ranked, fewest points first; the
    # deactivated commune kept, because it had dossiers in the period.
    assert [line["code"] for line in context["unit_centres"]] == ["TINH"]
    communes = context["unit_communes"]
    assert {line["code"] for line in communes} == {"DV01", "XB", "XC", "XD"}
    assert [line["points"] for line in communes] == sorted(line["points"] for line in communes)
    for code in ("C2", "C3"):
        whole = _criterion(summary, code)
        parts = [_criterion(line["summary"], code) for line in _lines(context)]
        assert sum(c.numerator for c in parts) == whole.numerator
        assert sum(c.denominator for c in parts) == whole.denominator == 105
    # C1 counts distinct procedures: the units' counts do not add up to the province's.
    units_c1 = sum(_criterion(line["summary"], "C1").denominator for line in _lines(context))
    assert units_c1 != _criterion(summary, "C1").denominator == 3


def _meetings(units):
    """Meetings of 01/03/2024 with tasks (due 15/03/2024) of the centre, XB and XC, and a
    meeting of XB after the brief's date: ``{description: task}``."""
    from blueprints.meetings import services as meetings
    from models import Department

    dept = db.session.execute(select(Department)).scalars().first()
    tasks = {}
    plan = {
        ("TINH", date(2024, 3, 1)): (("Tỉnh quá hạn", "open"), ("Tỉnh đã xong", "done")),
        ("XB", date(2024, 3, 1)): (("XB quá hạn", "open"), ("XB đang làm", "in_progress")),
        ("XC", date(2024, 3, 1)): (("XC đã xong", "done"),),
        ("XB", date(2024, 5, 1)): (("XB sau ngày báo cáo", "open"),),
    }
    for (code, day), items in plan.items():
        meeting = f.meeting(day, unit_id=units[code].id, conclusions=f"Kết luận {code} {day}")
        for description, status in items:
            deadline = date(2024, 3, 15) if description != "XB đang làm" else date(2024, 6, 1)
            task = meetings.add_task(
                meeting, department_id=dept.id, description=description, deadline=deadline
            )
            if status != "open":
                meetings.set_task_status(task, status)
            tasks[description] = task
    db.session.commit()
    return tasks


def test_the_province_follows_up_its_centres_tasks_and_counts_each_units(province):
    """Section III.2: the tasks not done of the province's centre's meetings, listed (not the
    units' own), and every unit's tasks counted, one line a unit, overdue first; the latest
    conclusions are the centre's; IV names the units with overdue tasks."""
    _meetings(province)
    context = services.brief_context(PERIOD, date(2024, 4, 2), province=True)
    follow_up = context["follow_up"]
    assert [t.description for t in follow_up.get("tasks")] == ["Tỉnh quá hạn"]
    assert follow_up["overdue"] == 1
    assert follow_up["meeting"].unit_id == province["TINH"].id
    counted = [
        (r.unit.code, r.assigned, r.done, r.open, r.overdue) for r in context["unit_tasks"]["rows"]
    ]
    # XB's meeting after the brief's date is not counted; XB before TINH: more not done.
    assert counted == [("XB", 2, 0, 2, 1), ("TINH", 2, 1, 1, 1), ("XC", 1, 1, 0, 0)]
    assert context["unit_tasks"]["total"] == {"assigned": 5, "done": 2, "open": 3, "overdue": 2}
    html = str(services.render_html(context))
    assert "Tỉnh quá hạn" in html and "XB quá hạn" not in html and "XB đang làm" not in html
    assert re.search(r'<tr data-unit="XB"><td class="center">1</td><td>Xã Bình Liêu</td>', html)
    assert "Kết luận TINH 2024-03-01" in html and "Kết luận XB" not in html
    assert "Đề nghị Xã Bình Liêu (1 nhiệm vụ) khẩn trương hoàn thành" in html
    # A unit's own brief keeps following up its own tasks.
    own = services.brief_context(PERIOD, date(2024, 4, 2), unit_id=province["XB"].id)
    assert [t.description for t in own["follow_up"]["tasks"]] == ["XB quá hạn", "XB đang làm"]
    # Of them one overdue: XB's task of a meeting after the brief's date is neither listed nor
    # counted (it was counted overdue: "2 tasks not done, of them 2 overdue").
    assert own["follow_up"]["overdue"] == 1


def _task_table(html):
    """III.2 b) of a brief's HTML: the table of the units' tasks and the note under it."""
    html = str(html)
    start = html.index('class="data unit-tasks"')
    return html[start : html.index("</p>", html.index("</table>", start))]


def test_the_units_tasks_name_the_first_units_and_sum_up_the_others(province, monkeypatch):
    """III.2 b) names the ``UNIT_TASK_ROWS`` units with most overdue, then not done tasks, and
    sums the other units up on one line: the named lines and the others' add up to the
    province's (fails before: every unit named, however many)."""
    _meetings(province)
    monkeypatch.setattr(services, "UNIT_TASK_ROWS", 2)
    context = services.brief_context(PERIOD, date(2024, 4, 2), province=True)
    tasks = context["unit_tasks"]
    assert [r.unit.code for r in tasks["rows"]] == ["XB", "TINH"]
    assert tasks["others"] == {"units": 1, "assigned": 1, "done": 1, "open": 0, "overdue": 0}
    assert tasks["total"] == {"assigned": 5, "done": 2, "open": 3, "overdue": 2}
    for key in ("assigned", "done", "open", "overdue"):
        named = sum(getattr(r, key) for r in tasks["rows"])
        assert named + tasks["others"][key] == tasks["total"][key]
    html = _task_table(services.render_html(context))
    assert 'data-unit="XC"' not in html
    assert re.search(
        r'<tr data-unit="others"><td></td><td>Các đơn vị khác \(1 đơn vị\)</td>'
        r'<td class="num">1</td><td class="num">1</td><td class="num">0</td><td class="num">0</td>',
        html,
    )
    assert "bảng nêu tên 2 đơn vị đầu, 1 đơn vị còn lại được cộng chung" in html
    assert 'data-unit="province"><td></td><td>Toàn tỉnh</td><td class="num">5</td>' in html
    # Every unit named: no line of others.
    monkeypatch.setattr(services, "UNIT_TASK_ROWS", 3)
    context = services.brief_context(PERIOD, date(2024, 4, 2), province=True)
    assert context["unit_tasks"]["others"] is None
    html = _task_table(services.render_html(context))
    assert 'data-unit="XC"' in html and 'data-unit="others"' not in html
    assert "bảng nêu tên" not in html


def test_an_issued_brief_keeps_the_task_counts_it_printed(province, monkeypatch):
    """The snapshot of an issued brief holds its follow-up's figures as printed: the tasks it
    listed and their counts, and the province's table of the units' tasks (the units named,
    the others' line, the total), whatever the tasks become afterwards (fails before: the
    snapshot had no task figure; the PDF, kept byte for byte, had them alone)."""
    from blueprints.meetings import services as meetings

    tasks = _meetings(province)
    monkeypatch.setattr(services, "UNIT_TASK_ROWS", 2)
    monkeypatch.setattr(services, "render_pdf", lambda html, stylesheets: b"%PDF-as-issued")
    issued = services.issue_brief(PERIOD, today=date(2024, 4, 2), province=True)
    bound = f.user("leader", unit_id=province["XB"].id)
    own = services.issue_brief(PERIOD, user=bound, today=date(2024, 4, 2))
    db.session.commit()
    # Afterwards the centre's overdue task and XB's are done, and XC is given a new one.
    meetings.set_task_status(tasks["Tỉnh quá hạn"], "done")
    meetings.set_task_status(tasks["XB quá hạn"], "done")
    meetings.add_task(
        tasks["XC đã xong"].meeting,
        department_id=tasks["XC đã xong"].department_id,
        description="XC mới",
        deadline=date(2024, 3, 20),
    )
    db.session.commit()
    now = services.brief_context(PERIOD, date(2024, 4, 2), province=True)
    assert now["unit_tasks"]["total"] == {"assigned": 6, "done": 4, "open": 2, "overdue": 1}
    db.session.expire_all()
    figures_ = db.session.get(Brief, issued.id).figures
    assert figures_["follow_up"] == {
        "tasks": [{"id": tasks["Tỉnh quá hạn"].id, "status": "open", "overdue": True}],
        "open": 1,
        "overdue": 1,
        "meeting": {
            "id": tasks["Tỉnh quá hạn"].meeting_id,
            "date": "2024-03-01",
            "conclusions": "Kết luận TINH 2024-03-01",
        },
    }
    assert figures_["unit_tasks"] == {
        "units": [
            {
                "code": "XB",
                "name": "Xã Bình Liêu",
                "assigned": 2,
                "done": 0,
                "open": 2,
                "overdue": 1,
            },
            {
                "code": "TINH",
                "name": NAMES["TINH"],
                "assigned": 2,
                "done": 1,
                "open": 1,
                "overdue": 1,
            },
        ],
        "others": {"units": 1, "assigned": 1, "done": 1, "open": 0, "overdue": 0},
        "total": {"assigned": 5, "done": 2, "open": 3, "overdue": 2},
        "late_units": 1,
    }
    # A unit's brief keeps its own follow-up's, and has no table of units.
    own_figures = db.session.get(Brief, own.id).figures
    assert own_figures["follow_up"]["open"] == 2 and own_figures["follow_up"]["overdue"] == 1
    assert [t["id"] for t in own_figures["follow_up"]["tasks"]] == [
        tasks["XB quá hạn"].id,
        tasks["XB đang làm"].id,
    ]
    assert "unit_tasks" not in own_figures


def test_the_snapshot_keeps_the_task_statuses_rendered_ahead(province, monkeypatch):
    """As the issue page issues it: the brief is rendered ahead in a reading transaction of its
    own (``render_for_issue``), then stored in the numbering transaction. A task whose status
    changes in between keeps in the snapshot the status the stored PDF printed (fails before:
    the snapshot read the tasks again once stored, "done" beside "overdue": true)."""
    from blueprints.meetings import services as meetings
    from utils.transactions import outside_the_write_lock

    tasks = _meetings(province)
    monkeypatch.setattr(services, "render_pdf", lambda html, stylesheets: b"%PDF-as-issued")
    today = date(2024, 4, 2)
    rendered = outside_the_write_lock(services.render_for_issue, PERIOD, today, province=True)
    # Meanwhile the centre's overdue task is done (another request).
    meetings.set_task_status(tasks["Tỉnh quá hạn"], "done")
    db.session.commit()
    issued = services.issue_brief(PERIOD, today=today, province=True, rendered=rendered)
    db.session.commit()
    db.session.expire_all()
    kept = db.session.get(Brief, issued.id).figures["follow_up"]
    assert kept["tasks"] == [{"id": tasks["Tỉnh quá hạn"].id, "status": "open", "overdue": True}]
    assert kept["open"] == 1 and kept["overdue"] == 1


def test_the_snapshot_keeps_the_conclusions_it_printed(province, monkeypatch):
    """The snapshot holds the meeting whose conclusions the brief printed (III.3): its id, date
    and conclusions as printed, read with the brief's other figures, whatever the meeting's
    record becomes (corrected while the brief is rendered ahead, or afterwards); a brief that
    printed no conclusions holds none (fails before: the snapshot had no record of them, and
    the meeting's record keeps only its latest conclusions)."""
    from blueprints.meetings import services as meetings
    from utils.transactions import outside_the_write_lock

    meeting = _meetings(province)["Tỉnh quá hạn"].meeting
    printed = []

    def render_pdf(html, stylesheets):
        printed.append(html)
        return b"%PDF-as-issued"

    def correct(conclusions):
        meetings.update_meeting(
            meeting,
            date_=meeting.date,
            chair=meeting.chair,
            participants=meeting.participants,
            conclusions=conclusions,
        )
        db.session.commit()

    monkeypatch.setattr(services, "render_pdf", render_pdf)
    today = date(2024, 4, 2)
    rendered = outside_the_write_lock(services.render_for_issue, PERIOD, today, province=True)
    correct("Kết luận sửa trong khi phát hành")
    issued = services.issue_brief(PERIOD, today=today, province=True, rendered=rendered)
    db.session.commit()
    correct("Kết luận sửa sau khi phát hành")
    db.session.expire_all()
    kept = db.session.get(Brief, issued.id).figures["follow_up"]["meeting"]
    assert kept == {
        "id": meeting.id,
        "date": "2024-03-01",
        "conclusions": "Kết luận TINH 2024-03-01",
    }
    assert "<p>Kết luận TINH 2024-03-01</p>" in printed[0]
    # The first unit recorded no meeting: its brief printed no conclusions, and holds none.
    bound = f.user("leader", unit_id=province["DV01"].id)
    own = services.issue_brief(PERIOD, user=bound, today=today)
    db.session.commit()
    assert "Kết luận tại cuộc họp" not in printed[-1]
    assert db.session.get(Brief, own.id).figures["follow_up"]["meeting"] is None


def test_without_a_province_centre_the_brief_is_not_issued(province):
    set_unit_active(province["TINH"], False)
    db.session.commit()
    plan = services.issue_plan(PERIOD, province=True)
    assert plan.refusal is not None and plan.refusal.status == 409
    with pytest.raises(Refusal) as refused:
        services.issue_brief(PERIOD, province=True)
    assert refused.value.status == 409
    assert db.session.scalar(select(Brief.id)) is None


# --- Who makes it, where ---------------------------------------------------------------------------


def test_who_sees_every_unit_makes_the_provinces_brief(app, client, province):
    leader = sign_in(client, f.user("leader", province_wide=True))
    r = leader.get("/briefs/preview", query_string=QUERY)
    assert r.status_code == 303 and "/briefs/province/preview?" in r.location
    page = leader.get("/briefs/province/preview", query_string=QUERY).text
    assert "của các đơn vị trên địa bàn tỉnh Quảng Ninh" in page
    assert 'data-unit="XD"' in page and 'data-unit="province"' in page
    assert "/briefs/province/issue?" in page
    assert "/briefs/province/preview" in leader.get("/briefs").text
    # A unit's leader makes his unit's brief and may not open the province's.
    bound = sign_in(app.test_client(), f.user("leader", unit_id=province["TINH"].id))
    assert bound.get("/briefs/province/preview", query_string=QUERY).status_code == 403
    theirs = bound.get("/briefs/preview", query_string=QUERY)
    assert theirs.status_code == 200 and "trên địa bàn" not in theirs.text


def test_who_sees_every_unit_previews_any_units_brief(app, client, province):
    """A province-wide leader previews a unit's brief (``unit=CODE``, as the unit's dashboard
    links to it), named, with its figures, and may not issue it there; a unit-bound leader sees
    only his own unit's: another unit's is a 404 (fails before: the province's brief, and the
    other unit's code ignored)."""
    leader = sign_in(client, f.user("leader", province_wide=True))
    page = leader.get("/briefs/preview", query_string=dict(QUERY, unit="XB"))
    assert page.status_code == 200
    assert "Xem trước báo cáo của Xã Bình Liêu" in page.text
    assert "Tổng số hồ sơ tiếp nhận: <b>30</b> hồ sơ" in page.text
    assert "trên địa bàn" not in page.text and "/briefs/issue?" not in page.text
    assert "/briefs/draft.pdf?unit=XB&amp;from=2024-01-01" in page.text
    assert leader.get("/briefs/preview", query_string=dict(QUERY, unit="NOPE")).status_code == 404
    bound = sign_in(app.test_client(), f.user("leader", unit_id=province["XB"].id))
    assert bound.get("/briefs/preview", query_string=dict(QUERY, unit="XC")).status_code == 404
    assert bound.get("/briefs/draft.pdf", query_string=dict(QUERY, unit="XC")).status_code == 404
    own = bound.get("/briefs/preview", query_string=dict(QUERY, unit="XB"))
    assert own.status_code == 200 and "/briefs/issue?" in own.text


def _picked(html):
    """The unit picker's units and the one selected (``""``: the whole province), or ``None``
    without a picker."""
    if 'data-testid="unit-picker"' not in html:
        return None
    options = re.findall(r'<option value="([^"]*)"( selected)?>', html)
    return [code for code, _ in options], [code for code, chosen in options if chosen]


def test_who_sees_every_unit_picks_the_province_or_a_unit_for_the_draft(app, client, province):
    """The brief's unit picker (the dashboard's): a province-wide leader chooses the province's
    brief or one unit's (deactivated ones too: their figures stay) on the list page and on the
    preview; the province's addresses send a unit chosen to the unit's brief (303, the period
    kept), whose issue stays its own leaders'. A unit-bound leader, and a one-unit deployment,
    get no picker (fails before: no picker, and the province's addresses ignored the unit)."""
    every = ["", "DV01", "TINH", "XB", "XC", "XD"]
    leader = sign_in(client, f.user("leader", province_wide=True))
    assert _picked(leader.get("/briefs", query_string=QUERY).text) == (every, [""])
    whole = leader.get("/briefs/province/preview", query_string=QUERY).text
    assert _picked(whole) == (every, [""]) and "/briefs/province/issue?" in whole
    for address in ("/briefs/province/preview", "/briefs/province/draft.pdf"):
        r = leader.get(address, query_string=dict(QUERY, unit="XB"))
        assert r.status_code == 303
        assert r.location == address.replace("/province", "") + (
            "?from=2024-01-01&to=2024-03-31&unit=XB"
        )
    unit = leader.get("/briefs/preview", query_string=dict(QUERY, unit="XB")).text
    assert _picked(unit) == (every, ["XB"]) and "/briefs/issue?" not in unit
    assert "Xem trước báo cáo của Xã Bình Liêu" in unit
    # The whole province chosen on a unit's preview: the province's brief, no empty unit kept.
    r = leader.get("/briefs/preview", query_string=dict(QUERY, unit=""))
    assert r.location == "/briefs/province/preview?from=2024-01-01&to=2024-03-31"
    assert (
        leader.get("/briefs/province/preview", query_string=dict(QUERY, unit="")).status_code == 200
    )
    bound = sign_in(app.test_client(), f.user("leader", unit_id=province["XB"].id))
    assert _picked(bound.get("/briefs", query_string=QUERY).text) is None
    assert _picked(bound.get("/briefs/preview", query_string=QUERY).text) is None


def test_a_units_draft_downloaded_by_who_sees_every_unit_is_named_with_its_code(
    app, client, province, monkeypatch
):
    """A province-wide leader's download of unit XB's draft (``unit=CODE``) carries XB in its
    file name (fails before: every unit's draft of a period had one name); the unit's own leader
    downloads it under the name of a one-unit deployment. The PDF itself is not laid out here
    (test_briefs and the command line's test do)."""
    drafts = []
    monkeypatch.setattr(
        services, "draft_pdf", lambda period, unit_id, province: drafts.append(unit_id) or b"%PDF"
    )
    leader = sign_in(client, f.user("leader", province_wide=True))
    r = leader.get("/briefs/draft.pdf", query_string=dict(QUERY, unit="XB"))
    assert r.status_code == 200 and drafts == [province["XB"].id]
    assert r.headers["Content-Disposition"] == (
        'attachment; filename="du-thao-bao-cao-bcci-XB-20240101-20240331.pdf"'
    )
    bound = sign_in(app.test_client(), f.user("leader", unit_id=province["XB"].id))
    own = bound.get("/briefs/draft.pdf", query_string=dict(QUERY, unit="XB"))
    assert own.headers["Content-Disposition"] == (
        'attachment; filename="du-thao-bao-cao-bcci-20240101-20240331.pdf"'
    )


def test_on_one_unit_the_provinces_brief_is_the_units(client, auth):
    admin = sign_in(client, f.user("admin", province_wide=True))
    r = admin.get("/briefs/province/preview", query_string=QUERY)
    assert r.status_code == 303 and r.location.startswith("/briefs/preview?")
    # Nor a unit picker.
    assert _picked(admin.get("/briefs", query_string=QUERY).text) is None
    assert _picked(admin.get("/briefs/preview", query_string=QUERY).text) is None


@pytest.mark.slow  # renders and issues the brief
def test_issued_numbered_by_the_centre_kept_and_withdrawn(app, client, province):
    centre = province["TINH"]
    leader = sign_in(client, f.user("leader", province_wide=True))
    confirm = leader.get("/briefs/province/issue", query_string=QUERY).text
    assert "Số: 01/BC-TTPVHCC" in confirm and 'action="/briefs/province/issue"' in confirm
    r = leader.post("/briefs/province/issue", data=dict(FORM, number="1"))
    assert r.status_code == 303
    brief = db.session.scalars(select(Brief)).one()
    assert (brief.province, brief.unit_id, brief.number) == (True, centre.id, 1)
    assert [u["code"] for u in brief.figures["units"]] == [
        line["code"]
        for line in _lines(services.brief_context(PERIOD, date(2024, 4, 2), province=True))
    ]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "brief.issue")).one()
    assert event.new_values["province"] is True
    # The centre's own brief takes the next number of the same series.
    assert services._next_number(brief.year, centre.id) == 2
    # Byte for byte as issued, whatever changes afterwards.
    f.dossier(f.procedure(receive=True), date(2024, 2, 6), unit_id=centre.id)
    db.session.commit()
    download = leader.get(f"/briefs/{brief.id}.pdf")
    assert download.data == brief.pdf
    assert "bao-cao-01-" in download.headers["Content-Disposition"]
    assert "-toan-tinh.pdf" in download.headers["Content-Disposition"]
    # The centre's leader sees it in his list, marked, but may not withdraw it.
    bound = sign_in(app.test_client(), f.user("leader", unit_id=centre.id))
    listed = bound.get("/briefs").text
    assert "01/BC-TTPVHCC" in listed and "brief-province" in listed
    assert f"/briefs/{brief.id}/withdraw" not in listed
    assert bound.post(f"/briefs/{brief.id}/withdraw", data={"reason": "x"}).status_code == 403
    r = leader.post(f"/briefs/{brief.id}/withdraw", data={"reason": "Sai số liệu"})
    assert r.status_code == 303
    db.session.refresh(brief)
    assert brief.withdrawn


# --- The PDF ---------------------------------------------------------------------------------------

_RATIO = re.compile(r"(\d[\d.]*)/(\d[\d.]*)")


def _ratios(line):
    return [(int(a.replace(".", "")), int(b.replace(".", ""))) for a, b in _RATIO.findall(line)]


@pytest.mark.slow  # lays the brief out
def test_the_pdf_table_adds_up_and_the_proposals_name_the_units(province):
    from tests.pdf import pdf_text

    # A shipment's recipient: personal data the brief never prints.
    dossier = f.dossier(f.procedure(ret=True), date(2024, 2, 7), unit_id=province["XC"].id)
    f.shipment(dossier, "tra_ket_qua", when=date(2024, 2, 9), recipient_name="Lê Thị Riêng")
    db.session.commit()
    pdf = services.draft_pdf(PERIOD, date(2024, 4, 2), province=True)
    text = pdf_text(pdf, layout=True).replace("\u200b", "")
    # The table's lines: a unit's name (after its rank) and its three criteria's ratios.
    rows = {}
    for code, name in NAMES.items():
        (line,) = [
            line
            for line in text.splitlines()
            if line.strip().lstrip("–0123456789 ").startswith(name) and len(_ratios(line)) == 3
        ]
        rows[code] = _ratios(line)
    (total,) = [line for line in text.splitlines() if line.strip().startswith("Toàn tỉnh")]
    whole = _ratios(total)
    summary = figures.summary(PERIOD)
    assert whole == [(c.numerator, c.denominator) for c in summary.criteria]
    for i in (1, 2):  # C2 and C3: the units add up to the province
        assert sum(r[i][0] for r in rows.values()) == whole[i][0]
        assert sum(r[i][1] for r in rows.values()) == whole[i][1] == 106  # with the shipment's
    flat = " ".join(text.split())
    assert "của các đơn vị trên địa bàn tỉnh Quảng Ninh" in flat
    assert "không bằng số của toàn tỉnh" in flat  # the note on C1
    assert (
        "Đề nghị Phường Bạch Đằng (2 hồ sơ), Trung tâm tỉnh (1 hồ sơ) và Xã Bình Liêu (1 hồ sơ)"
        in flat
    )
    assert "Đề nghị Phường Bạch Đằng (1 kết quả) và Xã Bình Liêu (1 kết quả)" in flat
    assert "Riêng" not in flat


@pytest.mark.slow  # lays two briefs out
def test_the_command_line_writes_the_provinces_draft_or_a_units(province, runner, tmp_path):
    from tests.pdf import pdf_text

    out = tmp_path / "brief.pdf"
    span = ["report", "brief", "--from", "2024-01-01", "--to", "2024-03-31", "-o", str(out)]
    assert runner.invoke(args=span).exit_code == 0
    assert "trên địa bàn tỉnh Quảng Ninh" in " ".join(pdf_text(out.read_bytes()).split())
    r = runner.invoke(args=[*span, "--unit", "XB"])
    assert r.exit_code == 0, r.output
    theirs = " ".join(pdf_text(out.read_bytes()).split())
    assert "trên địa bàn" not in theirs and "Tổng số hồ sơ tiếp nhận: 30 hồ sơ" in theirs
    r = runner.invoke(args=[*span, "--unit", "NOPE"])
    assert r.exit_code != 0
