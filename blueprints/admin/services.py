"""Administration: departments, fields, the organisation's settings, and reading the audit trail.

Mutations add and flush, never commit, and record an audit event with old and new values in the
caller's transaction. Users are managed by ``blueprints.auth.services``.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from extensions import db
from models import FIRST_UNIT_ID, AuditEvent, Department, Field, OrgSettings, User
from utils import audit
from utils.dates import VN_TZ
from utils.errors import Refusal
from utils.pages import numbered_page
from utils.text import escape_like, fold, nfc

DEPARTMENT_CODE = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,39}$")
DEPARTMENT_FIELDS = ("code", "name", "active")
FIELD_FIELDS = ("name", "postal_note")
SETTINGS_FIELDS = (
    "parent_agency",
    "unit_name",
    "place_name",
    "signer_name",
    "signer_title",
    "doc_prefix",
    "recipients",
    "address",
    "opening_hours",
    "retention_months",
    "public_list_enabled",
    "default_period_from",
    "default_period_to",
)
AUDIT_PAGE_SIZE = 50


NAME_REQUIRED = _l("Enter a name.")


def _clean(text):
    return nfc(text or "").strip()


# --- departments ------------------------------------------------------------------------------


def list_departments():
    return db.session.scalars(
        select(Department).order_by(Department.active.desc(), Department.code)
    ).all()


def active_departments():
    return db.session.scalars(
        select(Department).where(Department.active.is_(True)).order_by(Department.code)
    ).all()


def get_department_or_404(department_id):
    return db.get_or_404(Department, department_id)


def create_department(code, name):
    """:raise Refusal: a malformed or taken code, an empty name."""
    code = _clean(code).upper()
    name = _clean(name)
    if not DEPARTMENT_CODE.match(code):
        raise Refusal(
            _l("A code has capital letters, digits, '.', '_' or '-' (at most 40)."), "code"
        )
    if db.session.scalar(select(Department.id).where(Department.code == code)):
        raise Refusal(_l("Another department has this code."), "code")
    if not name:
        raise Refusal(NAME_REQUIRED, "name")
    department = Department(code=code, name=name, name_folded=fold(name), active=True)
    return audit.add_created(department, "department_create", "department", DEPARTMENT_FIELDS)


def rename_department(department, name):
    """:raise Refusal: an empty name."""
    name = _clean(name)
    if not name:
        raise Refusal(NAME_REQUIRED, "name")
    old = audit.snapshot(department, DEPARTMENT_FIELDS)
    department.name = name
    department.name_folded = fold(name)
    old, new = audit.diff(old, audit.snapshot(department, DEPARTMENT_FIELDS))
    if new:
        audit.record("department_update", "department", department.id, old, new)


def set_department_active(department, active):
    """Retire a department (it is no longer offered for new users) or bring it back."""
    if department.active == active:
        return
    department.active = active
    audit.record_active("department", department.id, active)


# --- fields -----------------------------------------------------------------------------------


def list_fields():
    return db.session.scalars(select(Field).order_by(Field.name_folded)).all()


def get_field_or_404(field_id):
    return db.get_or_404(Field, field_id)


def _check_field_name(name, field_id=None):
    if not name:
        raise Refusal(NAME_REQUIRED, "name")
    taken = select(Field.id).where(Field.name == name)
    if field_id is not None:
        taken = taken.where(Field.id != field_id)
    if db.session.scalar(taken):
        raise Refusal(_l("Another field has this name."), "name")


def create_field(name, postal_note=""):
    """:raise Refusal: an empty or taken name."""
    name = _clean(name)
    _check_field_name(name)
    field = Field(name=name, name_folded=fold(name), postal_note=_clean(postal_note))
    return audit.add_created(field, "field_create", "field", FIELD_FIELDS)


def update_field(field, name, postal_note):
    """Rename a field and edit the centre's note on postal feasibility.

    :raise Refusal: an empty or taken name.
    """
    name = _clean(name)
    _check_field_name(name, field.id)
    old = audit.snapshot(field, FIELD_FIELDS)
    field.name = name
    field.name_folded = fold(name)
    field.postal_note = _clean(postal_note)
    old, new = audit.diff(old, audit.snapshot(field, FIELD_FIELDS))
    if new:
        audit.record("field_update", "field", field.id, old, new)


# --- organisation settings --------------------------------------------------------------------


def _check_settings(values):
    """:raise Refusal: see ``save_settings``."""
    months = values["retention_months"]
    if months is None or not 1 <= int(months) <= 240:
        raise Refusal(_l("Enter a number of months from 1 to 240."), "retention_months")
    if not _clean(values["doc_prefix"]):
        raise Refusal(_l("Enter the document-number prefix."), "doc_prefix")
    start, end = values.get("default_period_from"), values.get("default_period_to")
    if bool(start) != bool(end):
        raise Refusal(
            _l("Give both the first and the last day of the default period, or neither."),
            "default_period_to" if start else "default_period_from",
        )
    if start and start > end:
        raise Refusal(_l("The first day of the period is after its last day."), "default_period_to")


def _lines(text):
    return "\n".join(line.strip() for line in _clean(text).splitlines() if line.strip())


# How each setting is stored; text not listed here is trimmed (``_clean``).
SETTING_VALUES = {
    "retention_months": int,
    "public_list_enabled": bool,
    "default_period_from": lambda value: value or None,
    "default_period_to": lambda value: value or None,
    "recipients": _lines,
}


def save_settings(values, unit_id=FIRST_UNIT_ID):
    """Store unit ``unit_id``'s settings (creating its row, whose id is the unit's, the first
    time).

    :param values: a mapping of the ``SETTINGS_FIELDS``.
    :raise Refusal: a retention period outside 1–240 months, an empty document-number prefix,
        a default period with one date only or its first day after its last.
    """
    _check_settings(values)
    settings = db.session.get(OrgSettings, unit_id)
    created = settings is None
    if created:
        settings = OrgSettings(id=unit_id, unit_id=unit_id)
        db.session.add(settings)
        old = None
    else:
        old = audit.snapshot(settings, SETTINGS_FIELDS)
    for name in SETTINGS_FIELDS:
        setattr(settings, name, SETTING_VALUES.get(name, _clean)(values[name]))
    db.session.flush()
    new = audit.snapshot(settings, SETTINGS_FIELDS)
    if not created:
        old, new = audit.diff(old, new)
    if new:
        audit.record("settings_update", "org_settings", unit_id, old, new)
    return settings


# --- the audit trail --------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    """What the audit-log page is asked for; every part optional."""

    user_id: Optional[int] = None
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    date_from: Optional[date] = None
    date_to: Optional[date] = None


def _utc_bound(day):
    """Midnight of a Vietnam date, as the naive UTC the trail stores."""
    local = datetime.combine(day, time.min, tzinfo=VN_TZ)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def audit_query(flt):
    """The events matching ``flt``, newest first."""
    query = select(AuditEvent)
    if flt.user_id:
        query = query.where(AuditEvent.user_id == flt.user_id)
    if flt.action:
        query = query.where(AuditEvent.action == flt.action)
    if flt.object_type:
        query = query.where(AuditEvent.object_type == flt.object_type)
    if flt.object_id:
        query = query.where(
            AuditEvent.object_id.like(escape_like(flt.object_id.strip()), escape="\\")
        )
    if flt.date_from:
        query = query.where(AuditEvent.at >= _utc_bound(flt.date_from))
    if flt.date_to:
        query = query.where(AuditEvent.at < _utc_bound(flt.date_to + timedelta(days=1)))
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def audit_page(flt, page):
    """One page of the matching events (``utils.pages.Page``: ``items``, ``pages``, ``total``…);
    a page past the last one is empty."""
    return numbered_page(audit_query(flt), page, AUDIT_PAGE_SIZE, past_last="empty")


def audit_choices():
    """The values the filters offer: users who acted, actions and object types recorded."""
    users = [
        (i, full_name or username)
        for i, username, full_name in db.session.execute(
            select(User.id, User.username, User.full_name)
        )
    ]
    users.sort(key=lambda user: fold(user[1]))
    actions = db.session.scalars(
        select(AuditEvent.action).distinct().order_by(AuditEvent.action)
    ).all()
    types = db.session.scalars(
        select(AuditEvent.object_type)
        .where(AuditEvent.object_type != "")
        .distinct()
        .order_by(AuditEvent.object_type)
    ).all()
    return users, actions, types
