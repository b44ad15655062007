"""Users, passwords and server-side login sessions. Services add and flush; views commit."""

import logging
import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from extensions import db
from models import ROLES, Department, LoginSession, Role, Unit, User, utcnow
from utils import audit, units
from utils.access import who_may
from utils.errors import Refusal
from utils.text import nfc

security_log = logging.getLogger("bcci.security")

MIN_PASSWORD_LENGTH = 10
# A hash to compare against when the username is unknown, so both failures take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


# Each rule on users and passwords: the form field it concerns and its one message, said alike
# by the web forms and the command line (``flask users create``).
USER_RULES = {
    "invalid_username": (
        "username",
        _l("The username may hold only letters, digits, '.', '_' and '-'."),
    ),
    "invalid_role": ("role", _l("Choose a role.")),
    "department_required": ("department", _l("Department staff need a department.")),
    "unknown_department": ("department", _l("Choose an active department.")),
    "username_taken": ("username", _l("That username is taken.")),
    "password_too_short": ("password", _l("The password must have at least 10 characters.")),
    "wrong_current_password": ("current", _l("The current password is not correct.")),
    "cannot_change_own_role": ("role", _l("You cannot change your own role.")),
    "cannot_deactivate_self": (None, _l("You cannot deactivate your own account.")),
    "last_admin": ("role", _l("At least one active administrator must remain.")),
    "cannot_change_own_unit": ("unit", _l("You cannot change your own unit.")),
    "outside_unit": (
        "role",
        _l(
            "An administrator of a unit manages that unit's staff only, neither department staff "
            "nor users who see every unit."
        ),
    ),
}


def refusal(rule):
    """The ``Refusal`` (422) of one of ``USER_RULES``, on its field."""
    field, message = USER_RULES[rule]
    return Refusal(message, field)


def hash_password(password):
    return generate_password_hash(password, method="scrypt")


def authenticate(username, password):
    """The active user with these credentials, or ``None`` (without telling which part failed)."""
    user = db.session.execute(
        select(User).where(User.username == nfc(username or "").lower())
    ).scalar_one_or_none()
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        return None
    return user


def start_session(user):
    """Create a new server-side login session for ``user``; returns its id."""
    sid = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(LoginSession(id=sid, user_id=user.id, created_at=now, last_seen_at=now))
    user.session_id = sid
    audit.record("login", "user", user.id, user=user)
    return sid


def end_session(sid, user=None):
    """Revoke the login session ``sid`` (a copied cookie is refused from now on)."""
    row = db.session.get(LoginSession, sid) if sid else None
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record("logout", "user", row.user_id, user=user)


def revoke_other_sessions(user, keep_sid=None):
    """Revoke every open session of ``user`` but ``keep_sid`` (after a password change)."""
    rows = db.session.scalars(
        select(LoginSession).where(
            LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None)
        )
    )
    for row in rows:
        if row.id != keep_sid:
            row.revoked_at = utcnow()


def validate_password(password):
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise refusal("password_too_short")


def change_password(user, current, new):
    """Change ``user``'s password after checking the current one; other sessions are revoked."""
    if not check_password_hash(user.password_hash, current or ""):
        raise refusal("wrong_current_password")
    validate_password(new)
    user.password_hash = hash_password(new)
    revoke_other_sessions(user, keep_sid=getattr(user, "session_id", None))
    audit.record("password_change", "user", user.id, user=user)


def create_user(
    username,
    role,
    password,
    department_code=None,
    full_name="",
    actor=None,
    unit_code=None,
    province_wide=False,
):
    """Create a user (department staff in an active department), bound to the unit of
    ``unit_code`` or province-wide (``utils.units.user_unit``; neither is needed on a one-unit
    deployment).

    :raise Refusal: unknown role, missing or unknown department, username taken, weak password,
        unknown unit, no unit on a deployment of several units.
    """
    username = nfc(username or "").lower()
    if not username or not username.replace(".", "").replace("_", "").replace("-", "").isalnum():
        raise refusal("invalid_username")
    department = _role_department(role, department_code)
    if db.session.execute(select(User.id).where(User.username == username)).first():
        raise refusal("username_taken")
    validate_password(password)
    unit_id = units.user_unit(unit_code, province_wide, role)
    _check_reach(actor, role, unit_id, province_wide)
    user = User(
        username=username,
        role=role,
        full_name=nfc(full_name or ""),
        department_id=department.id if department else None,
        password_hash=hash_password(password),
        unit_id=unit_id,
        province_wide=bool(province_wide),
    )
    db.session.add(user)
    db.session.flush()
    new = {"username": username, "role": role, "department": department_code}
    if unit_id is not None or province_wide:  # a one-unit deployment's trail stays as it was
        new.update(unit=unit_code or None, province_wide=bool(province_wide))
    audit.record("user_create", "user", user.id, new=new, user=actor)
    return user


