"""Review meetings, their conclusions and follow-up tasks; departments update their own tasks.

Leaders, centre staff and administrators record meetings and assign tasks; department staff see
their own department's tasks (home page and list) and update their status with a note; nobody
else's. Overdue tasks (deadline before Vietnam's today, not done) are marked wherever they show.
"""

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from blueprints.main.panels import register_panel
from blueprints.meetings import services
from blueprints.meetings.forms import MeetingForm, TaskForm, TaskStatusForm
from extensions import db
from models import TASK_STATUSES, Department, Meeting, Task
from utils import htmx, labels
from utils.access import can, department_scope, get_or_404, requires
from utils.dates import vn_today
from utils.errors import save
from utils.inputs import arg_int, safe_next
from utils.units import unit_condition, unit_scope

bp = Blueprint("meetings", __name__)


# --- Policy and loaders -----------------------------------------------------------------------


def get_task_or_404(task_id, for_update=False):
    """The task, or 404; with ``for_update``, 403 unless the user may change it."""
    return get_or_404(Task, task_id, "update_task" if for_update else None)


def get_meeting_or_404(meeting_id):
    return get_or_404(Meeting, meeting_id)


@bp.app_template_global("task_overdue")
def task_overdue(task):
    return services.is_overdue(task, vn_today())


@bp.app_template_global("task_status_label")
def task_status_label(status):
    return labels.task_status_label(status)


def _department_choices():
    return [
        SelectChoice(d.id, d.name)
        for d in db.session.scalars(
            select(Department).where(Department.active.is_(True)).order_by(Department.name)
        )
    ]


def _status_form(task):
    form = TaskStatusForm(
        prefix=f"task{task.id}", data={"status": task.status, "note": task.status_note}
    )
    form.status.choices = [SelectChoice(s, task_status_label(s)) for s in TASK_STATUSES]
    return form


@bp.app_template_global("task_status_form")
def task_status_form(task):
    """The inline status form of a task row."""
    return _status_form(task)


# --- Meetings ---------------------------------------------------------------------------------


@bp.route("/meetings")
def list_meetings():
    """Meetings, newest first, and the open tasks: department staff see their own department's;
    others may filter by ``department`` (an id). htmx requests (the filter) get the tasks only."""
    own_only = can(current_user, "own_department_only")
    department_id = (
        department_scope(current_user) if own_only else arg_int(request.args, "department")
    )
    unit_id = unit_scope(current_user)
    tasks = services.open_tasks(vn_today(), department_id=department_id, unit_id=unit_id)
    meetings = list(
        db.session.scalars(
            select(Meeting)
            .where(*unit_condition(Meeting.unit_id, unit_id))
            .order_by(Meeting.date.desc(), Meeting.id.desc())
            .limit(100)
        )
    )
    return htmx.render(
        "meetings/list.html",
        "meetings/_tasks_panel.html",
        meetings=meetings,
        tasks=tasks,
        department_id=department_id,
        departments=[] if own_only else _department_choices(),
        can_record=can(current_user, "record_meetings"),
    )


@bp.route("/meetings/new", methods=["GET", "POST"])
@requires("record_meetings")
def create_meeting():
    """Record a review meeting; its tasks are added on the meeting's page."""
    form = MeetingForm()
    form.unit.offer(current_user)
    if request.method == "GET":
        form.date.data = vn_today()
    if form.validate_on_submit():
        return save(
            lambda: services.create_meeting(
                **_meeting_values(form), unit_id=form.unit.unit_id(current_user)
            ),
            form,
            lambda _refusal: _meeting_form(form, None),
            lambda meeting: _meeting_saved(
                meeting, _("The meeting was recorded. Now assign its tasks.")
            ),
            "unit",
        )
    return _meeting_form(form, None)


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@requires("record_meetings")
def edit_meeting(meeting_id):
    """Correct a meeting's date, chair, participants or conclusions."""
    meeting = get_meeting_or_404(meeting_id)
    form = MeetingForm(obj=meeting)
    if form.validate_on_submit():
        services.update_meeting(meeting, **_meeting_values(form))
        return _meeting_saved(meeting, _("The meeting was saved."))
    return _meeting_form(form, meeting)


