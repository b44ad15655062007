"""Who may do what: deny by default, policy decorators on views, ownership checks in loaders.

Every view needs a logged-in user unless marked ``@public``. Permissions are asked one way:
``can(user, action, obj=None)`` over the table ``PERMISSIONS`` (docs/roles.md, *What each role may
open or change*), by views (``@requires(action)`` and loaders), services and templates (``can`` is
a Jinja global). No other module compares roles.
"""

import logging
from functools import wraps

from flask import abort, request
from flask_login import current_user

from extensions import db
from models import Brief, Dossier, HandoverBatch, HandoverItem, Meeting, Role, Shipment, Task

# The records that belong to a unit through their own ``unit_id``.
UNIT_RECORDS = (Brief, Dossier, HandoverBatch, Meeting, Shipment)

security_log = logging.getLogger("bcci.security")

_A, _C, _D, _L = Role.ADMIN, Role.CENTRE, Role.DEPARTMENT, Role.LEADER

# Each action names the roles that may take it. For department staff, an action asked about a
# record (``obj``) also needs the record to be their own department's.
PERMISSIONS = {
    "administer": (_A,),  # users, departments, fields, organisation settings, audit log
    # Units, their settings and the procedures each handles: province-wide users only (below).
    "administer_units": (_A,),
    "province_rollup": (_A, _L),  # every unit's figures side by side (province-wide users)
    "edit_rubric": (_A,),
    "edit_catalogue": (_A, _C, _D),  # add, edit, retire, reinstate and import procedures
    "note_fields": (_A, _C),  # a field's postal note
    "read_import_problems": (_A, _C, _D),  # the bad rows of a refused import
    "list_dossiers": (_A, _C, _L),
    "open_dossier": (_A, _C, _L, _D),
    "import_dossiers": (_A, _C),
    "list_shipments": (_A, _C, _L),
    "open_shipment": (_A, _C, _L, _D),
    "edit_shipments": (_A, _C),  # log, correct, cancel, import, export with personal data
    "see_personal_data": (_A, _C),  # in full, on a shipment's own page
    "reconcile": (_A, _C, _D),
    "hand_over": (_A, _C),  # hand-over records with the postal worker
    "read_briefs": (_A, _C, _L),
    "issue_briefs": (_A, _L),  # and withdraw them
    # The province's brief (every unit's figures): prepared and issued as a unit's brief is,
    # by province-wide users only (below).
    "read_province_briefs": (_A, _C, _L),
    "issue_province_briefs": (_A, _L),  # and withdraw them
    "record_meetings": (_A, _C, _L),  # and assign tasks
    "update_task": (_A, _C, _L, _D),
    # Not a permission but a limit: these roles see and change their own department's records.
    "own_department_only": (_D,),
    # Nor this: these roles keep the province's catalogue and see every unit (utils.units).
    "every_unit": (_D,),
}

# Actions only province-wide users (``User.province_wide``) may take, whatever their role allows.
PROVINCE_WIDE_ONLY = frozenset(
    {"administer_units", "province_rollup", "read_province_briefs", "issue_province_briefs"}
)


def can(user, action, obj=None):
    """May ``user`` take ``action`` (a key of ``PERMISSIONS``; ``None``: anything everyone
    logged in may do), on ``obj`` when given?

    ``obj`` is a department id or a record that belongs to a department (a procedure, a task,
    a dossier, a shipment); department staff may act only on their own department's.
    """
    if not getattr(user, "is_authenticated", False) or user.role not in who_may(action):
        return False
    if action in PROVINCE_WIDE_ONLY and not getattr(user, "province_wide", False):
        return False
    if obj is None or user.role not in PERMISSIONS["own_department_only"]:
        return True
    return department_of(obj) == user.department_id


def who_may(action):
    """The roles allowed ``action``; every role for ``None`` (anyone logged in)."""
    return tuple(Role) if action is None else PERMISSIONS[action]


def department_of(obj):
    """The department a record belongs to: its own, its procedure's or its dossier's."""
    if isinstance(obj, int):
        return obj
    if hasattr(obj, "department_id"):
        return obj.department_id
    if hasattr(obj, "procedure"):
        return obj.procedure.department_id
    return obj.dossier.procedure.department_id


def department_scope(user):
    """The department ``user``'s lists and totals are limited to, or ``None`` for all of them."""
    return user.department_id if can(user, "own_department_only") else None


def public(view):
    """Mark a view as reachable without logging in."""
    view.is_public = True
    return view


def refuse(status=403):
    """Log a refused access (no secrets, no personal data) and abort."""
    security_log.warning(
        "access refused: user=%s role=%s endpoint=%s method=%s status=%s",
        getattr(current_user, "username", "-") if current_user.is_authenticated else "-",
        getattr(current_user, "role", "-") if current_user.is_authenticated else "-",
        request.endpoint,
        request.method,
        status,
    )
    abort(status)


def requires(action):
    """Allow the view only to users who ``can`` take ``action`` (401 if not logged in)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                refuse(401)
            if not can(current_user, action):
                refuse(403)
            return view(*args, **kwargs)

        wrapped.allowed_action = action
        return wrapped

    return decorator


def unit_of(obj):
    """The unit a record belongs to (a dossier, shipment, hand-over record, meeting or brief:
    its own; a task: its meeting's; a hand-over item: its record's), or ``None`` for a record
    of the province (a procedure, a department…)."""
    if isinstance(obj, UNIT_RECORDS):
        return obj.unit_id
    if isinstance(obj, Task):
        return obj.meeting.unit_id
    if isinstance(obj, HandoverItem):
        return obj.batch.unit_id
    return None


def in_unit_scope(user, obj):
    """Whether ``obj`` is in the unit ``user`` is limited to (``utils.units.unit_scope``): always
    for a user who sees every unit, and for a record of the province."""
    from utils.units import unit_scope

    scope = unit_scope(user)
    if scope is None:
        return True
    unit = unit_of(obj)
    return unit is None or unit == scope


def get_or_404(model, object_id, action=None):
    """The ``model`` row with ``object_id``, or 404; 404 too for another unit's record than the
    unit the user is limited to (as a record that does not exist); with ``action``, 403 unless
    the user may do that to it."""
    obj = db.session.get(model, object_id)
    if obj is None or not in_unit_scope(current_user, obj):
        abort(404)
    if action is not None and not can(current_user, action, obj):
        refuse(403)
    return obj
