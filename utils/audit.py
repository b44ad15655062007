"""The audit trail: every mutation records who changed what in the same transaction."""

from datetime import date, datetime
from decimal import Decimal

from flask import has_request_context
from flask_login import current_user

from extensions import db
from models import AuditEvent


def _jsonable(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def snapshot(obj, fields):
    """``{field: value}`` for the named attributes of ``obj``, JSON-ready."""
    return {name: _jsonable(getattr(obj, name)) for name in fields}


def diff(old, new):
    """Only the keys whose value changed: ``(old_subset, new_subset)``."""
    keys = [k for k in new if old.get(k) != new.get(k)]
    return {k: old.get(k) for k in keys}, {k: new[k] for k in keys}


def record(action, object_type="", object_id="", old=None, new=None, user=None):
    """Add an audit event to the session (the caller's transaction commits it).

    :param user: the acting user; defaults to the logged-in user, or nobody (the command line).
    """
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user
    event = AuditEvent(
        user_id=getattr(user, "id", None),
        username=getattr(user, "username", "") or "",
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else "",
        old_values=_jsonable(old) if old is not None else None,
        new_values=_jsonable(new) if new is not None else None,
    )
    db.session.add(event)
    return event


def add_created(obj, action, object_type, fields, user=None):
    """Add a new ``obj`` to the session, flush it (it gets its id) and record its creation:
    ``action`` on ``object_type`` with the named ``fields`` as the new values. :return: ``obj``."""
    db.session.add(obj)
    db.session.flush()
    record(action, object_type, obj.id, None, snapshot(obj, fields), user=user)
    return obj


def record_active(object_type, object_id, active, user=None):
    """The event of retiring (``active`` false) or bringing back an object: ``<type>_activate``
    or ``<type>_deactivate``, the flag's old and new value."""
    return record(
        f"{object_type}_activate" if active else f"{object_type}_deactivate",
        object_type,
        object_id,
        {"active": not active},
        {"active": active},
        user=user,
    )


def record_import(action, object_id, prepared, rows, user=None, **extra):
    """The one summary event of a file import: the file (name, SHA-256), its row count and what
    ``prepared.report`` says was created, updated and left unchanged, then ``extra``."""
    report = prepared.report
    return record(
        action,
        "import",
        object_id,
        None,
        {
            "file": prepared.filename,
            "sha256": prepared.sha256,
            "rows": rows,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            **extra,
        },
        user=user,
    )


def record_many(action, object_type, items, user=None, jsonable=False):
    """Insert many audit events in one statement (imports): ``items`` is an iterable of
    ``(object_id, old, new)``; ``jsonable`` says the values are JSON-ready already. Runs in the
    caller's transaction like ``record``.
    """
    from sqlalchemy import insert

    rows = event_rows(action, object_type, items, user=user, jsonable=jsonable)
    if rows:
        db.session.execute(insert(AuditEvent.__table__), rows)
    return len(rows)


def event_rows(action, object_type, items, user=None, jsonable=False):
    """The audit events ``record_many`` inserts, as the table's column values: for a caller that
    writes them with a statement of its own (the counter's save on PostgreSQL)."""
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user
    from models import utcnow

    user_id, username = getattr(user, "id", None), getattr(user, "username", "") or ""
    now = utcnow()
    convert = (lambda v: v) if jsonable else _jsonable
    return [
        {
            "at": now,
            "user_id": user_id,
            "username": username,
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id),
            "old_values": convert(old) if old is not None else None,
            "new_values": convert(new) if new is not None else None,
        }
        for object_id, old, new in items
    ]
