"""The main menu: each entry names its endpoint and the action (``utils.access.PERMISSIONS``) a
user needs to see it, ``None`` for a page everyone logged in may open.

An entry whose endpoint is not registered is left out, so the menu never links to nothing.
The same actions are enforced on the views by ``utils.access.requires``. Entries that belong
together share a drop-down (``GROUPS``), so that the menu fits one row at 1366 px for every role;
a group a role sees only one entry of is shown as that entry.
"""

from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from utils.access import can, who_may

MENU = (
    ("main.home", _l("Home"), None),
    ("dashboard.show_dashboard", _l("Dashboard"), None),
    ("procedures.list_procedures", _l("Procedures"), None),
    ("procedures.outreach", _l("Outreach list"), None),
    ("dossiers.list_dossiers", _l("Dossiers"), "list_dossiers"),
    ("postal.list_shipments", _l("Postal shipments"), "list_shipments"),
    ("postal.reconciliation", _l("Reconciliation"), "reconcile"),
    ("handover.list_batches", _l("Hand-over records"), "hand_over"),
    ("meetings.list_meetings", _l("Meetings and tasks"), None),
    ("briefs.list_briefs", _l("Meeting briefs"), "read_briefs"),
    ("admin.index", _l("Administration"), "administer"),
)
# The same entries with the roles that see them.
NAV = tuple((endpoint, label, who_may(action)) for endpoint, label, action in MENU)


GROUPS = {
    "procedures.list_procedures": _l("Procedures"),
    "procedures.outreach": _l("Procedures"),
    "postal.list_shipments": _l("Post"),
    "postal.reconciliation": _l("Post"),
    "handover.list_batches": _l("Post"),
    "meetings.list_meetings": _l("Meetings"),
    "briefs.list_briefs": _l("Meetings"),
}


@dataclass
class MenuGroup:
    """A drop-down of the menu: its label and its ``[(endpoint, label)]``."""

    label: str
    entries: list = field(default_factory=list)

    @property
    def endpoints(self):
        return [ep for ep, _label in self.entries]


def entries():
    """``[(endpoint, label)]`` the logged-in user may open, in the menu's order."""
    if not current_user.is_authenticated:
        return []
    endpoints = current_app.view_functions
    return [
        (ep, label) for ep, label, action in MENU if can(current_user, action) and ep in endpoints
    ]


def menu():
    """The logged-in user's menu: ``(endpoint, label)`` entries and ``MenuGroup`` drop-downs."""
    items, groups = [], {}
    for ep, label in entries():
        name = GROUPS.get(ep)
        if name is None:
            items.append((ep, label))
            continue
        key = str(name)
        if key not in groups:
            groups[key] = MenuGroup(name)
            items.append(groups[key])
        groups[key].entries.append((ep, label))
    return [
        item.entries[0] if isinstance(item, MenuGroup) and len(item.entries) == 1 else item
        for item in items
    ]
