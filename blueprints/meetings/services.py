"""Review meetings and their follow-up tasks: queries and mutations (add and flush, never commit).

``open_tasks(as_of)`` is what the dashboard, the home panels and the meeting brief list: every task
not done, overdue ones (deadline before the Vietnam date ``as_of``) first.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, select
from sqlalchemy.orm import joinedload

from extensions import db
from models import TASK_STATUSES, Meeting, Task, task_order, utcnow
from utils import audit
from utils.dates import vn_today
from utils.errors import Refusal
from utils.text import nfc
from utils.units import new_record_unit, taking_records

MEETING_FIELDS = ("date", "chair", "participants", "conclusions")
TASK_FIELDS = ("department_id", "description", "deadline", "status", "status_note")


def is_overdue(task, today=None):
    """A task is overdue when its deadline is before Vietnam's today and it is not done."""
    today = today or vn_today()
    return task.status != "done" and task.deadline is not None and task.deadline < today


def _of_task(name):
    """A read-only attribute that is the task's own ``name``."""
    return property(lambda self: getattr(self.task, name))


@dataclass(frozen=True)
class OpenTask:
    """A task not done, as the brief and the dashboard list it."""

    task: Task
    overdue: bool

    id = _of_task("id")
    department = _of_task("department")
    description = _of_task("description")
    deadline = _of_task("deadline")
    status = _of_task("status")
    meeting = _of_task("meeting")


def _task_query(department_id=None):
    stmt = select(Task).options(joinedload(Task.department), joinedload(Task.meeting))
    if department_id is not None:
        stmt = stmt.where(Task.department_id == department_id)
    return stmt


def open_tasks(
    as_of=None, department_id=None, meeting_before=None, overdue_only=False, unit_id=None
):
    """Every task not done, overdue first, then by deadline (none last), then by id.

    :param as_of: the date overdue is judged on; defaults to Vietnam's today.
    :param department_id: only that department's tasks.
    :param meeting_before: only tasks of meetings held on or before that date (a brief lists the
        tasks of earlier meetings).
    :param overdue_only: only the overdue ones.
    :param unit_id: only the tasks of that unit's meetings (``None``: every unit's).
    :return: a list of ``OpenTask(task, overdue)``; ``task.department`` and ``task.meeting`` are
        loaded.
    """
    as_of = as_of or vn_today()
    overdue = (Task.deadline.is_not(None)) & (Task.deadline < as_of)
    stmt = _task_query(department_id).where(Task.status != "done")
    if overdue_only:
        stmt = stmt.where(overdue)
    if meeting_before is not None or unit_id is not None:
        stmt = stmt.join(Meeting, Meeting.id == Task.meeting_id)
    if meeting_before is not None:
        stmt = stmt.where(Meeting.date <= meeting_before)
    if unit_id is not None:
        stmt = stmt.where(Meeting.unit_id == unit_id)
    stmt = stmt.order_by(case((overdue, 0), else_=1), *task_order())
    return [OpenTask(t, is_overdue(t, as_of)) for t in db.session.scalars(stmt).unique()]


def overdue_count(as_of=None, department_id=None, unit_id=None, meeting_before=None):
    """How many tasks are overdue (of the unit ``unit_id``'s meetings when given, of meetings
    held on or before ``meeting_before`` when given: the tasks a brief lists; a figure for
    badges; counted in SQL)."""
    from sqlalchemy import func

    as_of = as_of or vn_today()
    stmt = (
        select(func.count())
        .select_from(Task)
        .where(Task.status != "done", Task.deadline.is_not(None), Task.deadline < as_of)
    )
    if department_id is not None:
        stmt = stmt.where(Task.department_id == department_id)
    if unit_id is not None or meeting_before is not None:
        stmt = stmt.join(Meeting, Meeting.id == Task.meeting_id)
    if unit_id is not None:
        stmt = stmt.where(Meeting.unit_id == unit_id)
    if meeting_before is not None:
        stmt = stmt.where(Meeting.date <= meeting_before)
    return int(db.session.execute(stmt).scalar_one())