def _meeting_values(form):
    """What the meeting form gives ``services.create_meeting`` and ``update_meeting``."""
    return {
        "date_": form.date.data,
        "chair": form.chair.data,
        "participants": form.participants.data,
        "conclusions": form.conclusions.data,
        "user": current_user,
    }


def _meeting_saved(meeting, message):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("meetings.show_meeting", meeting_id=meeting.id), code=303)


def _meeting_form(form, meeting):
    """The meeting form (a new meeting when ``meeting`` is None); 422 when a post was refused."""
    return htmx.render(
        "meetings/meeting_form.html",
        "meetings/_meeting_form.html",
        status=422 if request.method == "POST" else 200,
        form=form,
        meeting=meeting,
    )


@bp.route("/meetings/<int:meeting_id>")
def show_meeting(meeting_id):
    """A meeting's conclusions and tasks; recorders also get the form to assign a task."""
    meeting = get_meeting_or_404(meeting_id)
    form = None
    if can(current_user, "record_meetings"):
        form = TaskForm()
        form.department_id.choices = _department_choices()
    return htmx.render(
        "meetings/show.html", "meetings/_meeting_tasks.html", meeting=meeting, form=form
    )


@bp.route("/meetings/<int:meeting_id>/tasks", methods=["POST"])
@requires("record_meetings")
def add_task(meeting_id):
    """Assign a task of the meeting to a department; htmx gets the meeting's task list back."""
    meeting = get_meeting_or_404(meeting_id)
    form = TaskForm()
    form.department_id.choices = _department_choices()
    if form.validate_on_submit():
        services.add_task(
            meeting,
            department_id=form.department_id.data,
            description=form.description.data,
            deadline=form.deadline.data,
            user=current_user,
        )
        db.session.commit()
        if not htmx.wants_fragment():
            flash(_("The task was assigned."), "success")
            return redirect(url_for("meetings.show_meeting", meeting_id=meeting.id), code=303)
        db.session.refresh(meeting)
        form = TaskForm(formdata=None)
        form.department_id.choices = _department_choices()
        return htmx.render(
            "meetings/show.html", "meetings/_meeting_tasks.html", meeting=meeting, form=form
        )
    return htmx.render(
        "meetings/show.html", "meetings/_meeting_tasks.html", status=422, meeting=meeting, form=form
    )


# --- Tasks ------------------------------------------------------------------------------------


@bp.route("/tasks/<int:task_id>/status", methods=["POST"])
def update_task_status(task_id):
    """Set a task's status (``open``, ``in_progress``, ``done``) with a note. Department staff
    may change only their own department's tasks. htmx gets the task's row back; otherwise a
    303 to ``next`` (a path of this site) or to the meeting."""
    task = get_task_or_404(task_id, for_update=True)
    form = TaskStatusForm(prefix=f"task{task.id}")
    form.status.choices = [SelectChoice(s, task_status_label(s)) for s in TASK_STATUSES]

    def answer(_refusal=None):
        return htmx.render(
            "meetings/_task_row_page.html",
            "meetings/_task_row.html",
            status=422,
            task=task,
            status_form=form,
        )

    def done(_task):
        if htmx.wants_fragment():
            return htmx.render(
                "meetings/_task_row_page.html",
                "meetings/_task_row.html",
                task=task,
                status_form=_status_form(task),
                saved=True,
            )
        flash(_("The task's status was saved."), "success")
        fallback = url_for("meetings.show_meeting", meeting_id=task.meeting_id)
        return redirect(safe_next(request.form.get("next"), fallback), code=303)

    if not form.validate_on_submit():
        return answer()
    return save(
        lambda: services.set_task_status(task, form.status.data, form.note.data, user=current_user),
        form,
        answer,
        done,
    )


# --- Home panels ------------------------------------------------------------------------------


def _department_tasks_panel(user):
    if not user.department_id:
        return None
    return {"tasks": services.open_tasks(vn_today(), department_id=user.department_id)}


def _overdue_panel(user):
    tasks = services.open_tasks(vn_today(), overdue_only=True, unit_id=unit_scope(user))
    return {"tasks": tasks} if tasks else None


register_panel("own_department_only", "meetings/_home_tasks.html", _department_tasks_panel)
register_panel("record_meetings", "meetings/_home_overdue.html", _overdue_panel)
