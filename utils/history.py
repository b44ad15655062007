"""Audit events as people read them: every history (procedure, dossier, shipment pages) and the
audit log show an event through ``present_events``.

An event stores codes, ids and ISO dates (``utils.audit``); here each recorded key gets a label
and a kind, and each value is shown as the rest of the interface shows it: directions, channels,
roles and statuses by their labels, money in đồng, dates dd/mm/yyyy, departments, fields,
procedures, dossiers and people by name or code, citizens' data masked as in the lists.
``tests/test_histories.py`` records every action the code records and fails on any key, code,
ISO date, bare amount, internal id or raw boolean that shows through.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from extensions import db
from utils import formats
from utils.labels import (
    label_or_code,
    action_label,
    channel_label,
    department_label,
    direction_label,
    handover_status_label,
    locale_label,
    record_number,
    role_label,
    task_status_label,
    unit_handling_label,
    unit_kind_label,
    unit_level_label,
)
from utils.privacy import mask_address, mask_name, mask_phone

# The object types the trail records (``audit.record``'s second argument).
OBJECT_TYPES = {
    "procedure": _l("Procedure"),
    "dossier": _l("Dossier"),
    "shipment": _l("Shipment"),
    "handover_batch": _l("Hand-over record"),
    "user": _l("User"),
    "department": _l("Department"),
    "field": _l("Field"),
    "org_settings": _l("Organisation settings"),
    "import": _l("Imported file"),
    "rubric_version": _l("Rubric version"),
    "brief": _l("Brief"),
    "meeting": _l("Meeting"),
    "task": _l("Follow-up task"),
    "unit": _l("Unit"),
}


def object_type_label(object_type):
    return label_or_code(OBJECT_TYPES, object_type)


# Every key an event records: (label, kind). ``TYPED_KEYS`` names the keys whose meaning depends
# on the object type. A kind says how the value is shown (``_show``).
KEYS = {
    # procedures
    "code": (_l("Code"), "text"),
    "field_id": (_l("Field"), "field_id"),
    "department_id": (_l("Department"), "department_id"),
    "level": (_l("Level"), "text"),
    "in_force": (_l("In force"), "bool"),
    "eligible_receive": (_l("Receive by post"), "bool"),
    "eligible_return": (_l("Return by post"), "bool"),
    "reason_code": (_l("Reason"), "reason_code"),
    "reason_text": (_l("Details"), "text"),
    # dossiers
    "procedure": (_l("Procedure"), "text"),
    "procedure_id": (_l("Procedure"), "procedure_id"),
    "receive_channel_src": (_l("Receive channel (per source)"), "channel"),
    "receive_date_src": (_l("Receive date (per source)"), "date"),
    "return_channel_src": (_l("Return channel (per source)"), "channel"),
    "return_date_src": (_l("Return date (per source)"), "date"),
    # shipments
    "tracking_number": (_l("Tracking number"), "text"),
    "direction": (_l("Direction"), "direction"),
    "dossier_id": (_l("Dossier"), "dossier_id"),
    "dossier": (_l("Dossier"), "text"),
    "date": (_l("Date"), "date"),
    "recipient_name": (_l("Sender or recipient"), "personal_name"),
    "address": (_l("Address"), "personal_address"),
    "phone": (_l("Phone"), "personal_phone"),
    "fee": (_l("Fee"), "money"),
    "check_digit_warning": (_l("Check digit warning"), "bool"),
    "eligibility_warning": (_l("Not flagged eligible"), "bool"),
    "cancelled": (_l("Cancelled"), "bool"),
    "withdrawn": (_l("Withdrawn"), "bool"),
    "reason": (_l("Reason"), "text"),
    "format": (_l("File format"), "upper"),
    "filters": (_l("Filters"), "filters"),
    "cutoff": (_l("Logged before"), "date"),
    "retention_months": (_l("Months kept"), "plain"),
    "count": (_l("Shipments"), "count"),
    # hand-over records
    "day": (_l("Day"), "date"),
    "shipments": (_l("Shipments"), "list"),
    "shipment": (_l("Shipment"), "text"),
    "originals": (_l("Originals"), "count"),
    "copies": (_l("Copies"), "count"),
    "status": (_l("Status"), "text"),
    "number": (_l("Number"), "plain"),
    "year": (_l("Year"), "plain"),
    # users
    "username": (_l("Username"), "text"),
    "full_name": (_l("Full name"), "text"),
    "role": (_l("Role"), "role"),
    "department": (_l("Department"), "department_code"),
    "active": (_l("Active"), "bool"),
    "locale": (_l("Interface language"), "locale"),
    "unit": (_l("Unit"), "text"),
    "province_wide": (_l("Sees every unit"), "bool"),
    # units
    "unit_level": (_l("Level"), "unit_level"),
    "kind": (_l("Kind of unit"), "unit_kind"),
    "handling": (_l("Handled by the unit"), "unit_handling"),
    # fields and settings
    "postal_note": (_l("Note on postal feasibility"), "text"),
    "parent_agency": (_l("Parent agency"), "text"),
    "unit_name": (_l("Unit name"), "text"),
    "place_name": (_l("Place name"), "text"),
    "signer_name": (_l("Signer's name"), "text"),
    "signer_title": (_l("Signer's title"), "text"),
    "doc_prefix": (_l("Document-number prefix"), "text"),
    "recipients": (_l("Recipients"), "text"),
    "opening_hours": (_l("Opening hours"), "text"),
    "public_list_enabled": (_l("Public list of postal procedures"), "bool"),
    "default_period_from": (_l("Default reporting period: first day"), "date"),
    "default_period_to": (_l("Default reporting period: last day"), "date"),
    # imports
    "file": (_l("File"), "text"),
    "sha256": (_l("SHA-256 fingerprint"), "hash"),
    "rows": (_l("Rows"), "count"),
    "created": (_l("Added"), "count"),
    "updated": (_l("Changed"), "count"),
    "unchanged": (_l("Unchanged"), "count"),
    "warnings": (_l("Warnings"), "count"),
    "new_fields": (_l("New fields"), "count"),
    "new_departments": (_l("New departments"), "count"),
    # rubrics, briefs, meetings, tasks
    "criteria": (_l("Bands"), "criteria"),
    "note": (_l("Note"), "text"),
    "version": (_l("Version"), "plain"),
    "is_illustration": (_l("Built-in illustration"), "bool"),
    "frozen": (_l("Frozen"), "bool"),
    "from": (_l("From"), "date"),
    "to": (_l("To"), "date"),
    "rubric_version_id": (_l("Rubric version"), "rubric_version_id"),
    "chair": (_l("Chair"), "text"),
    "participants": (_l("Participants"), "text"),
    "conclusions": (_l("Conclusions"), "text"),
    "description": (_l("Task"), "text"),
    "deadline": (_l("Deadline"), "date"),
    "status_note": (_l("Note on the status"), "text"),
}
TYPED_KEYS = {
    ("org_settings", "address"): (_l("Address"), "text"),
    ("handover_batch", "status"): (_l("Status"), "handover_status"),
    ("handover_batch", "number"): (_l("Number"), "handover_number"),
    ("task", "status"): (_l("Status"), "task_status"),
    ("meeting", "date"): (_l("Meeting date"), "date"),
    ("brief", "number"): (_l("Number"), "brief_number"),
    ("brief", "province"): (_l("The province's brief"), "bool"),
    ("procedure", "name"): (_l("Procedure name"), "text"),
    ("department", "name"): (_l("Department name"), "text"),
    ("field", "name"): (_l("Field name"), "text"),
}
# Keys left out of the reading: internal ids, and the year a number already shows.
HIDDEN = {"first_id", "last_id"}
HIDDEN_TYPED = {("handover_batch", "year"), ("brief", "year")}


def key_spec(object_type, key):
    """``(label, kind)`` of a recorded key (the key itself and "text" when unknown)."""
    spec = TYPED_KEYS.get((object_type, key)) or KEYS.get(key)
    return (str(spec[0]), spec[1]) if spec else (key, "text")


@dataclass
class Change:
    label: str
    old: str | None  # None: no old value to show (a value that was set, or context)
    new: str | None  # None: the value was taken away
    context: bool = False  # shown as is, neither old nor new (e.g. the shipment a count is of)


@dataclass
class Entry:
    """One event as people read it."""

    event: object
    at: datetime
    who: str
    action: str
    object_type: str
    object_label: str
    object_url: str | None
    changes: list = field(default_factory=list)


class _Lookups:
    """Names of the objects a page of events refers to, read in one query per kind."""

    def __init__(self, events):
        from models import (
            Brief,
            Department,
            Dossier,
            Field,
            HandoverBatch,
            Meeting,
            Procedure,
            RubricVersion,
            Shipment,
            Task,
            Unit,
            User,
        )

        ids = {}

        def want(kind, value):
            if value in (None, ""):
                return
            try:
                ids.setdefault(kind, set()).add(int(value))
            except (TypeError, ValueError):
                pass

        codes = set()
        for e in events:
            want("user", e.user_id)
            if e.object_type in OBJECT_VIEWS:
                want(OBJECT_VIEWS[e.object_type].lookup, e.object_id)
            for values in (e.old_values, e.new_values):
                if not isinstance(values, dict):
                    continue
                for key, kind in (
                    ("department_id", "department"),
                    ("field_id", "field"),
                    ("procedure_id", "procedure"),
                    ("dossier_id", "dossier"),
                    ("rubric_version_id", "rubric"),
                ):
                    want(kind, values.get(key))
                if values.get("department"):
                    codes.add(values["department"])
        models = {
            "user": User,
            "procedure": Procedure,
            "dossier": Dossier,
            "shipment": Shipment,
            "handover": HandoverBatch,
            "department": Department,
            "field": Field,
            "rubric": RubricVersion,
            "brief": Brief,
            "meeting": Meeting,
            "task": Task,
            "unit": Unit,
        }
        self.rows = {}
        for kind, wanted in ids.items():
            model = models[kind]
            if kind == "brief":  # never load the stored PDF to name a brief
                rows = db.session.execute(
                    select(Brief.id, Brief.number, Brief.year).where(Brief.id.in_(wanted))
                ).all()
            else:
                rows = db.session.scalars(select(model).where(model.id.in_(wanted))).all()
            self.rows[kind] = {row.id: row for row in rows}
        self.departments_by_code = {d.code: d for d in self.rows.get("department", {}).values()}
        missing = codes - set(self.departments_by_code)
        if missing:
            for d in db.session.scalars(select(Department).where(Department.code.in_(missing))):
                self.departments_by_code[d.code] = d

    def get(self, kind, value):
        try:
            return self.rows.get(kind, {}).get(int(value))
        except (TypeError, ValueError):
            return None


def person_name(user):
    """How the interface names a person: the full name, else the username."""
    if user is None:
        return ""
    return user.full_name or user.username


def department_name(department):
    """A department with its code, as the interface writes it: "CODE – Name"."""
    return department_label(department)


def _as_date(value):
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _criteria(value):
    if not isinstance(value, dict):
        return str(value)
    parts = []
    for code in sorted(value):
        spec = value[code] or {}
        bands = "; ".join(
            _(
                "from %(threshold)s: %(points)s points",
                threshold=formats.threshold(t),
                points=formats.points(p),
            )
            for t, p in spec.get("bands") or ()
        )
        parts.append(
            _(
                "%(code)s (at most %(max)s points): %(bands)s",
                code=code,
                max=formats.points(spec.get("max")),
                bands=bands or "—",
            )
        )
    return " · ".join(parts)


# The shipment list's query-string filters, as an export with personal data records them.
FILTER_LABELS = {
    "q": _l("Search"),
    "direction": _l("Direction"),
    "from": _l("From"),
    "to": _l("To"),
    "department": _l("Department"),
    "field": _l("Field"),
    "status": _l("Status"),
    "format": _l("File format"),
}


def _dmy_or_raw(raw):
    day = _as_date(raw)
    return formats.dmy(day) if day else raw


def _shipment_status(raw):
    statuses = {
        "active": _("Counted (not cancelled)"),
        "cancelled": _("Cancelled"),
        "eligibility_warning": _("Not flagged eligible"),
        "check_digit_warning": _("Check digit warning"),
    }
    return statuses.get(raw, raw)


def _row_named(model_name, name):
    """A filter holding a row's id, shown by the row's name ("—" once the row is gone)."""

    def show(raw):
        if not str(raw).isdigit():
            return raw
        import models

        row = db.session.get(getattr(models, model_name), int(raw))
        return name(row) if row else "—"

    return show


# How each filter's value is shown; any other value is shown as recorded.
FILTER_VALUES = {
    "from": _dmy_or_raw,
    "to": _dmy_or_raw,
    "direction": direction_label,
    "status": _shipment_status,
    "format": lambda raw: str(raw).upper(),
    "department": _row_named("Department", department_name),
    "field": _row_named("Field", lambda row: row.name),
}


def _filters(value, lookups):
    if not isinstance(value, dict) or not value:
        return "—"
    parts = []
    for key, raw in value.items():
        show = FILTER_VALUES.get(key)
        shown = show(raw) if show else raw
        parts.append(f"{FILTER_LABELS.get(key, key)}: {shown}")
    return "; ".join(str(p) for p in parts)


def _rubric_version_name(row):
    return _("year %(year)s, version %(version)s", year=row.year, version=row.version)


def _label(label):
    """A kind shown by its label (a direction, a channel, a role…)."""
    return lambda value, lookups, settings: label(value)


def _whole_number(format_number):
    """Amounts and counts: formatted when the value is a whole number, else as recorded."""

    def show(value, lookups, settings):
        return format_number(int(value)) if str(value).lstrip("-").isdigit() else str(value)

    return show


def _record_number(series):
    """A hand-over record's or brief's number as the documents write it (``…/BB-TTHCC``)."""

    def show(value, lookups, settings):
        if not str(value).isdigit():
            return str(value)
        return record_number(int(value), series, settings.doc_prefix)

    return show


def _looked_up(lookup_kind, name):
    """An id shown by the name of the row it refers to ("—" once the row is gone)."""

    def show(value, lookups, settings):
        row = lookups.get(lookup_kind, value)
        return name(row) if row else "—"

    return show


def _reason(value, lookups, settings):
    from blueprints.procedures.services import reason_label

    return reason_label(value)


def _department_code(value, lookups, settings):
    department = lookups.departments_by_code.get(value)
    return department_name(department) if department else str(value)


def _as_text(value):
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


# Masked exactly as the lists mask them, whatever the event holds.
PERSONAL = {
    "personal_name": mask_name,
    "personal_address": mask_address,
    "personal_phone": mask_phone,
}
# How a value of each kind (``KEYS``) is shown, as ``show(value, lookups, settings)``; a kind not
# named here ("text") is shown as recorded.
SHOWN = {
    "date": lambda value, lookups, settings: str(_dmy_or_raw(value)),
    "money": _whole_number(formats.money),
    "count": _whole_number(formats.number),
    "plain": lambda value, lookups, settings: str(value),
    "upper": lambda value, lookups, settings: str(value).upper(),
    "hash": lambda value, lookups, settings: f"{str(value)[:12]}…",
    "list": lambda value, lookups, settings: (
        _as_text(value) if isinstance(value, (list, tuple)) else str(value)
    ),
    "criteria": lambda value, lookups, settings: _criteria(value),
    "filters": lambda value, lookups, settings: _filters(value, lookups),
    "direction": _label(direction_label),
    "channel": _label(channel_label),
    "role": _label(role_label),
    "locale": _label(locale_label),
    "unit_level": _label(unit_level_label),
    "unit_kind": _label(unit_kind_label),
    "unit_handling": _label(unit_handling_label),
    "handover_status": _label(handover_status_label),
    "task_status": _label(task_status_label),
    "reason_code": _reason,
    "handover_number": _record_number("BB"),
    "brief_number": _record_number("BC"),
    "department_code": _department_code,
    "department_id": _looked_up("department", department_name),
    "field_id": _looked_up("field", lambda row: row.name),
    "procedure_id": _looked_up("procedure", lambda row: row.code),
    "dossier_id": _looked_up("dossier", lambda row: row.code),
    "rubric_version_id": _looked_up("rubric", _rubric_version_name),
}


def _show(kind, value, lookups, settings):
    """A recorded value as the interface shows it."""
    if kind in PERSONAL:
        return (PERSONAL[kind](value) or "—") if value not in (None, "") else "—"
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool) or kind == "bool":
        return _("Yes") if value else _("No")
    show = SHOWN.get(kind)
    return show(value, lookups, settings) if show else _as_text(value)


def _handover_name(row, settings):
    if row.number:
        return _("No. %(number)s", number=record_number(row.number, "BB", settings.doc_prefix))
    return _("draft of %(day)s", day=formats.dmy(row.day))


def _task_name(row, settings):
    text = row.description
    return (text[:60] + "…") if len(text) > 60 else text


@dataclass(frozen=True)
class _ObjectView:
    """How an object type is looked up (``_Lookups``), named, and linked to its page."""

    lookup: str
    name: object  # name(row, settings)
    endpoint: str | None = None
    id_arg: str | None = None


OBJECT_VIEWS = {
    "procedure": _ObjectView(
        "procedure", lambda row, settings: row.code, "procedures.show_procedure", "procedure_id"
    ),
    "dossier": _ObjectView(
        "dossier", lambda row, settings: row.code, "dossiers.show_dossier", "dossier_id"
    ),
    "shipment": _ObjectView(
        "shipment", lambda row, settings: row.tracking_number, "postal.show_shipment", "shipment_id"
    ),
    "handover_batch": _ObjectView("handover", _handover_name, "handover.show_batch", "batch_id"),
    "user": _ObjectView(
        "user", lambda row, settings: person_name(row), "admin.edit_user", "user_id"
    ),
    "department": _ObjectView("department", lambda row, settings: department_name(row)),
    "field": _ObjectView("field", lambda row, settings: row.name),
    "rubric_version": _ObjectView("rubric", lambda row, settings: _rubric_version_name(row)),
    "brief": _ObjectView(
        "brief",
        lambda row, settings: _(
            "No. %(number)s", number=record_number(row.number, "BC", settings.doc_prefix)
        ),
    ),
    "meeting": _ObjectView(
        "meeting",
        lambda row, settings: formats.dmy(row.date),
        "meetings.show_meeting",
        "meeting_id",
    ),
    "task": _ObjectView("task", _task_name),
    "unit": _ObjectView("unit", lambda row, settings: f"{row.code} – {row.name}"),
}


def _object(event, lookups, settings):
    """``(label, url)`` naming the event's object as the interface names it."""
    if event.object_type == "import":
        values = event.new_values if isinstance(event.new_values, dict) else {}
        return values.get("file") or "—", None
    view = OBJECT_VIEWS.get(event.object_type)
    row = lookups.get(view.lookup, event.object_id) if view else None
    if row is None:
        return "", None
    url = url_for(view.endpoint, **{view.id_arg: row.id}) if view.endpoint else None
    return view.name(row, settings), url