@dataclass(frozen=True)
class UnitTasks:
    """A unit's tasks of meetings held up to a date (``task_counts_by_unit``): how many were
    assigned, are done, are not done yet, and of those how many are overdue."""

    unit: object  # models.Unit
    assigned: int
    done: int
    open: int
    overdue: int


def task_counts_by_unit(as_of=None, meeting_before=None):
    """Every unit's tasks counted (``UnitTasks``), of the units whose meetings held on or
    before ``meeting_before`` (every meeting without) gave any: the units with most overdue
    tasks first, then most tasks not done, then by code. Counted in SQL, one statement.

    :param as_of: the date overdue is judged on; defaults to Vietnam's today.
    """
    from sqlalchemy import func

    from models import Unit

    as_of = as_of or vn_today()
    not_done = Task.status != "done"
    overdue = not_done & Task.deadline.is_not(None) & (Task.deadline < as_of)
    counts = (
        select(
            Meeting.unit_id,
            func.count().label("assigned"),
            func.sum(case((not_done, 0), else_=1)).label("done"),
            func.sum(case((not_done, 1), else_=0)).label("open"),
            func.sum(case((overdue, 1), else_=0)).label("overdue"),
        )
        .select_from(Task)
        .join(Meeting, Meeting.id == Task.meeting_id)
        .group_by(Meeting.unit_id)
    )
    if meeting_before is not None:
        counts = counts.where(Meeting.date <= meeting_before)
    counts = counts.subquery()
    rows = db.session.execute(
        select(Unit, counts.c.assigned, counts.c.done, counts.c.open, counts.c.overdue)
        .join(counts, counts.c.unit_id == Unit.id)
        .order_by(counts.c.overdue.desc(), counts.c.open.desc(), Unit.code)
    ).all()
    return [UnitTasks(unit, int(a), int(d), int(o), int(late)) for unit, a, d, o, late in rows]


def create_meeting(*, date_, chair, participants, conclusions, user=None, unit_id=None):
    """Record a review meeting, of ``user``'s unit (the first unit for a user bound to none), or
    of ``unit_id`` (the unit a user who sees every unit picked).

    :raise Refusal: a deactivated unit (``utils.units.taking_records``)."""
    meeting = Meeting(
        unit_id=taking_records(unit_id or new_record_unit(user)),
        date=date_,
        chair=nfc(chair or "").strip(),
        participants=nfc(participants or "").strip(),
        conclusions=nfc(conclusions or "").strip(),
        created_by_id=getattr(user, "id", None),
    )
    return audit.add_created(meeting, "meeting.create", "meeting", MEETING_FIELDS, user=user)


def update_meeting(meeting, *, date_, chair, participants, conclusions, user=None):
    """Correct a meeting's record."""
    old = audit.snapshot(meeting, MEETING_FIELDS)
    meeting.date = date_
    meeting.chair = nfc(chair or "").strip()
    meeting.participants = nfc(participants or "").strip()
    meeting.conclusions = nfc(conclusions or "").strip()
    db.session.flush()
    before, after = audit.diff(old, audit.snapshot(meeting, MEETING_FIELDS))
    if after:
        audit.record("meeting.update", "meeting", meeting.id, before, after, user=user)
    return meeting


def add_task(meeting, *, department_id, description, deadline=None, user=None):
    """Assign a follow-up task of ``meeting`` to a department."""
    task = Task(
        meeting_id=meeting.id,
        department_id=department_id,
        description=nfc(description or "").strip(),
        deadline=deadline,
        status="open",
        status_note="",
    )
    db.session.add(task)
    db.session.flush()
    audit.record("task.create", "task", task.id, None, audit.snapshot(task, TASK_FIELDS), user=user)
    return task


def set_task_status(task, status, note="", user=None):
    """Change a task's status with a note (the department says what it did).

    :raise Refusal: a status that does not exist.
    """
    if status not in TASK_STATUSES:
        raise Refusal(_l("Choose a status."), "status")
    old = audit.snapshot(task, ("status", "status_note"))
    task.status = status
    task.status_note = nfc(note or "").strip()
    task.updated_at = utcnow()
    db.session.flush()
    before, after = audit.diff(old, audit.snapshot(task, ("status", "status_note")))
    if after:
        audit.record("task.status", "task", task.id, before, after, user=user)
    return task
