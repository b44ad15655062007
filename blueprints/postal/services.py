"""Shipment rules and mutations: log, edit, cancel, import manifests, reconcile, purge.

The public API other features reuse (hand-over records among them):
``check_tracking``, ``log_shipment``, ``update_shipment``, ``cancel_shipment``,
``is_eligible``, ``ShipmentFilters`` and ``search_shipments``. Services add and flush, never
commit, never touch ``request``; refusals raise ``utils.errors.Refusal``.
Personal data never enters audit events (``utils.privacy.audit_safe``) nor logs.
"""

import calendar
import hashlib
from functools import lru_cache
from itertools import repeat
from dataclasses import dataclass, field
from datetime import date as date_type

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, cast, insert, literal, or_, select, text, update
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.sql.expression import Join

from blueprints.dossiers.services import recompute_effective, unlogged_postal_condition
from extensions import db
from models import (
    DIRECTIONS,
    AuditEvent,
    Department,
    Direction,
    Dossier,
    HandoverBatch,
    HandoverItem,
    Procedure,
    Shipment,
    Unit,
    utcnow,
)
from utils import audit, bulk, import_formats, import_units, rules, shipment_tally, tally
from utils.dates import vn_today
from utils.errors import Refusal
from utils.privacy import PERSONAL_FIELDS, audit_safe
from utils.labels import handover_number, unit_prefix
from utils.settings import get_settings
from utils.tabular import CellError, ImportReport
from utils.text import nfc
from utils.transactions import ImportSteps, note_written
from utils.units import taking_records, unit_condition
from utils.validators import check_tracking_number, is_vn_phone, normalise_phone

EDITABLE = ("tracking_number", "dossier_id", "date", "recipient_name", "address", "phone", "fee")
# What a hand-over record prints of each shipment (the dossier brings its procedure): a signed
# record is a legal document, so these stay as signed until the record is voided.
RECORDED = ("tracking_number", "dossier_id", "recipient_name", "address", "fee")
AUDITED = EDITABLE + ("direction", "check_digit_warning", "eligibility_warning")
CHUNK = 500


def duplicate(existing):
    """The refusal of a tracking number already logged in that direction: a 409 showing it."""
    return Refusal(
        _("This tracking number is already logged in this direction."),
        "tracking_number",
        status=409,
        conflict=existing,
    )


@dataclass(frozen=True)
class TrackingStatus:
    """What the log form says about a tracking number as it is typed."""

    number: str
    well_formed: bool
    check_digit_ok: bool
    duplicate: Shipment | None
    # Logged in that direction already by another unit than the user's (not shown).
    elsewhere: bool = False

    @property
    def warning(self):
        return self.well_formed and not self.check_digit_ok


@lru_cache(maxsize=1)
def _live_number_statement():
    """The id of the shipment not cancelled with a number in a direction, built once per
    process (building it costs more than running it from the unique index)."""
    return select(Shipment.id).where(
        Shipment.tracking_number == bindparam("number"),
        Shipment.direction == bindparam("direction"),
        Shipment.cancelled.is_(False),
    )


def find_shipment(tracking_number, direction):
    """The shipment not cancelled with that number in that direction (at most one: a cancelled
    one does not block logging the number again). The number is looked up first; the object is
    loaded only when there is one."""
    found = (
        db.session.connection()
        .execute(_live_number_statement(), {"number": tracking_number, "direction": direction})
        .scalar()
    )
    return db.session.get(Shipment, found) if found is not None else None


def check_tracking(value, direction=None, exclude_id=None):
    """Normalise and check a tracking number; look for a duplicate in ``direction``."""
    check = check_tracking_number(value)
    duplicate = None
    if check.well_formed and direction:
        duplicate = find_shipment(check.number, direction)
        if duplicate is not None and duplicate.id == exclude_id:
            duplicate = None
    return TrackingStatus(check.number, check.well_formed, check.check_digit_ok, duplicate)


def signed_record(shipment):
    """The signed hand-over record holding ``shipment``, or ``None``."""
    if shipment.id is None:
        return None
    return db.session.execute(
        select(HandoverBatch)
        .join(HandoverItem, HandoverItem.batch_id == HandoverBatch.id)
        .where(HandoverItem.held_shipment_id == shipment.id, HandoverBatch.status == "signed")
    ).scalar_one_or_none()


def record_label(batch):
    """A signed record's number as printed: ``NN/BB-PREFIX``."""
    return handover_number(batch.number, unit_prefix(batch))


def _signed_records(shipment_ids):
    """``{shipment id: record label}`` for those of ``shipment_ids`` in a signed record."""
    out = {}
    ids = list(shipment_ids)
    prefixes = {}  # each unit's document-number prefix
    for start in range(0, len(ids), CHUNK):
        rows = db.session.execute(
            select(
                HandoverItem.held_shipment_id,
                HandoverBatch.number,
                HandoverBatch.year,
                HandoverBatch.unit_id,
            )
            .join(HandoverBatch, HandoverBatch.id == HandoverItem.batch_id)
            .where(
                HandoverItem.held_shipment_id.in_(ids[start : start + CHUNK]),
                HandoverBatch.status == "signed",
            )
        )
        for r in rows:
            if r.unit_id not in prefixes:
                prefixes[r.unit_id] = unit_prefix(r)
            out[r.held_shipment_id] = handover_number(r.number, prefixes[r.unit_id])
    return out


def is_eligible(procedure, direction):
    """Is the procedure flagged eligible for ``direction`` (``tiep_nhan``/``tra_ket_qua``)?"""
    return bool(
        procedure.eligible_receive if direction == Direction.RECEIVE else procedure.eligible_return
    )


def _snapshot(shipment):
    return audit.snapshot(shipment, AUDITED)


def _clean_personal(name, address, phone):
    phone = normalise_phone(phone) if phone else ""
    if phone and not is_vn_phone(phone):
        raise Refusal(_("Not a Vietnamese phone number."), "phone")
    return nfc(name or ""), nfc(address or ""), phone


def _checked(field, rule, *args):
    """Run a rule of ``utils.rules``; a broken one is a ``Refusal`` on form field ``field``, with
    the rule's message. :return: the rule's answer."""
    try:
        return rule(*args)
    except CellError as e:
        raise Refusal(e.reason, field, **e.params) from None


