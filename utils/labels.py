"""Translated labels for the product's codes (roles, channels, directions, audit actions,
HTTP errors)."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext


# A list writes one or more of these per row: each call translates only its own label (lazy
# strings, looked up in the request's language when written).
ROLES = {
    "admin": _l("Administrator"),
    "centre": _l("Centre staff"),
    "department": _l("Department staff"),
    "leader": _l("Leader"),
}
CHANNELS = {
    "truc_tiep": _l("In person"),
    "truc_tuyen": _l("Online"),
    "bcci": _l("By post (BCCI)"),
}
HANDOVER_STATUSES = {"draft": _l("Draft"), "signed": _l("Signed"), "voided": _l("Voided")}
TASK_STATUSES = {"open": _l("Not started"), "in_progress": _l("In progress"), "done": _l("Done")}


def role_label(role):
    return label_or_code(ROLES, role)


def channel_label(channel):
    return label_or_code(CHANNELS, channel or "—")


def handover_status_label(status):
    return label_or_code(HANDOVER_STATUSES, status)


def task_status_label(status):
    return label_or_code(TASK_STATUSES, status)


# A list of units writes two of these per row: each call translates only its own label.
UNIT_LEVELS = {
    "tinh": _l("Province level"),
    "xa": _l("Commune level"),
    "ca_hai": _l("Both levels"),
}
UNIT_KINDS = {"trung_tam": _l("Centre"), "chi_nhanh": _l("Branch"), "diem": _l("Service point")}


def unit_level_label(level):
    """A unit's level, or the level(s) of the procedures a unit handles."""
    label = UNIT_LEVELS.get(level)
    return level if label is None else str(label)


def unit_kind_label(kind):
    label = UNIT_KINDS.get(kind)
    return kind if label is None else str(label)


UNIT_HANDLING = {
    "added": _l("Added for the unit"),
    "removed": _l("Removed for the unit"),
    "level": _l("As the unit's level says"),
}


def unit_handling_label(handling):
    """Whether a unit handles a procedure: as its level says, added or removed for the unit."""
    return label_or_code(UNIT_HANDLING, handling)


def locale_label(locale):
    return {"vi": "Tiếng Việt", "en": "English"}.get(locale, locale)


def department_label(department):
    """A department as the interface writes it wherever its code shows: "CODE – Name"."""
    if department is None:
        return "—"
    return f"{department.code} – {department.name}"


def record_number(number, kind, prefix):
    """A numbered document's number as it is printed (Nghị định 30/2020/NĐ-CP): ``03/BB-TTHCC``.
    Screens write it the same way."""
    return f"{int(number):02d}/{kind}-{prefix}"


def handover_number(number, prefix=None):
    """A signed hand-over record's number as its PDF prints it; ``prefix``: the settings' one."""
    if prefix is None:
        from utils.settings import get_settings

        prefix = get_settings().doc_prefix
    return record_number(number, "BB", prefix)


def unit_prefix(record):
    """The document-number prefix of ``record``'s unit (a brief, a hand-over record)."""
    from utils.settings import get_settings

    return get_settings(record.unit_id).doc_prefix


def handover_title(batch):
    """How screens name a hand-over record: its number, or the draft's day (never an id)."""
    from utils.formats import dmy

    if batch.number:
        return _("Number %(number)s", number=handover_number(batch.number, unit_prefix(batch)))
    return _("Draft of %(day)s", day=dmy(batch.day))


DIRECTIONS = {
    "tiep_nhan": _l("Dossier received by post"),
    "tra_ket_qua": _l("Result returned by post"),
}


def direction_label(direction):
    return label_or_code(DIRECTIONS, direction)


