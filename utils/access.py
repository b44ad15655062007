"""Who may do what: deny by default, policy decorators on views, ownership checks in loaders.

Every view needs a logged-in user unless marked ``@public``; role checks stack as decorators.
"""
import logging
from functools import wraps

from flask import abort, request
from flask_login import current_user

security_log = logging.getLogger("bcci.security")

EDIT_ALL_ROLES = ("admin", "centre")


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
        request.endpoint, request.method, status,
    )
    abort(status)


def roles_required(*roles):
    """Allow the view only to users whose role is in ``roles``."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                refuse(401)
            if current_user.role not in roles:
                refuse(403)
            return view(*args, **kwargs)
        wrapped.allowed_roles = roles
        return wrapped
    return decorator


def can_edit_department(user, department_id):
    """Centre staff and administrators edit everything; department staff only their own."""
    if not user.is_authenticated:
        return False
    if user.role in EDIT_ALL_ROLES:
        return True
    return user.role == "department" and user.department_id == department_id


def can_edit_procedure(user, procedure):
    """May ``user`` change ``procedure`` (department staff: their own department's only)?"""
    return can_edit_department(user, procedure.department_id)


def sees_personal_data(user):
    """Centre staff and administrators may see citizens' personal data on a shipment's page."""
    return user.is_authenticated and user.role in EDIT_ALL_ROLES