def new_dossier_problems(procedure_code, procedure, receive_channel, receive_date):
    """What a shipment for a dossier the product does not know yet lacks to create that dossier
    with it (its procedure, found by ``procedure_code``, receive channel and date), as
    ``{form field: message}``; ``{}`` when nothing is missing."""
    problems = {}
    if not procedure_code:
        problems["procedure_code"] = _("Unknown dossier: give its procedure code.")
    elif procedure is None:
        problems["procedure_code"] = _("Unknown procedure code.")
    if not receive_channel:
        problems["receive_channel"] = _("Unknown dossier: give its receive channel.")
    if not receive_date:
        problems["receive_date"] = _("Unknown dossier: give its receive date.")
    return problems


def _item_refusals(check, direction, dossier, date, fee, confirm_check_digit, today):
    """The rules a new shipment's own values keep (check digit confirmed, date, fee); the
    first broken one raises its ``Refusal``."""
    if check.well_formed and not check.check_digit_ok and not confirm_check_digit:
        raise Refusal(
            _(
                "The check digit of this number is wrong. Check the number, or "
                "confirm it if the item really carries it."
            ),
            "confirm_check_digit",
        )
    _checked("date", rules.shipment_date, date, today)
    _checked("date", rules.returned_after_received, direction, date, dossier)
    _checked("fee", rules.fee, fee)


@lru_cache(maxsize=2)
def _insert_live_statement(dialect_name):
    """The new shipment's INSERT, doing nothing (and returning no id) when a live shipment has
    its number in its direction already (``uq_shipment_tracking_active``), built once per
    process and database: one statement both checks the number and logs the item."""
    if dialect_name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return (
        dialect_insert(Shipment)
        .on_conflict_do_nothing(
            # The partial index's own condition (models.Shipment), so both databases infer it.
            index_elements=["tracking_number", "direction"],
            index_where=text("NOT cancelled"),
        )
        .returning(Shipment.id)
    )


AUDIT_PARAMS = ("at", "user_id", "username", "new_values")  # the event's values bound by name


@lru_cache(maxsize=2)
def _insert_live_audited_statement(columns):
    """PostgreSQL: ``_insert_live_statement`` of a shipment's ``columns`` and its audit event in
    one statement (one round trip instead of two): the INSERT as a WITH query, the event inserted
    from its RETURNING (none when the number is live already), the shipment's id selected."""
    shipment_table, events = Shipment.__table__, AuditEvent.__table__
    new = _insert_live_statement("postgresql").values(
        {c: bindparam(c, type_=shipment_table.c[c].type) for c in columns}
    )
    new = new.cte("new_shipment")
    event = insert(events).from_select(
        ["action", "object_type", "object_id", *AUDIT_PARAMS],
        select(
            literal("shipment.create", events.c.action.type),
            literal("shipment", events.c.object_type.type),
            cast(new.c.id, events.c.object_id.type),
            *(bindparam(f"event_{c}", type_=events.c[c].type) for c in AUDIT_PARAMS),
        ).select_from(new),
    )
    return select(new.c.id).add_cte(event.cte("new_event"))


def log_shipment(
    *,
    tracking_number,
    direction,
    dossier,
    date,
    recipient_name="",
    address="",
    phone="",
    fee=None,
    confirm_check_digit=False,
    user=None,
    today=None,
    locked=False,
):
    """Log a postal shipment of ``dossier`` and recompute the dossier's effective values.

    :param confirm_check_digit: the user accepted a tracking number whose S10 check digit is wrong.
    :param locked: ``dossier`` was read in this transaction locked for update
        (``find_dossier(code, lock=True)``) or created in it: the tallies take its counts
        before the change from the object instead of reading them again.
    :return: the new ``Shipment``; ``shipment.eligibility_warning`` says the procedure is not
        flagged eligible for that direction (the shipment is kept and listed for review).
    :raise Refusal: the dossier's unit is deactivated (422, on ``dossier_code``: it takes no
        new record, ``utils.units.taking_records``), said first; malformed number, unconfirmed
        check digit, future date, bad phone or fee (422); the number is already logged in that
        direction (409, ``conflict`` that shipment), which is said before any of the others but
        a malformed number.
    """
    # Read with the dossier (find_dossier) or by creating it: no query of its own.
    taking_records(dossier.unit_id, "dossier_code")
    if direction not in DIRECTIONS:
        raise Refusal(_("Choose the direction."), "direction")
    _checked("tracking_number", rules.tracking_number, tracking_number)
    check = check_tracking_number(tracking_number)
    try:
        _item_refusals(check, direction, dossier, date, fee, confirm_check_digit, today)
        name, address, phone = _clean_personal(recipient_name, address, phone)
    except Refusal:
        _refuse_if_logged(check.number, direction)
        raise
    now = utcnow()
    values = {
        "tracking_number": check.number,
        "direction": direction,
        "dossier_id": dossier.id,
        "unit_id": dossier.unit_id,
        "date": date,
        "recipient_name": name,
        "address": address,
        "phone": phone,
        "fee": fee,
        "check_digit_warning": check.well_formed and not check.check_digit_ok,
        "eligibility_warning": not is_eligible(dossier.procedure, direction),
        "cancelled": False,
        "cancel_reason": "",
        "personal_data_purged_at": None,
        "handed_over_at": None,
        "recorded_by_id": getattr(user, "id", None),
        "created_at": now,
        "updated_at": now,
    }
    before = {dossier.id: tally.keys_of(dossier)} if locked else None
    shipment = Shipment(**values)
    new_values = audit_safe(_snapshot(shipment)) | {"dossier": dossier.code}
    _insert_shipment(shipment, values, new_values, user)
    recompute_effective([dossier.id], shipped={dossier.id}, before=before)
    return shipment


def _refuse_if_logged(number, direction):
    """Raise the duplicate's 409 when a live shipment has ``number`` in ``direction``."""
    existing = find_shipment(number, direction)
    if existing is not None:
        raise duplicate(existing)


