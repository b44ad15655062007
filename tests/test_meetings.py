"""Meetings and follow-up tasks: who may record, assign and update, with and without htmx."""

from datetime import timedelta

import pytest

from blueprints.meetings import services
from extensions import db
from models import Meeting, Task
from tests import factories as f
from utils.dates import vn_today


def _meeting_with_tasks():
    dept_a, dept_b = f.department("A", "Phòng A"), f.department("B", "Phòng B")
    m = f.meeting(participants="Lãnh đạo các phòng")
    late = services.add_task(
        m,
        department_id=dept_a.id,
        description="Rà soát thủ tục đủ điều kiện",
        deadline=vn_today() - timedelta(days=3),
    )
    other = services.add_task(
        m,
        department_id=dept_b.id,
        description="Tuyên truyền BCCI",
        deadline=vn_today() + timedelta(days=30),
    )
    db.session.commit()
    return dept_a, dept_b, m, late, other


MEETING = {
    "date": "2024-09-21",
    "chair": "Chủ tịch UBND thành phố",
    "participants": "Các phòng",
    "conclusions": "Các phòng có thủ tục đủ điều kiện phối hợp với Bưu điện.",
}


@pytest.mark.parametrize(
    "role, allowed", [("leader", True), ("centre", True), ("admin", True), ("department", False)]
)
def test_who_records_meetings_and_assigns_tasks(client, auth, role, allowed):
    dept_a, _, m, _, _ = _meeting_with_tasks()
    auth.login(role, department=dept_a if role == "department" else None)
    r = client.post("/meetings/new", data=MEETING)
    assert r.status_code == (303 if allowed else 403)
    r = client.post(
        f"/meetings/{m.id}/tasks",
        data={
            "department_id": dept_a.id,
            "description": "Làm việc với bưu điện",
            "deadline": "2024-12-31",
        },
    )
    assert r.status_code == (303 if allowed else 403)
    assert db.session.scalar(db.select(db.func.count()).select_from(Meeting)) == (
        2 if allowed else 1
    )
    assert db.session.scalar(db.select(db.func.count()).select_from(Task)) == (3 if allowed else 2)
    # everyone reads the meeting and the list
    assert client.get(f"/meetings/{m.id}").status_code == 200
    assert client.get("/meetings").status_code == 200


def test_meeting_form_errors_are_422(client, auth):
    auth.login("leader")
    r = client.post("/meetings/new", data={"date": "", "chair": "", "conclusions": ""})
    assert r.status_code == 422 and "is-invalid" in r.text
    assert client.get("/meetings/new").status_code == 200


