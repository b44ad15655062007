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
from utils.labels import (action_label, channel_label, department_label, direction_label,
                          handover_status_label, locale_label, record_number, role_label,
                          task_status_label)
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
}


def object_type_label(object_type):
    label = OBJECT_TYPES.get(object_type)
    return str(label) if label is not None else object_type


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
        from models import (Brief, Department, Dossier, Field, HandoverBatch, Meeting, Procedure,
                            RubricVersion, Shipment, Task, User)

        ids = {}

        def want(kind, value):
            if value in (None, ""):
                return
            try:
                ids.setdefault(kind, set()).add(int(value))
            except (TypeError, ValueError):
                pass

        codes = set()
        by_type = {"procedure": "procedure", "dossier": "dossier", "shipment": "shipment",
                   "handover_batch": "handover", "user": "user", "department": "department",
                   "field": "field", "rubric_version": "rubric", "brief": "brief",
                   "meeting": "meeting", "task": "task"}
        for e in events:
            want("user", e.user_id)
            if e.object_type in by_type:
                want(by_type[e.object_type], e.object_id)
            for values in (e.old_values, e.new_values):
                if not isinstance(values, dict):
                    continue
                for key, kind in (("department_id", "department"), ("field_id", "field"),
                                  ("procedure_id", "procedure"), ("dossier_id", "dossier"),
                                  ("rubric_version_id", "rubric")):
                    want(kind, values.get(key))
                if values.get("department"):
                    codes.add(values["department"])
        models = {"user": User, "procedure": Procedure, "dossier": Dossier, "shipment": Shipment,
                  "handover": HandoverBatch, "department": Department, "field": Field,
                  "rubric": RubricVersion, "brief": Brief, "meeting": Meeting, "task": Task}
        self.rows = {}
        for kind, wanted in ids.items():
            model = models[kind]
            if kind == "brief":  # never load the stored PDF to name a brief
                rows = db.session.execute(select(Brief.id, Brief.number, Brief.year)
                                          .where(Brief.id.in_(wanted))).all()
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
            _("from %(threshold)s: %(points)s points", threshold=formats.threshold(t),
              points=formats.points(p)) for t, p in spec.get("bands") or ())
        parts.append(_("%(code)s (at most %(max)s points): %(bands)s", code=code,
                       max=formats.points(spec.get("max")), bands=bands or "—"))
    return " · ".join(parts)


# The shipment list's query-string filters, as an export with personal data records them.
FILTER_LABELS = {"q": _l("Search"), "direction": _l("Direction"), "from": _l("From"), "to": _l("To"),
                 "department": _l("Department"), "field": _l("Field"), "status": _l("Status"),
                 "format": _l("File format")}


def _filters(value, lookups):
    if not isinstance(value, dict) or not value:
        return "—"
    from models import Department, Field

    shipment_statuses = {"active": _("Counted (not cancelled)"), "cancelled": _("Cancelled"),
                         "eligibility_warning": _("Not flagged eligible"),
                         "check_digit_warning": _("Check digit warning")}
    parts = []
    for key, raw in value.items():
        if key in ("from", "to"):
            shown = formats.dmy(_as_date(raw)) if _as_date(raw) else raw
        elif key == "direction":
            shown = direction_label(raw)
        elif key == "status":
            shown = shipment_statuses.get(raw, raw)
        elif key == "format":
            shown = str(raw).upper()
        elif key in ("department", "field") and str(raw).isdigit():
            row = db.session.get(Department if key == "department" else Field, int(raw))
            shown = (department_name(row) if key == "department" else row.name) if row else "—"
        else:
            shown = raw
        parts.append(f"{FILTER_LABELS[key] if key in FILTER_LABELS else key}: {shown}")
    return "; ".join(str(p) for p in parts)