def _insert_shipment(shipment, values, new_values, user):
    """One INSERT statement for the ``shipment`` (the counter's save; ``values``: its columns),
    refused as a duplicate when its number is live in its direction already, and its audit event
    (``new_values``); on PostgreSQL both in one statement. The shipment then joins the session
    as a loaded object with its new id, as a flush leaves it."""
    db.session.flush()
    connection = db.session.connection()
    [event] = audit.event_rows("shipment.create", "shipment", [(None, None, new_values)], user)
    if connection.dialect.name == "postgresql":
        params = values | {f"event_{c}": event[c] for c in AUDIT_PARAMS}
        statement = _insert_live_audited_statement(tuple(values))
        new_id = connection.execute(statement, params).scalar()
    else:
        new_id = connection.execute(
            _insert_live_statement(connection.dialect.name), values
        ).scalar()
    if new_id is None:
        _refuse_if_logged(values["tracking_number"], values["direction"])
        # Logged and cancelled again in between (a moment's race): said as a duplicate all the same.
        raise duplicate(None)
    if connection.dialect.name != "postgresql":
        connection.execute(insert(AuditEvent.__table__), [event | {"object_id": str(new_id)}])
    note_written()
    shipment.id = new_id
    make_transient_to_detached(shipment)
    db.session.add(shipment)
    return shipment


def update_shipment(shipment, changes, reason, user=None, today=None):
    """Change a shipment's editable values with a reason; audited; effective values recomputed.

    :param changes: a dict of ``EDITABLE`` keys (``dossier_id`` moves it to another dossier).
    :raise Refusal: the shipment's unit or its dossier's is deactivated (422, on
        ``dossier_code``), said first; so is moving it to a deactivated unit's dossier, which
        takes no new shipment (``utils.units.taking_records``); no reason, a cancelled
        shipment, or a value a rule refuses (422); a value a
        signed hand-over record prints (``RECORDED``) would change (409, ``conflict`` that
        record); the new tracking number is already logged in that direction (409).
    """
    _refuse_if_unit_inactive(shipment, "dossier_code")
    reason = nfc(reason or "")
    if not reason:
        raise Refusal(_("Give the reason for the change."), "reason")
    if shipment.cancelled:
        raise Refusal(_("A cancelled shipment cannot be changed."))
    old = _snapshot(shipment)
    old_dossier_id = shipment.dossier_id
    batch = signed_record(shipment)
    _apply_changes(shipment, changes, today)
    new = _snapshot(shipment)
    before, after = audit.diff(old, new)
    locked = [key for key in RECORDED if key in after]
    if batch is not None and locked:
        raise Refusal(
            _(
                "This shipment is in signed hand-over record No. %(number)s, which "
                "prints its tracking number, dossier, name, address and fee: void "
                "the record before changing them.",
                number=record_label(batch),
            ),
            locked[0],
            status=409,
            conflict=batch,
        )
    if not after:
        return False
    shipment.updated_at = utcnow()
    audit.record(
        "shipment.update",
        "shipment",
        shipment.id,
        audit_safe(before),
        audit_safe(after) | {"reason": reason},
        user=user,
    )
    recompute_effective({old_dossier_id, shipment.dossier_id})
    return True


def _apply_changes(shipment, changes, today):
    """Set ``changes`` on ``shipment``, each value through its rule (``update_shipment``)."""
    moved = _change_dossier(shipment, changes)
    if "tracking_number" in changes:
        _change_tracking_number(shipment, changes["tracking_number"])
    if "date" in changes:
        shipment.date = _checked("date", rules.shipment_date, changes["date"], today)
    if any(k in changes for k in PERSONAL_FIELDS):
        _change_personal(shipment, changes)
    if "fee" in changes:
        shipment.fee = _checked("fee", rules.fee, changes["fee"])
    if "date" in changes or moved:
        _checked(
            "date",
            rules.returned_after_received,
            shipment.direction,
            shipment.date,
            shipment.dossier,
        )


def _change_tracking_number(shipment, value):
    _checked("tracking_number", rules.tracking_number, value)
    status = check_tracking(value, shipment.direction, exclude_id=shipment.id)
    if status.duplicate is not None:
        raise duplicate(status.duplicate)
    if status.number != shipment.tracking_number:
        shipment.tracking_number = status.number
        shipment.check_digit_warning = status.warning


def _change_personal(shipment, changes):
    if shipment.personal_data_purged_at is not None:
        raise Refusal(_("The personal data of this shipment was purged."))
    name, address, phone = _clean_personal(
        changes.get("recipient_name", shipment.recipient_name),
        changes.get("address", shipment.address),
        changes.get("phone", shipment.phone),
    )
    shipment.recipient_name, shipment.address, shipment.phone = name, address, phone


def _change_dossier(shipment, changes):
    """Move the shipment to the dossier ``changes["dossier_id"]``. :return: whether a dossier
    was named (moved or not)."""
    if "dossier_id" not in changes:
        return False
    dossier = db.session.get(Dossier, changes["dossier_id"])
    if dossier.id != shipment.dossier_id:
        taking_records(dossier.unit_id, "dossier_code")
        shipment.dossier_id = dossier.id
        shipment.dossier = dossier
        shipment.unit_id = dossier.unit_id
        shipment.eligibility_warning = not is_eligible(dossier.procedure, shipment.direction)
    return True


INACTIVE_UNIT_SHIPMENT = _l(
    "Unit %(code)s is deactivated: its shipments are kept as they are and can no longer be "
    "changed or cancelled."
)


def kept_as_is(shipment):
    """What keeps a shipment as it is: the deactivated unit it (or its dossier) belongs to, or
    ``None``."""
    for unit_id in dict.fromkeys((shipment.unit_id, shipment.dossier.unit_id)):
        unit = db.session.get(Unit, unit_id)
        if unit is not None and not unit.active:
            return unit
    return None


def kept_as_is_text(unit):
    """Why the shipments of the deactivated ``unit`` can no longer be changed, translated."""
    return str(INACTIVE_UNIT_SHIPMENT) % {"code": unit.code}


def _refuse_if_unit_inactive(shipment, field):
    """A deactivated unit keeps its shipments as they are: refuse (422, on the form's ``field``)
    a change or cancellation of a shipment whose unit, or whose dossier's unit, is deactivated."""
    unit = kept_as_is(shipment)
    if unit is not None:
        raise Refusal(INACTIVE_UNIT_SHIPMENT, field, code=unit.code)