def test_assign_task_with_htmx_returns_the_task_list(client, auth):
    dept_a, _, m, _, _ = _meeting_with_tasks()
    auth.login("centre")
    r = client.post(
        f"/meetings/{m.id}/tasks",
        headers={"HX-Request": "true"},
        data={"department_id": dept_a.id, "description": "Mở quầy BCCI", "deadline": ""},
    )
    assert r.status_code == 200 and "<html" not in r.text
    assert 'id="meeting-tasks"' in r.text and "Mở quầy BCCI" in r.text
    bad = client.post(
        f"/meetings/{m.id}/tasks",
        headers={"HX-Request": "true"},
        data={"department_id": dept_a.id, "description": ""},
    )
    assert bad.status_code == 422 and "<html" not in bad.text and "is-invalid" in bad.text
    page = client.get(f"/meetings/{m.id}")
    assert "<html" in page.text and "Mở quầy BCCI" in page.text
    fragment = client.get(f"/meetings/{m.id}", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and 'id="meeting-tasks"' in fragment.text


def test_department_updates_its_own_task_only(client, auth):
    dept_a, _, m, late, other = _meeting_with_tasks()
    auth.login("department", department=dept_a)
    data = {f"task{late.id}-status": "done", f"task{late.id}-note": "Đã rà soát 12 thủ tục"}
    r = client.post(f"/tasks/{late.id}/status", data=data, headers={"HX-Request": "true"})
    assert r.status_code == 200 and "<html" not in r.text
    assert (
        f'id="task-{late.id}"' in r.text
        and 'data-status="done"' in r.text
        and "task-overdue" not in r.text
    )
    db.session.expire_all()
    assert db.session.get(Task, late.id).status == "done"
    assert db.session.get(Task, late.id).status_note == "Đã rà soát 12 thủ tục"
    # another department's task: refused, unchanged
    r = client.post(
        f"/tasks/{other.id}/status",
        data={f"task{other.id}-status": "done", f"task{other.id}-note": "x"},
    )
    assert r.status_code == 403
    db.session.expire_all()
    assert db.session.get(Task, other.id).status == "open"
    assert client.post("/tasks/99999/status", data={}).status_code == 404


def test_status_update_without_htmx_redirects(client, auth):
    dept_a, _, m, late, _ = _meeting_with_tasks()
    auth.login("department", department=dept_a)
    r = client.post(
        f"/tasks/{late.id}/status",
        data={f"task{late.id}-status": "in_progress", f"task{late.id}-note": "", "next": "/"},
    )
    assert r.status_code == 303 and r.headers["Location"] == "/"
    r = client.post(
        f"/tasks/{late.id}/status",
        data={f"task{late.id}-status": "done", "next": "https://evil.example/"},
    )
    assert r.status_code == 303 and r.headers["Location"] == f"/meetings/{m.id}"
    bad = client.post(f"/tasks/{late.id}/status", data={f"task{late.id}-status": "closed"})
    assert bad.status_code == 422
    bad = client.post(
        f"/tasks/{late.id}/status",
        data={f"task{late.id}-status": "closed"},
        headers={"HX-Request": "true"},
    )
    assert bad.status_code == 422 and "<html" not in bad.text and "<tr" in bad.text


def test_department_sees_its_own_tasks_and_overdue_stands_out(client, auth):
    dept_a, _, m, late, other = _meeting_with_tasks()
    auth.login("department", department=dept_a)
    home = client.get("/").text
    assert "home-tasks-title" in home and f'id="task-{late.id}"' in home and "task-overdue" in home
    assert f'id="task-{other.id}"' not in home
    listing = client.get("/meetings").text
    assert f'id="task-{late.id}"' in listing and f'id="task-{other.id}"' not in listing
    # the department filter is not offered to department staff, nor obeyed
    forced = client.get(f"/meetings?department={other.department_id}").text
    assert f'id="task-{other.id}"' not in forced


def test_leaders_see_overdue_tasks_everywhere(client, auth):
    dept_a, dept_b, m, late, other = _meeting_with_tasks()
    auth.login("leader")
    home = client.get("/").text
    assert "home-overdue-title" in home and f'id="task-{late.id}"' in home
    assert f'id="task-{other.id}"' not in home  # not overdue
    dash = client.get("/dashboard").text
    assert "task-overdue" in dash and f'id="task-{other.id}"' in dash
    listing = client.get(f"/meetings?department={dept_b.id}", headers={"HX-Request": "true"})
    assert "<html" not in listing.text and f'id="task-{other.id}"' in listing.text
    assert f'id="task-{late.id}"' not in listing.text
    full = client.get("/meetings")
    assert "<html" in full.text and "task-overdue" in full.text


def test_edit_meeting(client, auth):
    _, _, m, _, _ = _meeting_with_tasks()
    auth.login("leader")
    assert client.get(f"/meetings/{m.id}/edit").status_code == 200
    data = dict(MEETING, conclusions="Kết luận đã sửa")
    assert client.post(f"/meetings/{m.id}/edit", data=data).status_code == 303
    db.session.expire_all()
    assert db.session.get(Meeting, m.id).conclusions == "Kết luận đã sửa"
    assert client.get("/meetings/99999").status_code == 404


def test_tasks_without_a_deadline_come_last_in_every_list(client, auth):
    """SQLite sorts NULLs first and PostgreSQL last: every list orders explicitly, undated last."""
    from blueprints.briefs.services import brief_context
    from utils.dates import Period

    dept = f.department("A", "Phòng A")
    m = f.meeting(vn_today() - timedelta(days=7))
    undated = services.add_task(m, department_id=dept.id, description="Không hạn")
    later = services.add_task(
        m, department_id=dept.id, description="Hạn sau", deadline=vn_today() + timedelta(days=30)
    )
    sooner = services.add_task(
        m, department_id=dept.id, description="Hạn trước", deadline=vn_today() + timedelta(days=5)
    )
    undated_too = services.add_task(m, department_id=dept.id, description="Cũng không hạn")
    db.session.commit()
    expected = [sooner.id, later.id, undated.id, undated_too.id]

    def order(html):
        rows = [int(n) for n in __import__("re").findall(r'<tr id="task-(\d+)"', html)]
        return [n for n in rows if n in expected]

    db.session.expire_all()
    assert [t.id for t in db.session.get(Meeting, m.id).tasks] == expected
    assert [t.task.id for t in services.open_tasks()] == expected
    today = vn_today()
    brief = brief_context(Period(today.replace(day=1), today), today=today)
    assert [t.task.id for t in brief["follow_up"]["tasks"]] == expected
    auth.login("leader")
    assert order(client.get(f"/meetings/{m.id}").text) == expected
    assert order(client.get("/meetings").text) == expected
    assert order(client.get("/dashboard").text) == expected
