"""Panels other features add to the home page, per role.

A feature registers ``register_panel(roles, template, context)`` at import; ``context`` is a
function of the user returning the template's variables (or ``None`` to hide the panel).
"""
from flask_login import current_user

_PANELS = []


def register_panel(roles, template, context):
    _PANELS.append((tuple(roles), template, context))


def panels_for(user=None):
    """``[(template, variables)]`` for the user's role, in registration order."""
    user = user or current_user
    out = []
    for roles, template, context in _PANELS:
        if user.role in roles:
            values = context(user)
            if values is not None:
                out.append((template, values))
    return out