def cancel_shipment(shipment, reason, user=None):
    """Cancel a shipment with a reason; it no longer counts, and its dossier's effective channel
    and date are recomputed. Audited.

    :raise Refusal: the shipment's unit or its dossier's is deactivated (422, on ``reason``),
        said first; no reason, or already cancelled (422); the shipment is in a signed
        hand-over record (409, void that first).
    """
    _refuse_if_unit_inactive(shipment, "reason")
    reason = nfc(reason or "")
    if shipment.cancelled:
        raise Refusal(_("This shipment is already cancelled."))
    batch = signed_record(shipment)
    if batch is not None:
        raise Refusal(
            _(
                "This shipment was handed over in signed hand-over record No. "
                "%(number)s: void the record before cancelling the shipment.",
                number=record_label(batch),
            ),
            "reason",
            status=409,
            conflict=batch,
        )
    if not reason:
        raise Refusal(_("Give the reason for the cancellation."), "reason")
    shipment.cancelled = True
    shipment.cancel_reason = reason
    shipment.updated_at = utcnow()
    db.session.flush()
    audit.record(
        "shipment.cancel",
        "shipment",
        shipment.id,
        {"cancelled": False},
        {"cancelled": True, "reason": reason},
        user=user,
    )
    recompute_effective([shipment.dossier_id])
    return shipment


# --- Lists -----------------------------------------------------------------------------------

# ``eligibility_warning``: flagged when logged; ``not_eligible``: the procedure is not flagged
# eligible in the shipment's direction now (the reconciliation's count).
STATUSES = ("active", "cancelled", "eligibility_warning", "check_digit_warning", "not_eligible")


S10_SHAPE = "AA999999999AA"  # utils.validators.S10_RE: series, serial, check digit, country
TRACKING_PREFIX_MIN = 3  # the series letters and a digit: a shorter start names too many


def tracking_key():
    """The tracking number as its search index orders it: byte order (``COLLATE "C"`` on
    PostgreSQL, whose default collation may order otherwise; SQLite compares bytes already)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return Shipment.tracking_number.collate("C")
    return Shipment.tracking_number


def tracking_condition(q):
    """Shipments whose tracking number matches ``q`` (normalised as the log form normalises
    it), answered from the tracking number index: the whole number, or its start when ``q``
    starts an S10 number with at least the series letters and a digit (``RR12``). None when
    ``q`` cannot start a tracking number (the list then searches it as a dossier code)."""
    from blueprints.dossiers.services import TOP, _fits

    number = check_tracking_number(q).number
    if len(number) < TRACKING_PREFIX_MIN or not _fits(number, S10_SHAPE):
        return None
    key = tracking_key()
    if len(number) == len(S10_SHAPE):
        return key == number
    return and_(key >= number, key < number + TOP)


@dataclass
class ShipmentFilters:
    """The shipments list's filters, parsed from the URL (see ``postal.list_shipments``)."""

    q: str = ""
    direction: str = ""
    period: object = None
    department_id: int | None = None
    field_id: int | None = None
    status: str = ""
    # The unit the user is limited to (``utils.units.unit_scope``); ``None``: every unit, and
    # no unit condition at all.
    unit_id: int | None = None

    @property
    def joined(self):
        """Whether the conditions read the dossier or its procedure."""
        return bool(self.department_id or self.field_id or self.status == "not_eligible")

    def conditions(self, search=True):
        """Every filter (but the search, unless ``search``), on the shipments (joined to their
        dossier and procedure when ``joined``)."""
        out = unit_condition(Shipment.unit_id, self.unit_id)
        if self.q and search:
            out.append(self.search_condition())
        if self.period is not None:
            out += [Shipment.date >= self.period.start, Shipment.date <= self.period.end]
        return out + self.kept_conditions(Shipment)

    @property
    def by_tracking(self):
        """Whether the search is by tracking number: the page is then in number order, read
        from the tracking number index (as a dossier code search is in code order), not every
        match sorted by date."""
        return bool(self.q) and tracking_condition(self.q) is not None

    def dossier_search(self):
        """The search's condition on ``Dossier`` when it searches by dossier code, else
        ``None`` (no search, or by tracking number)."""
        from blueprints.dossiers.services import code_condition

        if not self.q or tracking_condition(self.q) is not None:
            return None
        return code_condition(self.q)

    def search_condition(self):
        from blueprints.dossiers.services import code_condition

        # What starts an S10 number is searched as a tracking number, from the tracking number
        # index; anything else as a dossier code by its structure, from the code index (as the
        # dossier list searches). One or the other, never an OR of both: the planner would read
        # every shipment for it.
        tracking = tracking_condition(self.q)
        if tracking is not None:
            return tracking
        return Shipment.dossier_id.in_(select(Dossier.id).where(code_condition(self.q)))

    def kept_conditions(self, c):
        """The filters but the search and the period, on rows with the shipments' columns ``c``
        (the shipments, or their kept counts) joined to ``Procedure``."""
        out = []
        if self.direction:
            out.append(c.direction == self.direction)
        if self.department_id:
            out.append(Procedure.department_id == self.department_id)
        if self.field_id:
            out.append(Procedure.field_id == self.field_id)
        active = c.cancelled.is_(False)
        if self.status == "active":
            out.append(active)
        elif self.status == "cancelled":
            out.append(c.cancelled.is_(True))
        elif self.status == "eligibility_warning":
            out += [active, c.eligibility_warning.is_(True)]
        elif self.status == "check_digit_warning":
            out += [active, c.check_digit_warning.is_(True)]
        elif self.status == "not_eligible":
            out.append(ineligible_shipment_condition(c))
        return out


def _joined(stmt):
    return stmt.join(Dossier, Dossier.id == Shipment.dossier_id).join(
        Procedure, Procedure.id == Dossier.procedure_id
    )


def search_shipments(filters, cursor=None, per_page=50):
    """A page of the shipments matching ``filters``, newest first, or by tracking number for a
    search by one (``utils.seek.Page``): found from the key of the row it starts after, never by
    skipping rows."""
    from sqlalchemy.orm import contains_eager

    from utils import seek

    dossiers = filters.dossier_search()
    if dossiers is None:
        stmt = _joined(select(Shipment)).where(*filters.conditions())
    else:  # the dossiers found by code first, then their shipments (``shipment_totals``)
        found = _DossiersFirst(
            Dossier.__table__, Shipment.__table__, Shipment.dossier_id == Dossier.id
        )
        stmt = (
            select(Shipment)
            .select_from(found)
            .join(Procedure, Procedure.id == Dossier.procedure_id)
            .where(dossiers, *filters.conditions(search=False))
        )
    stmt = stmt.options(contains_eager(Shipment.dossier).contains_eager(Dossier.procedure))
    if filters.by_tracking:
        column, key_of = tracking_key(), lambda s: (s.tracking_number, s.id)
    else:
        column, key_of = Shipment.date, None
    return seek.seek(
        db.session,
        stmt,
        column,
        Shipment.id,
        cursor or seek.Cursor(),
        per_page,
        nullable=False,
        key_of=key_of,
    )