# Every action code the code records (``audit.record``): the audit log shows these labels and
# keeps the code beside them. ``tests/test_audit_labels.py`` fails on a recorded code missing here.
ACTION_LABELS = {
    "login": _l("Logged in"),
    "logout": _l("Logged out"),
    "password_change": _l("Password changed"),
    "password_reset": _l("Password reset by an administrator"),
    "user_create": _l("User created"),
    "user_update": _l("User changed"),
    "user_activate": _l("User reactivated"),
    "user_deactivate": _l("User deactivated"),
    "user_locale": _l("Interface language changed"),
    "user_bound_to_unit": _l("User bound to the first unit (a second unit was added)"),
    "unit_create": _l("Unit created"),
    "unit_update": _l("Unit changed"),
    "unit_activate": _l("Unit reactivated"),
    "unit_deactivate": _l("Unit deactivated"),
    "unit_procedure": _l("Procedure added or removed for a unit"),
    "department_create": _l("Department created"),
    "department_update": _l("Department changed"),
    "department_activate": _l("Department reactivated"),
    "department_deactivate": _l("Department retired"),
    "field_create": _l("Field created"),
    "field_update": _l("Field changed"),
    "field_note": _l("Field's postal note changed"),
    "settings_update": _l("Organisation settings changed"),
    "procedure_create": _l("Procedure added"),
    "procedure_update": _l("Procedure details changed"),
    "procedure_eligibility": _l("Postal eligibility changed"),
    "procedure_bulk_eligibility": _l("Postal eligibility changed in bulk"),
    "procedure_retire": _l("Procedure retired"),
    "procedure_reinstate": _l("Procedure put back in force"),
    "procedure_import": _l("Procedures imported"),
    "procedure_import_update": _l("Procedure changed by an import"),
    "dossier.create": _l("Dossier created"),
    "dossier.import": _l("Dossiers imported"),
    "dossier.import_update": _l("Dossier changed by an import"),
    "shipment.create": _l("Shipment logged"),
    "shipment.update": _l("Shipment corrected"),
    "shipment.cancel": _l("Shipment cancelled"),
    "shipment.import": _l("Postal manifest imported"),
    "shipment.import_update": _l("Shipment changed by a manifest import"),
    "shipment.export_personal": _l("Shipments exported with personal data"),
    "shipment.purge_personal_data": _l("Personal data purged after the retention period"),
    "handover.create": _l("Hand-over record drafted"),
    "handover.add_item": _l("Shipment added to a hand-over record"),
    "handover.remove_item": _l("Shipment taken out of a hand-over record"),
    "handover.item_counts": _l("Originals and copies noted in a hand-over record"),
    "handover.sign": _l("Hand-over record signed"),
    "handover.void": _l("Hand-over record voided"),
    "handover.discard": _l("Hand-over draft discarded"),
    "handover.print": _l("Hand-over record printed"),
    "rubric.create": _l("Rubric version created"),
    "rubric.update": _l("Rubric version corrected"),
    "rubric.freeze": _l("Rubric version frozen by an issued brief"),
    "brief.issue": _l("Brief issued"),
    "brief.withdraw": _l("Brief withdrawn"),
    "meeting.create": _l("Meeting recorded"),
    "meeting.update": _l("Meeting record corrected"),
    "task.create": _l("Task assigned"),
    "task.status": _l("Task status updated"),
}


def label_or_code(labels, code):
    """The translated label of ``code`` in ``labels`` (the code itself when it has none)."""
    label = labels.get(code)
    return str(label) if label is not None else code


def action_label(action):
    """The translated label of an audit action code (the code itself when it has none)."""
    return label_or_code(ACTION_LABELS, action)


def error_title(status):
    return {
        400: _("Bad request"),
        401: _("Please log in"),
        403: _("Not allowed"),
        404: _("Not found"),
        405: _("Not allowed"),
        409: _("Conflict"),
        413: _("File too large"),
        422: _("Invalid input"),
        429: _("Too many attempts"),
        500: _("Something went wrong"),
    }.get(status, _("Error"))


def error_text(status, message=None):
    if message == "csrf":
        return _(
            "The form has expired or did not come from this application. Reload the page and try again."
        )
    return {
        400: _("The request could not be understood."),
        401: _("Your session has ended. Log in again to continue."),
        403: _("You do not have permission to do this."),
        404: _("The page or record you asked for does not exist."),
        405: _("This action is not available here."),
        409: _("Someone else changed this record meanwhile."),
        413: _("The file is larger than this application accepts."),
        422: _("Some values are not valid. Check the form and try again."),
        429: _("Too many failed attempts. Wait a minute and try again."),
        500: _("The error has been logged. Try again, or tell the administrator."),
    }.get(status, "")


def next_band_text(criterion):
    """What the next band needs, in plain words."""
    from utils.formats import number, points

    gap, n = criterion.gap, number(criterion.gap)
    p = points(criterion.next_band.points)
    if criterion.code == "C1":
        return ngettext(
            "%(n)s more procedure with postal activity is needed to reach %(p)s points.",
            "%(n)s more procedures with postal activity are needed to reach %(p)s points.",
            gap,
            n=n,
            p=p,
        )
    if criterion.code == "C2":
        return ngettext(
            "%(n)s more dossier received by post is needed to reach %(p)s points.",
            "%(n)s more dossiers received by post are needed to reach %(p)s points.",
            gap,
            n=n,
            p=p,
        )
    return ngettext(
        "%(n)s more result returned by post is needed to reach %(p)s points.",
        "%(n)s more results returned by post are needed to reach %(p)s points.",
        gap,
        n=n,
        p=p,
    )


GLOBALS = {
    "next_band_text": next_band_text,
    "role_label": role_label,
    "channel_label": channel_label,
    "direction_label": direction_label,
    "handover_status_label": handover_status_label,
    "record_number": record_number,
    "department_label": department_label,
    "handover_number": handover_number,
    "unit_prefix": unit_prefix,
    "handover_title": handover_title,
    "action_label": action_label,
    "unit_level_label": unit_level_label,
    "unit_kind_label": unit_kind_label,
    "error_title": error_title,
    "error_text": error_text,
}