def _show(kind, value, lookups, settings):
    """A recorded value as the interface shows it."""
    if kind.startswith("personal_"):
        # Masked exactly as the lists mask it, whatever the event holds.
        mask = {"personal_name": mask_name, "personal_address": mask_address,
                "personal_phone": mask_phone}[kind]
        return (mask(value) or "—") if value not in (None, "") else "—"
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool) or kind == "bool":
        return _("Yes") if value else _("No")
    if kind == "date":
        day = _as_date(value)
        return formats.dmy(day) if day else str(value)
    if kind == "money":
        return formats.money(int(value)) if str(value).lstrip("-").isdigit() else str(value)
    if kind == "count":
        return formats.number(int(value)) if str(value).lstrip("-").isdigit() else str(value)
    if kind == "plain":
        return str(value)
    if kind == "upper":
        return str(value).upper()
    if kind == "direction":
        return direction_label(value)
    if kind == "channel":
        return channel_label(value)
    if kind == "role":
        return role_label(value)
    if kind == "locale":
        return locale_label(value)
    if kind == "handover_status":
        return handover_status_label(value)
    if kind == "task_status":
        return task_status_label(value)
    if kind == "reason_code":
        from blueprints.procedures.services import reason_label

        return reason_label(value)
    if kind == "handover_number":
        return record_number(int(value), "BB", settings.doc_prefix) if str(value).isdigit() else str(value)
    if kind == "brief_number":
        return record_number(int(value), "BC", settings.doc_prefix) if str(value).isdigit() else str(value)
    if kind == "hash":
        return f"{str(value)[:12]}…"
    if kind == "list":
        return ", ".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)
    if kind == "criteria":
        return _criteria(value)
    if kind == "filters":
        return _filters(value, lookups)
    if kind == "department_code":
        department = lookups.departments_by_code.get(value)
        return department_name(department) if department else str(value)
    if kind == "department_id":
        row = lookups.get("department", value)
        return department_name(row) if row else "—"
    if kind == "field_id":
        row = lookups.get("field", value)
        return row.name if row else "—"
    if kind == "procedure_id":
        row = lookups.get("procedure", value)
        return row.code if row else "—"
    if kind == "dossier_id":
        row = lookups.get("dossier", value)
        return row.code if row else "—"
    if kind == "rubric_version_id":
        row = lookups.get("rubric", value)
        return _("year %(year)s, version %(version)s", year=row.year, version=row.version) if row else "—"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def _object(event, lookups, settings):
    """``(label, url)`` naming the event's object as the interface names it."""
    kind, oid = event.object_type, event.object_id
    values = event.new_values if isinstance(event.new_values, dict) else {}
    if kind == "import":
        return values.get("file") or "—", None
    lookup_kind = {"handover_batch": "handover", "rubric_version": "rubric"}.get(kind, kind)
    row = lookups.get(lookup_kind, oid)
    if row is None:
        return "", None
    if kind == "procedure":
        return row.code, url_for("procedures.show_procedure", procedure_id=row.id)
    if kind == "dossier":
        return row.code, url_for("dossiers.show_dossier", dossier_id=row.id)
    if kind == "shipment":
        return row.tracking_number, url_for("postal.show_shipment", shipment_id=row.id)
    if kind == "handover_batch":
        label = (_("No. %(number)s", number=record_number(row.number, "BB", settings.doc_prefix))
                 if row.number else _("draft of %(day)s", day=formats.dmy(row.day)))
        return label, url_for("handover.show_batch", batch_id=row.id)
    if kind == "user":
        return person_name(row), url_for("admin.edit_user", user_id=row.id)
    if kind == "department":
        return department_name(row), None
    if kind == "field":
        return row.name, None
    if kind == "rubric_version":
        return _("year %(year)s, version %(version)s", year=row.year, version=row.version), None
    if kind == "brief":
        return _("No. %(number)s", number=record_number(row.number, "BC", settings.doc_prefix)), None
    if kind == "meeting":
        return formats.dmy(row.date), url_for("meetings.show_meeting", meeting_id=row.id)
    if kind == "task":
        text = row.description
        return (text[:60] + "…") if len(text) > 60 else text, None
    return "", None


def _changes(event, lookups, settings):
    old = event.old_values if isinstance(event.old_values, dict) else None
    new = event.new_values if isinstance(event.new_values, dict) else None
    if old is None and new is None:
        return []
    keys = list(new or {}) + [k for k in (old or {}) if k not in (new or {})]
    out = []
    for key in keys:
        if key in HIDDEN or (event.object_type, key) in HIDDEN_TYPED:
            continue
        if key == "dossier_id" and "dossier" in (new or {}):
            continue  # the code is recorded beside it
        label, kind = key_spec(event.object_type, key)
        in_old, in_new = old is not None and key in old, new is not None and key in new
        if in_old and in_new:
            out.append(Change(label, _show(kind, old[key], lookups, settings),
                              _show(kind, new[key], lookups, settings)))
        elif in_new:
            out.append(Change(label, None, _show(kind, new[key], lookups, settings)))
        elif new is None:  # taken away
            out.append(Change(label, _show(kind, old[key], lookups, settings), None))
        else:  # recorded as context beside the change
            out.append(Change(label, None, _show(kind, old[key], lookups, settings), context=True))
    return out


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
        label, url = _object(e, lookups, settings)
        out.append(Entry(event=e, at=e.at, who=who, action=action_label(e.action),
                         object_type=object_type_label(e.object_type) if e.object_type else "",
                         object_label=label, object_url=url,
                         changes=_changes(e, lookups, settings)))
    return out