class _DossiersFirst(Join):
    """dossier ⋈ shipment read in that order: a ``CROSS JOIN`` on SQLite, whose planner never
    reorders one (it would read every shipment of a small table rather than the index)."""

    inherit_cache = True


@compiles(_DossiersFirst, "sqlite")
def _dossiers_first(join, compiler, **kw):
    return compiler.visit_join(join, **kw).replace(" JOIN ", " CROSS JOIN ", 1)


def shipment_totals(conditions=(), joined=True, dossiers=None):
    """Totals of the shipments matching ``conditions``, counted over shipment ⋈ dossier ⋈
    procedure, or the shipments alone when not ``joined`` (``shipment_tally.totals_columns``:
    ``total``, ``active``, ``cancelled``, ``received``, ``returned``, ``eligibility_warnings``,
    ``check_digit_warnings``, ``fees``). ``list_totals`` reads the kept counts instead where
    they hold the answer.

    :param dossiers: a condition on ``Dossier`` (a search by dossier code): the dossiers are
        found first and their shipments read through the shipments' dossier index.
    """
    columns = shipment_tally.totals_columns(Shipment, 1, Shipment.fee)
    if dossiers is not None:
        found = _DossiersFirst(
            Dossier.__table__, Shipment.__table__, Shipment.dossier_id == Dossier.id
        )
        stmt = select(*columns).select_from(found).where(dossiers)
        if joined:
            stmt = stmt.join(Procedure, Procedure.id == Dossier.procedure_id)
    else:
        stmt = select(*columns).select_from(Shipment)
        if joined:  # ``joined=False``: conditions on the shipments' own columns, nothing to join
            stmt = _joined(stmt)
    row = db.session.execute(stmt.where(*conditions)).one()
    return {key: int(getattr(row, key)) for key in row._fields}


def list_totals(filters):
    """The list's totals for ``filters``: from the counts kept per date, unit, procedure,
    direction and status (``utils.shipment_tally``; a unit's rows for a user bound to one) for
    every filter but a search, which is counted over the shipments it finds through the
    tracking number index or, by dossier code, through the dossier code index and the
    shipments' dossier index."""
    if filters.q:
        dossiers = filters.dossier_search()
        if dossiers is None:
            return shipment_totals(filters.conditions(), filters.joined)
        return shipment_totals(filters.conditions(search=False), filters.joined, dossiers)

    def join(stmt, c):
        return stmt.join(Procedure, Procedure.id == c.procedure_id) if filters.joined else stmt

    return shipment_tally.totals(filters.period, filters.kept_conditions, join, filters.unit_id)


def recent_shipments(limit=15, unit_id=None):
    """The latest shipments logged (of the unit ``unit_id`` when given), newest first (the log
    form's list), with their dossiers. A unit's are read from the index by unit and id
    (``ix_shipment_unit_id``), whatever the other units logged since."""
    from sqlalchemy.orm import joinedload

    return (
        db.session.execute(
            select(Shipment)
            .where(*unit_condition(Shipment.unit_id, unit_id))
            .options(joinedload(Shipment.dossier).joinedload(Dossier.procedure))
            .order_by(Shipment.id.desc())
            .limit(limit)
        )
        .scalars()
        .all()
    )


# The file's columns, declared with their parsers, help and sample cells in
# ``utils.import_formats`` (which reads the file).
IMPORT_COLUMNS = import_formats.SHIPMENTS.required
IMPORT_OPTIONAL = import_formats.SHIPMENTS.optional
# The default export masks personal data under other column names, so importing it back never
# overwrites the stored values with masked ones (absent columns leave them unchanged).
EXPORT_COLUMNS = IMPORT_COLUMNS + (
    "ho_ten_che",
    "dia_chi_phuong",
    "dien_thoai_che",
    "cuoc_phi",
    "ma_tthc",
    "don_vi",
    "trang_thai",
    "canh_bao_so_kiem_tra",
    "canh_bao_du_dieu_kien",
)
PERSONAL_EXPORT_COLUMNS = import_formats.SHIPMENTS.names + ("ma_tthc", "don_vi", "trang_thai")


def export_rows(filters, personal=False, units=None):
    """Rows for a shipments export, personal data masked unless ``personal``: read as the
    returned iterator is (``utils.tabular.query_rows``: a streamed download). ``units``:
    ``{unit id: code}`` (``utils.import_units.export_units``): each row ends with its unit's
    code (``ma_don_vi``); ``None``: no unit column."""
    from utils.privacy import mask_address, mask_name, mask_phone
    from utils.tabular import query_rows

    stmt = (
        _joined(
            select(
                Shipment.tracking_number,
                Shipment.direction,
                Dossier.code,
                Shipment.date,
                Shipment.recipient_name,
                Shipment.address,
                Shipment.phone,
                Shipment.fee,
                Procedure.code.label("procedure_code"),
                Department.code.label("dept"),
                Shipment.cancelled,
                Shipment.check_digit_warning,
                Shipment.eligibility_warning,
                Shipment.unit_id,
            )
        )
        .join(Department, Department.id == Procedure.department_id)
        .where(*filters.conditions())
        .order_by(Shipment.date, Shipment.id)
    )

    def row(r):
        status = "da_huy" if r.cancelled else "hieu_luc"
        codes = () if units is None else (units[r.unit_id],)
        if personal:
            return (
                r.tracking_number,
                r.direction,
                r.code,
                r.date,
                r.recipient_name,
                r.address,
                r.phone,
                r.fee,
                r.procedure_code,
                r.dept,
                status,
                *codes,
            )
        return (
            r.tracking_number,
            r.direction,
            r.code,
            r.date,
            mask_name(r.recipient_name),
            mask_address(r.address),
            mask_phone(r.phone),
            r.fee,
            r.procedure_code,
            r.dept,
            status,
            r.check_digit_warning,
            r.eligibility_warning,
            *codes,
        )

    return query_rows(stmt, row)


def history(shipment):
    return (
        db.session.execute(
            select(AuditEvent)
            .where(AuditEvent.object_type == "shipment", AuditEvent.object_id == str(shipment.id))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        )
        .scalars()
        .all()
    )


# --- Reconciliation --------------------------------------------------------------------------


