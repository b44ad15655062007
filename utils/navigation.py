"""The main menu: each entry names its endpoint and the roles that see it.

An entry whose endpoint is not registered is left out, so the menu never links to nothing.
The same roles are enforced on the views by ``utils.access.roles_required``.
"""
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import current_user

ALL = ("admin", "centre", "department", "leader")

NAV = (
    ("main.home", _l("Home"), ALL),
    ("dashboard.show_dashboard", _l("Dashboard"), ALL),
    ("procedures.list_procedures", _l("Procedures"), ALL),
    ("procedures.outreach", _l("Outreach list"), ALL),
    ("dossiers.list_dossiers", _l("Dossiers"), ("admin", "centre", "leader")),
    ("postal.list_shipments", _l("Postal shipments"), ("admin", "centre", "leader")),
    ("postal.reconciliation", _l("Reconciliation"), ("admin", "centre", "department")),
    ("handover.list_batches", _l("Hand-over records"), ("admin", "centre")),
    ("meetings.list_meetings", _l("Meetings and tasks"), ALL),
    ("briefs.list_briefs", _l("Meeting briefs"), ("admin", "centre", "leader")),
    ("admin.index", _l("Administration"), ("admin",)),
)


def menu():
    """``[(endpoint, label)]`` for the logged-in user."""
    if not current_user.is_authenticated:
        return []
    endpoints = current_app.view_functions
    return [(ep, label) for ep, label, roles in NAV
            if current_user.role in roles and ep in endpoints]
