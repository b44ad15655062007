"""Panels other features add to the home page, per role.

A feature registers ``register_panel(action, template, context)`` at import (``action`` a key of
``utils.access.PERMISSIONS``, or ``None`` for everyone logged in); ``context`` is a
function of the user returning the template's variables (or ``None`` to hide the panel). A panel
whose figures depend on a period registers with ``period=True``: its context is then called with
the home page's period as well (the organisation's default), which the page shows once.
"""

from flask_login import current_user

from utils.access import can

_PANELS = []


def register_panel(action, template, context, period=False):
    _PANELS.append((action, template, context, period))


def panels_for(user=None, period=None):
    """``[(template, variables)]`` for the user's role, in registration order."""
    user = user or current_user
    out = []
    for action, template, context, wants_period in _PANELS:
        if can(user, action):
            values = context(user, period) if wants_period else context(user)
            if values is not None:
                out.append((template, values))
    return out