def ineligible_shipment_condition(c=Shipment):
    """A non-cancelled shipment whose procedure is not flagged eligible in its direction (on
    rows with the shipments' columns ``c``: the shipments, or their kept counts)."""
    return and_(
        c.cancelled.is_(False),
        or_(
            and_(c.direction == Direction.RECEIVE.value, Procedure.eligible_receive.is_(False)),
            and_(c.direction == Direction.RETURN.value, Procedure.eligible_return.is_(False)),
        ),
    )


def reconciliation_by_department(department_id=None, unit_id=None):
    """Per department: dossiers said to be by post with no shipment record (per direction), and
    shipments for procedures not flagged eligible. Only departments with something to review.

    :return: a list of dicts ``{"department_id", "code", "name", "unlogged_receive",
        "unlogged_return", "ineligible"}`` (and ``ineligible_receive``/``ineligible_return``,
        its two directions) by department code, and a dict of the totals.
    """
    from utils import reconcile

    out = {}

    def row(key):
        return out.setdefault(
            key,
            {
                "department_id": key,
                "unlogged_receive": 0,
                "unlogged_return": 0,
                "ineligible": 0,
                "ineligible_receive": 0,
                "ineligible_return": 0,
            },
        )

    # The counts kept per procedure (utils.reconcile): a few hundred rows, whatever the number
    # of dossiers.
    for dept_id, values in reconcile.totals_by_department(department_id, unit_id).items():
        if any(values.values()):
            row(dept_id).update(values)
    names = (
        {
            d.id: d
            for d in db.session.execute(
                select(Department).where(Department.id.in_(list(out)))
            ).scalars()
        }
        if out
        else {}
    )
    rows = []
    for dept_id, values in out.items():
        dept = names.get(dept_id)
        values.update(code=dept.code if dept else "", name=dept.name if dept else "")
        rows.append(values)
    rows.sort(key=lambda r: r["code"])
    totals = {
        k: sum(r[k] for r in rows)
        for k in (
            "unlogged_receive",
            "unlogged_return",
            "ineligible",
            "ineligible_receive",
            "ineligible_return",
        )
    }
    return rows, totals


def unlogged_postal_dossiers(department_id=None, limit=50, totals=None, unit_id=None):
    """Dossiers whose source channel says post in a direction with no shipment record in it:
    ``[(Dossier, direction)]``, oldest first. ``totals`` (``reconciliation_by_department``'s)
    skips a direction with none; the others are read from the partial index of the dossiers
    whose source says post, by date.
    """
    from sqlalchemy.orm import joinedload

    out = []
    for direction, key in (
        (Direction.RECEIVE.value, "unlogged_receive"),
        (Direction.RETURN.value, "unlogged_return"),
    ):
        if totals is not None and not totals.get(key):
            continue
        stmt = (
            select(Dossier)
            .join(Procedure, Procedure.id == Dossier.procedure_id)
            .where(unlogged_postal_condition(direction), *unit_condition(Dossier.unit_id, unit_id))
            .options(joinedload(Dossier.procedure))
        )
        if department_id:
            stmt = stmt.where(Procedure.department_id == department_id)
        date_col = Dossier.receive_date if direction == Direction.RECEIVE else Dossier.return_date
        for d in db.session.execute(stmt.order_by(date_col, Dossier.code).limit(limit)).scalars():
            out.append((d, direction))
    return out


def ineligible_shipments(department_id=None, limit=50, totals=None, unit_id=None):
    """Non-cancelled shipments whose procedure is not flagged eligible in their direction,
    newest first: one direction at a time, read newest first from the shipments' date index;
    ``totals`` (``reconciliation_by_department``'s) skips a direction with none."""
    from sqlalchemy.orm import contains_eager

    found = []
    for direction, flag, key in (
        (Direction.RECEIVE.value, Procedure.eligible_receive, "ineligible_receive"),
        (Direction.RETURN.value, Procedure.eligible_return, "ineligible_return"),
    ):
        if totals is not None and not totals.get(key):
            continue
        stmt = (
            _joined(select(Shipment))
            .where(
                flag.is_(False),
                Shipment.direction == direction,
                Shipment.cancelled.is_(False),
                *unit_condition(Shipment.unit_id, unit_id),
            )
            .options(contains_eager(Shipment.dossier).contains_eager(Dossier.procedure))
        )
        if department_id:
            stmt = stmt.where(Procedure.department_id == department_id)
        found += (
            db.session.execute(stmt.order_by(Shipment.date.desc(), Shipment.id.desc()).limit(limit))
            .scalars()
            .all()
        )
    found.sort(key=lambda s: (s.date, s.id), reverse=True)
    return found[:limit]


# --- Manifest import -------------------------------------------------------------------------


@dataclass
class PreparedManifest:
    """A manifest read and checked (``read_manifest``), ready to be written."""

    filename: str
    sha256: str
    report: ImportReport
    rows: list = field(default_factory=list)  # (row number, dossier code, values, bad in its cells)
    unit_cells: list | None = None  # each row's ma_don_vi cell (None: no such column)
    unit: int | None = None  # the import's unit id (``utils.import_units``)


def import_postal(filename, data, user=None, today=None, unit=None):
    """Import a postal manifest (docs/formats.md); all or nothing.

    Upserts by (tracking number, direction) among the shipments not cancelled. Bad rows: malformed number, unknown direction or
    dossier, the number and direction logged for another dossier, a bad date, phone or fee, a
    number twice in the file. Wrong S10 check digits and procedures not flagged eligible are
    accepted and listed as warnings (and stored as such). The steps (``read_manifest``,
    ``check_manifest_rows``, ``write_manifest``) can run in separate transactions: see
    ``import_checked_first``. ``unit``: the import's unit id; every row's dossier must be its
    row's unit's (``utils.import_units``), and each shipment takes its dossier's unit.
    """
    return MANIFEST_IMPORT.at_once(filename, data, user, today, unit)


def import_checked_first(filename, data, user=None, today=None, unit=None):
    """``import_postal`` for a caller that owns the transaction (the page, the command line):
    the whole manifest is read and checked with no write lock held, then written in a short
    write transaction that repeats the checks needing the database
    (``utils.transactions.ImportSteps.checked_first``). The caller commits or rolls back."""
    return MANIFEST_IMPORT.checked_first(filename, data, user, today, unit)