def _shown_keys(object_type, old, new):
    """The recorded keys a reader sees: the new values' first, then those only in the old."""
    keys = list(new or {}) + [k for k in (old or {}) if k not in (new or {})]
    for key in keys:
        if key in HIDDEN or (object_type, key) in HIDDEN_TYPED:
            continue
        if key == "dossier_id" and "dossier" in (new or {}):
            continue  # the code is recorded beside it
        yield key


def _change(object_type, key, old, new, lookups, settings):
    label, kind = key_spec(object_type, key)

    def shown(values):
        return _show(kind, values[key], lookups, settings)

    if new is not None and key in new:
        return Change(label, shown(old) if old is not None and key in old else None, shown(new))
    if new is None:  # taken away
        return Change(label, shown(old), None)
    return Change(label, None, shown(old), context=True)  # recorded as context beside the change


def _changes(event, lookups, settings):
    old = event.old_values if isinstance(event.old_values, dict) else None
    new = event.new_values if isinstance(event.new_values, dict) else None
    if old is None and new is None:
        return []
    return [
        _change(event.object_type, key, old, new, lookups, settings)
        for key in _shown_keys(event.object_type, old, new)
    ]


def _settings_of(event, lookups, settings):
    """The settings an event's numbers are written with: those of its record's unit (a brief,
    a hand-over record), ``settings`` (the first unit's) otherwise."""
    from utils.settings import get_settings

    if event.object_type not in ("handover_batch", "brief"):
        return settings
    view = OBJECT_VIEWS[event.object_type]
    unit_id = getattr(lookups.get(view.lookup, event.object_id), "unit_id", None)
    if unit_id is None or unit_id == settings.unit_id:
        return settings
    return get_settings(unit_id)


def present_events(events):
    """``[Entry]`` for audit events, reading the names they refer to in a few queries."""
    from utils.settings import get_settings

    events = list(events)
    lookups = _Lookups(events)
    settings = get_settings()
    out = []
    for e in events:
        user = lookups.get("user", e.user_id)
        who = person_name(user) if user is not None else (e.username or _("command line"))
        label, url = _object(e, lookups, _settings_of(e, lookups, settings))
        out.append(
            Entry(
                event=e,
                at=e.at,
                who=who,
                action=action_label(e.action),
                object_type=object_type_label(e.object_type) if e.object_type else "",
                object_label=label,
                object_url=url,
                changes=_changes(e, lookups, _settings_of(e, lookups, settings)),
            )
        )
    return out