def set_locale(user, locale):
    if locale in ("vi", "en") and user.locale != locale:
        audit.record(
            "user_locale",
            "user",
            user.id,
            old={"locale": user.locale},
            new={"locale": locale},
            user=user,
        )
        user.locale = locale


def _role_department(role, department_code, keep_id=None):
    """The department of a user with ``role`` (None unless department staff): it must exist and
    be active, or be the user's present one (``keep_id``).

    :raise Refusal: unknown role, a missing, unknown or retired department.
    """
    if role not in ROLES:
        raise refusal("invalid_role")
    if role != Role.DEPARTMENT:
        return None
    if not department_code:
        raise refusal("department_required")
    department = db.session.execute(
        select(Department).where(Department.code == department_code)
    ).scalar_one_or_none()
    if department is None or (not department.active and department.id != keep_id):
        raise refusal("unknown_department")
    return department


def _active_admins():
    return db.session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.ADMIN.value, User.active.is_(True))
    )


def user_values(user):
    """What the audit trail records of a user (never the password hash)."""
    return {
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role,
        "department": user.department.code if user.department else None,
        "active": user.active,
    }


def update_user(
    user,
    role,
    department_code=None,
    full_name="",
    actor=None,
    unit_code=None,
    province_wide=None,
):
    """Change a user's role, department and name, and, when ``unit_code`` or ``province_wide``
    is given, their unit (``utils.units.user_unit``: a unit, or province-wide).

    Department staff need an active department; other roles have none. Nobody changes their
    own role or unit, and the last active administrator stays one (so administration is never
    locked).

    :raise Refusal: unknown role or department, a missing department, one's own role or unit,
        the last admin, an unknown unit, no unit on a deployment of several units.
    """
    department = _role_department(role, department_code, keep_id=user.department_id)
    if role != user.role:
        if actor is not None and actor.id == user.id:
            raise refusal("cannot_change_own_role")
        if user.role == Role.ADMIN and user.active and _active_admins() <= 1:
            raise refusal("last_admin")
    old = user_values(user)
    old_unit = _unit_values(user)
    if unit_code is not None or province_wide is not None:
        unit_id = units.user_unit(unit_code, province_wide, role)
        if (unit_id, bool(province_wide)) != (user.unit_id, user.province_wide):
            if actor is not None and actor.id == user.id:
                raise refusal("cannot_change_own_unit")
            user.unit_id, user.province_wide = unit_id, bool(province_wide)
    _check_reach(actor, role, user.unit_id, user.province_wide)
    user.role = role
    user.department = department
    user.full_name = nfc(full_name or "").strip()
    db.session.flush()
    old, new = audit.diff({**old, **old_unit}, {**user_values(user), **_unit_values(user)})
    if new:
        audit.record("user_update", "user", user.id, old, new, user=actor)


def _check_reach(actor, role, unit_id, province_wide):
    """An administrator bound to a unit (on a deployment of several) makes and keeps users of
    that unit only: neither department staff nor province-wide users, who see every unit.

    :raise Refusal: a user outside the actor's unit.
    """
    if actor is None or not units.several_units():
        return
    scope = units.unit_scope(actor)
    if scope is None:
        return
    if province_wide or role in who_may("every_unit") or unit_id != scope:
        raise refusal("outside_unit")


def _unit_values(user):
    """A user's unit as the audit trail records it (its code, or none) and whether they are
    province-wide."""
    code = db.session.get(Unit, user.unit_id).code if user.unit_id else None
    return {"unit": code, "province_wide": user.province_wide}


def set_user_active(user, active, actor=None):
    """Deactivate (every open login session of the user is revoked at once) or reactivate a user.

    :raise Refusal: deactivating oneself, or the last active administrator.
    """
    if user.active == active:
        return
    if not active:
        if actor is not None and actor.id == user.id:
            raise refusal("cannot_deactivate_self")
        if user.role == Role.ADMIN and _active_admins() <= 1:
            raise refusal("last_admin")
        revoke_other_sessions(user)
    user.active = active
    audit.record_active("user", user.id, active, user=actor)


def reset_password(user, new, actor=None):
    """Set a new password chosen by an administrator; the user's open sessions are revoked.

    :raise Refusal: the password is too short.
    """
    validate_password(new)
    user.password_hash = hash_password(new)
    revoke_other_sessions(user)
    # The audit trail says it happened, never what the password is.
    audit.record("password_reset", "user", user.id, user=actor)