def read_manifest(filename, data, today=None):
    """Read and check a manifest without the database: every cell, and numbers appearing twice
    in a direction. :return: a ``PreparedManifest`` whose report lists the bad rows found so far."""
    report = ImportReport()
    prepared = PreparedManifest(filename, hashlib.sha256(data).hexdigest(), report)
    read = import_formats.SHIPMENTS.read(filename, data, report, today)
    if "ma_don_vi" in read.present:
        prepared.unit_cells = []
    for row in read.rows():
        values = row.values
        if prepared.unit_cells is not None:
            prepared.unit_cells.append(values.pop("unit", None))
        if "tracking_number" in values:
            values["check_digit_warning"] = not check_tracking_number(
                values["tracking_number"]
            ).check_digit_ok
        prepared.rows.append((row.number, values.pop("code", ""), values, row.bad))
    return prepared


def check_manifest_rows(prepared):
    """The checks of every row that read the database (a bad row each where one fails): the
    dossier exists, a result is not returned before its receive date and, once every row is
    good, the number and direction are not logged for another dossier and a shipment in a
    signed hand-over record keeps the values it prints. Sets each row's ``values["dossier"]``.

    :return: ``(existing, cancelled)``: the shipments not cancelled by (number, direction), and
        (number, direction, dossier id) of the cancelled ones."""
    report = prepared.report
    units = import_units.rows_units(
        report, prepared.unit, [row[0] for row in prepared.rows], prepared.unit_cells
    )
    if units is None:  # no unit for the file
        return {}, set()
    parsed = _check_dossiers(report, prepared.rows, units)
    if not report.ok:
        return {}, set()
    existing, cancelled = _stored_shipments({v["tracking_number"] for _, v in parsed})
    signed = _signed_records([s.id for s in existing.values()])
    for number, values in parsed:
        old = existing.get((values["tracking_number"], values["direction"]))
        if old is not None and old.dossier_id != values["dossier"].id:
            report.bad(
                number,
                "ma_ho_so",
                _l(
                    "Tracking number %(number)s is already logged in this direction for "
                    "another dossier."
                )
                % {"number": values["tracking_number"]},
            )
        elif old is not None and old.id in signed:
            _check_signed(report, number, values, old, signed[old.id])
    return existing, cancelled


def _check_dossiers(report, rows, units):
    """Each row's dossier exists and is its row's unit's (``units``: one unit id, or one a row,
    None at a row whose unit is bad), set as ``values["dossier"]``, and a result is not dated
    before its receive date. :return: ``(number, values)`` of the good rows."""
    dossiers = _dossiers_by_code({code for _, code, _, _ in rows if code})
    units = units if isinstance(units, list) else repeat(units)
    parsed = []
    for (number, code, values, bad), unit_id in zip(rows, units):
        bad = bad or unit_id is None
        if code:
            try:
                values["dossier"] = rules.known_dossier(dossiers.get(code), code)
                if unit_id is not None:
                    rules.same_unit(values["dossier"].unit_id, unit_id, code)
            except CellError as e:
                values.pop("dossier", None)
                report.bad(number, "ma_ho_so", e)
                bad = True
        try:
            rules.returned_after_received(
                values.get("direction"), values.get("date"), values.get("dossier")
            )
        except CellError as e:
            report.bad(number, "ngay", e)
            bad = True
        if not bad:
            parsed.append((number, values))
    return parsed


def _dossiers_by_code(codes):
    """The dossiers of ``codes`` with what the import needs of them (id, receive date, the
    procedure's eligibility), by code."""
    code_list, dossiers = sorted(codes), {}
    for start in range(0, len(code_list), CHUNK):
        chunk = code_list[start : start + CHUNK]
        stmt = (
            select(
                Dossier.code,
                Dossier.id,
                Dossier.unit_id,
                Dossier.receive_date,
                Procedure.eligible_receive,
                Procedure.eligible_return,
            )
            .join(Procedure, Procedure.id == Dossier.procedure_id)
            .where(Dossier.code.in_(chunk))
        )
        for r in db.session.execute(stmt):
            dossiers[r.code] = r
    return dossiers


def _stored_shipments(numbers):
    """Rows are matched with the shipment not cancelled of that number and direction. A number
    whose only record for the row's dossier is cancelled stays cancelled (re-importing a
    manifest never revives what someone cancelled); for another dossier it is logged anew.

    :return: the shipments of ``numbers`` not cancelled by (number, direction), and (number,
        direction, dossier id) of the cancelled ones."""
    numbers, existing, cancelled = sorted(numbers), {}, set()
    for start in range(0, len(numbers), CHUNK):
        chunk = numbers[start : start + CHUNK]
        for s in db.session.execute(
            select(Shipment).where(Shipment.tracking_number.in_(chunk))
        ).scalars():
            if s.cancelled:
                cancelled.add((s.tracking_number, s.direction, s.dossier_id))
            else:
                existing[(s.tracking_number, s.direction)] = s
    return existing, cancelled


_RECORDED_COLUMNS = {"recipient_name": "ho_ten", "address": "dia_chi", "fee": "cuoc_phi"}


def _check_signed(report, number, values, old, record):
    """A shipment in signed hand-over record ``record`` keeps the values the record prints (a
    purged shipment keeps its blanks whatever the file says: only its fee can differ)."""
    keys = ("fee",) if old.personal_data_purged_at else ("recipient_name", "address", "fee")
    for key in keys:
        if key in values and values[key] != getattr(old, key):
            report.bad(
                number,
                _RECORDED_COLUMNS[key],
                _l(
                    "Shipment %(number)s is in signed hand-over record No. %(record)s, "
                    "which prints this value: void the record before changing it."
                )
                % {"number": values["tracking_number"], "record": record},
            )


