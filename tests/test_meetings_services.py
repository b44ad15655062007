"""Meeting and task services: open and overdue tasks, status changes with the audit trail."""

from datetime import date

import pytest

from blueprints.meetings import services
from extensions import db
from models import AuditEvent, Meeting
from tests import factories as f
from utils.errors import Refusal

TODAY = date(2024, 10, 15)


def _meeting(day=date(2024, 9, 21)):
    return f.meeting(day)


def test_open_tasks_orders_overdue_first_and_leaves_done_out(app):
    dept_a, dept_b = f.department("A"), f.department("B")
    m = _meeting()
    later = services.add_task(
        m, department_id=dept_a.id, description="Later", deadline=date(2024, 12, 1)
    )
    undated = services.add_task(m, department_id=dept_b.id, description="Undated")
    overdue = services.add_task(
        m, department_id=dept_b.id, description="Late", deadline=date(2024, 10, 1)
    )
    due_today = services.add_task(m, department_id=dept_a.id, description="Today", deadline=TODAY)
    done = services.add_task(
        m, department_id=dept_a.id, description="Done", deadline=date(2024, 9, 30)
    )
    services.set_task_status(done, "done", "Đã xong")
    db.session.commit()
    rows = services.open_tasks(TODAY)
    assert [r.task.id for r in rows] == [overdue.id, due_today.id, later.id, undated.id]
    assert [r.overdue for r in rows] == [True, False, False, False]
    assert [r.task.id for r in services.open_tasks(TODAY, department_id=dept_a.id)] == [
        due_today.id,
        later.id,
    ]
    assert services.overdue_count(TODAY) == 1
    assert services.overdue_count(TODAY, department_id=dept_a.id) == 0
    assert services.open_tasks(TODAY, meeting_before=date(2024, 9, 20)) == []


def test_status_change_is_audited_and_checked(app):
    dept = f.department()
    task = services.add_task(_meeting(), department_id=dept.id, description="X", deadline=TODAY)
    services.set_task_status(task, "in_progress", "  Đang làm việc với bưu điện ")
    assert task.status == "in_progress" and task.status_note == "Đang làm việc với bưu điện"
    with pytest.raises(Refusal):
        services.set_task_status(task, "closed")
    actions = [e.action for e in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["meeting.create", "task.create", "task.status"]
    assert db.session.scalar(db.select(db.func.count()).select_from(Meeting)) == 1


@pytest.mark.parametrize(
    "status, deadline, overdue",
    [
        ("open", date(2024, 10, 14), True),
        ("in_progress", date(2024, 10, 14), True),
        ("done", date(2024, 10, 14), False),
        ("open", TODAY, False),
        ("open", None, False),
    ],
)
def test_is_overdue(app, status, deadline, overdue):
    task = services.add_task(
        _meeting(), department_id=f.department().id, description="X", deadline=deadline
    )
    task.status = status
    assert services.is_overdue(task, TODAY) is overdue