def write_manifest(prepared, user=None):
    """Write a checked manifest (``read_manifest``): the checks reading the database are
    repeated first, in this transaction, and nothing is written if one fails. Adds and flushes;
    the caller commits."""
    report, filename = prepared.report, prepared.filename
    existing, cancelled = check_manifest_rows(prepared)
    if not report.ok:
        return report
    parsed = [(number, values) for number, _, values, _ in prepared.rows]

    new_rows, touched, audit_items = [], set(), []
    user_id = getattr(user, "id", None)
    for number, values in parsed:
        d = values["dossier"]
        key = (values["tracking_number"], values["direction"])
        if key not in existing and (*key, d.id) in cancelled:
            report.warn(
                number,
                "so_hieu_buu_gui",
                _l(
                    "Shipment %(number)s was cancelled for this dossier: it stays cancelled "
                    "(log it again on the form if the cancellation was a mistake)."
                )
                % {"number": values["tracking_number"]},
            )
            report.unchanged += 1
            continue
        fields = _manifest_fields(report, number, values)
        old = existing.get(key)
        if old is None:
            new_rows.append(
                {
                    "tracking_number": values["tracking_number"],
                    "direction": values["direction"],
                    "dossier_id": d.id,
                    "unit_id": d.unit_id,
                    "recipient_name": "",
                    "address": "",
                    "phone": "",
                    "fee": None,
                    "recorded_by_id": user_id,
                    **fields,
                }
            )
            touched.add(d.id)
        elif _update_from_manifest(old, fields, audit_items):
            touched.add(d.id)
            report.updated += 1
        else:
            report.unchanged += 1
    _insert_shipments(new_rows)
    report.created = len(new_rows)
    db.session.flush()
    recompute_effective(touched)
    audit.record_import(
        "shipment.import",
        filename,
        prepared,
        len(parsed),
        user=user,
        warnings=len(report.warnings),
        **import_units.audited(prepared.unit),
    )
    audit.record_many("shipment.import_update", "shipment", audit_items, user=user)
    db.session.flush()
    return report


def _manifest_fields(report, number, values):
    """What a manifest row writes of its shipment, with the row's warnings (a wrong check
    digit, a procedure not flagged eligible in that direction)."""
    d = values["dossier"]
    eligible = d.eligible_receive if values["direction"] == Direction.RECEIVE else d.eligible_return
    if values["check_digit_warning"]:
        report.warn(
            number,
            "so_hieu_buu_gui",
            _l("Wrong S10 check digit (accepted): %(number)s")
            % {"number": values["tracking_number"]},
        )
    if not eligible:
        report.warn(
            number,
            "ma_ho_so",
            _l(
                "The procedure is not flagged eligible for this direction; the "
                "shipment is kept and listed for its department to review."
            ),
        )
    fields = {
        "date": values["date"],
        "check_digit_warning": values["check_digit_warning"],
        "eligibility_warning": not eligible,
    }
    for key in ("recipient_name", "address", "phone", "fee"):
        if key in values:
            fields[key] = values[key]
    return fields


def _update_from_manifest(old, fields, audit_items):
    """Apply a row's ``fields`` to its stored shipment (a purged one keeps its blanks); an
    audit item for each shipment that changed. :return: whether it changed."""
    if old.personal_data_purged_at is not None:
        fields = {k: v for k, v in fields.items() if k not in PERSONAL_FIELDS}
    before = _snapshot(old)
    for key, value in fields.items():
        setattr(old, key, value)
    b, a = audit.diff(before, _snapshot(old))
    if not a:
        return False
    old.updated_at = utcnow()
    audit_items.append((old.id, audit_safe(b), audit_safe(a)))
    return True


def _insert_shipments(rows):
    """Insert a manifest's new shipments, counted into the shipment tallies set-wise: on SQLite
    with one statement rather than the per-row trigger (``shipment_tally.inserting_many``); on
    PostgreSQL the rows are copied into a scratch table and moved into the shipments with one
    statement, whose trigger counts them at once (sent as one statement a row, each would run
    it)."""
    if not rows:
        return
    now = utcnow()
    for row in rows:
        row["created_at"] = row["updated_at"] = now
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        with shipment_tally.inserting_many(connection):
            db.session.execute(insert(Shipment.__table__), rows)
        return
    columns = [c for c in Shipment.__table__.columns if c.name != "id"]
    defaults = {  # what a Core insert would write for a column the rows leave out
        c.name: c.default.arg if c.default is not None and c.default.is_scalar else None
        for c in columns
    }
    names = ", ".join(connection.dialect.identifier_preparer.quote(c.name) for c in columns)
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS shipment_import ON COMMIT DELETE ROWS AS "
        f"SELECT {names} FROM shipment WITH NO DATA"
    )
    connection.exec_driver_sql("TRUNCATE shipment_import")
    bulk.copy_rows(
        connection,
        f"shipment_import ({names})",
        [tuple(row.get(c.name, defaults[c.name]) for c in columns) for row in rows],
    )
    connection.exec_driver_sql(
        f"INSERT INTO shipment ({names}) SELECT {names} FROM shipment_import"
    )


# --- Retention -------------------------------------------------------------------------------


def months_before(day, months):
    """The same day ``months`` calendar months earlier (clamped to the month's last day)."""
    total = day.year * 12 + (day.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    return date_type(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def purge_cutoff(today=None, unit_id=None):
    """Shipments dated before this day have passed the retention period (of unit ``unit_id``'s
    settings; the first unit's by default)."""
    return months_before(today or vn_today(), get_settings(unit_id).retention_months)


def purge_personal_data(today=None, user=None, dry_run=False, unit=None):
    """Blank the name, address and phone of shipments older than the retention period; with
    ``unit``, of that unit's shipments under its own retention period.

    Counts, dates, fees and channels stay, so every figure is unchanged. One audit event.
    :return: ``(cutoff, number of shipments purged)``.
    """
    unit_id = unit.id if unit is not None else None
    cutoff = purge_cutoff(today, unit_id)
    condition = and_(Shipment.date < cutoff, Shipment.personal_data_purged_at.is_(None))
    if unit is not None:
        condition = and_(condition, Shipment.unit_id == unit.id)
    ids = (
        db.session.execute(select(Shipment.id).where(condition).order_by(Shipment.id))
        .scalars()
        .all()
    )
    if dry_run or not ids:
        return cutoff, len(ids)
    now = utcnow()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        db.session.execute(
            update(Shipment)
            .where(Shipment.id.in_(chunk))
            .values(recipient_name="", address="", phone="", personal_data_purged_at=now)
            .execution_options(synchronize_session=False)
        )
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Shipment) and obj.id in set(ids):
            db.session.expire(obj)
    values = {
        "cutoff": cutoff,
        "retention_months": get_settings(unit_id).retention_months,
        "count": len(ids),
        "first_id": ids[0],
        "last_id": ids[-1],
    }
    if unit is not None:
        values["unit"] = unit.code
    audit.record("shipment.purge_personal_data", "shipment", "", None, values, user=user)
    db.session.flush()
    return cutoff, len(ids)


# The import's steps (``utils.transactions.ImportSteps``), once the functions above exist.
MANIFEST_IMPORT = ImportSteps(
    read_manifest, lambda prepared, _user: check_manifest_rows(prepared), write_manifest
)
