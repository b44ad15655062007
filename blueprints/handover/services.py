"""Rules and mutations of hand-over records: propose, add and remove items, sign, void.

Services add and flush, never commit, and raise ``utils.errors.Refusal`` (the view turns it into a
response). The rules: a record holds shipments of its own direction that are neither cancelled
nor handed over; a shipment is in at most one record that is not voided
(``HandoverItem.held_shipment_id`` is unique); only drafts change; signing numbers the record
within the year it is signed in and marks its shipments handed over; voiding, with a reason,
frees them again. Every mutation is audited.
"""

from dataclasses import dataclass

from sqlalchemy import case, exists, func, select
from sqlalchemy.exc import IntegrityError

from extensions import db
from flask_babel import lazy_gettext as _l
from models import (
    DIRECTIONS,
    FIRST_UNIT_ID,
    Dossier,
    HandoverBatch,
    HandoverItem,
    Shipment,
    utcnow,
)
from utils import audit
from utils.dates import to_vn, vn_today
from utils.errors import Refusal
from utils.units import new_record_unit, record_unit_condition, taking_records, unit_condition

CANDIDATE_LIMIT = 100


# --- Totals -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HandoverTotals:
    """A hand-over record's totals: its shipments, the fees collected, how many fees are unknown,
    and the originals and copies where known (``None`` when no item says)."""

    shipments: int = 0
    fee_total: int = 0
    fee_unknown: int = 0
    originals: int | None = None
    copies: int | None = None


def handover_totals(batch_ids):
    """``{batch_id: HandoverTotals}`` for the given hand-over records, counted in SQL.

    A record without items is absent from the result (its totals are ``HandoverTotals()``).
    """
    ids = list(batch_ids)
    if not ids:
        return {}
    query = (
        select(
            HandoverItem.batch_id,
            func.count(HandoverItem.id),
            func.coalesce(func.sum(Shipment.fee), 0),
            func.count(case((Shipment.fee.is_(None), 1))),
            func.sum(HandoverItem.originals),
            func.sum(HandoverItem.copies),
        )
        .join(Shipment, Shipment.id == HandoverItem.shipment_id)
        .where(HandoverItem.batch_id.in_(ids))
        .group_by(HandoverItem.batch_id)
    )
    return {
        batch_id: HandoverTotals(
            int(n),
            int(fees),
            int(unknown),
            None if originals is None else int(originals),
            None if copies is None else int(copies),
        )
        for batch_id, n, fees, unknown, originals, copies in db.session.execute(query)
    }


# --- Queries ----------------------------------------------------------------------------------


def _held():
    """A live record (draft or signed) already holds the outer shipment."""
    return exists().where(HandoverItem.held_shipment_id == Shipment.id)


def available_shipments_query(direction, day=None, tracking=None, unit_id=FIRST_UNIT_ID):
    """Shipments of the unit ``unit_id`` that may go into a record of ``direction``: not
    cancelled, not handed over, not held by another live record; optionally of one ``day`` or
    with a tracking number containing ``tracking``."""
    query = (
        select(Shipment)
        .where(
            Shipment.direction == direction,
            Shipment.cancelled.is_(False),
            Shipment.handed_over_at.is_(None),
            ~_held(),
            *record_unit_condition(Shipment.unit_id, unit_id),
        )
        .order_by(Shipment.date, Shipment.tracking_number)
    )
    if day is not None:
        query = query.where(Shipment.date == day)
    if tracking:
        from utils.text import escape_like
        from utils.validators import normalise_tracking_number

        pattern = "%" + escape_like(normalise_tracking_number(tracking)) + "%"
        query = query.where(Shipment.tracking_number.like(pattern, escape="\\"))
    return query


def available_shipments(
    direction, day=None, tracking=None, limit=CANDIDATE_LIMIT, unit_id=FIRST_UNIT_ID
):
    query = available_shipments_query(direction, day, tracking, unit_id)
    return db.session.execute(query.limit(limit)).scalars().all()


def batch_items(batch):
    """The record's items with shipment, dossier and procedure loaded, in the order added."""
    from sqlalchemy.orm import contains_eager

    query = (
        select(HandoverItem)
        .join(HandoverItem.shipment)
        .join(Shipment.dossier)
        .join(Dossier.procedure)
        .options(
            contains_eager(HandoverItem.shipment)
            .contains_eager(Shipment.dossier)
            .contains_eager(Dossier.procedure)
        )
        .where(HandoverItem.batch_id == batch.id)
        .order_by(HandoverItem.id)
    )
    return db.session.execute(query).scalars().all()


def recent_batches(status=None, limit=200, unit_id=None):
    """The latest records (of the unit ``unit_id`` when given), newest day first."""
    query = (
        select(HandoverBatch)
        .where(*unit_condition(HandoverBatch.unit_id, unit_id))
        .order_by(HandoverBatch.day.desc(), HandoverBatch.id.desc())
    )
    if status in ("draft", "signed", "voided"):
        query = query.where(HandoverBatch.status == status)
    return db.session.execute(query.limit(limit)).scalars().all()


# --- Mutations --------------------------------------------------------------------------------


def _check_direction(direction):
    if direction not in DIRECTIONS:
        raise Refusal(_l("Choose a direction: dossiers received or results returned."))


def _check_draft(batch):
    if batch.status != "draft":
        raise Refusal(
            _l("This hand-over record is no longer a draft: it cannot change."), status=409
        )


def _flush_or_conflict():
    """Flush; a uniqueness race with another request becomes a 409, not a server error."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Refusal(
            _l("Someone else changed these shipments meanwhile. Reload and try again."), status=409
        ) from None


def propose_batch(direction, day=None, user=None, unit_id=None):
    """A new draft of ``user``'s unit (the first unit for a user bound to none) for
    ``direction`` and ``day`` (default: today in Vietnam), holding every shipment of that unit,
    day and direction not yet handed over nor held by another record.

    :param unit_id: the unit of the record, instead of ``user``'s.
    :raise Refusal: bad direction, a day in the future, a deactivated unit.
    """
    _check_direction(direction)
    day = day or vn_today()
    if day > vn_today():
        raise Refusal(_l("The day of a hand-over record cannot be in the future."))
    batch = HandoverBatch(
        unit_id=taking_records(unit_id or new_record_unit(user)),
        direction=direction,
        day=day,
        status="draft",
        created_by_id=getattr(user, "id", None),
    )
    db.session.add(batch)
    db.session.flush()
    shipments = available_shipments(direction, day=day, limit=None, unit_id=batch.unit_id)
    for shipment in shipments:
        db.session.add(
            HandoverItem(batch_id=batch.id, shipment_id=shipment.id, held_shipment_id=shipment.id)
        )
    _flush_or_conflict()
    audit.record(
        "handover.create",
        "handover_batch",
        batch.id,
        None,
        {"direction": direction, "day": day, "shipments": [s.tracking_number for s in shipments]},
        user=user,
    )
    return batch


def add_item(batch, shipment_id, user=None):
    """Put one shipment into a draft.

    :raise Refusal: 404 unknown shipment; 409 not a draft, handed over or in another record;
        422 other direction or cancelled.
    """
    _check_draft(batch)
    shipment = db.session.get(Shipment, shipment_id) if isinstance(shipment_id, int) else None
    if shipment is None or shipment.unit_id != batch.unit_id:  # another unit's: as none
        raise Refusal(_l("No such shipment."), status=404)
    if shipment.direction != batch.direction:
        raise Refusal(
            _l("Shipment %(n)s goes the other way; it belongs in another record."),
            n=shipment.tracking_number,
        )
    if shipment.cancelled:
        raise Refusal(_l("Shipment %(n)s is cancelled."), n=shipment.tracking_number)
    if shipment.handed_over_at is not None:
        raise Refusal(
            _l("Shipment %(n)s has already been handed over."),
            status=409,
            n=shipment.tracking_number,
        )
    holder = db.session.execute(
        select(HandoverItem).where(HandoverItem.held_shipment_id == shipment.id)
    ).scalar_one_or_none()
    if holder is not None:
        raise Refusal(
            _l("Shipment %(n)s is already in hand-over record %(b)s."),
            status=409,
            n=shipment.tracking_number,
            b=holder.batch_id,
        )
    item = HandoverItem(batch_id=batch.id, shipment_id=shipment.id, held_shipment_id=shipment.id)
    db.session.add(item)
    _flush_or_conflict()
    audit.record(
        "handover.add_item",
        "handover_batch",
        batch.id,
        None,
        {"shipment": shipment.tracking_number},
        user=user,
    )
    return item


def _item_of(batch, item_id):
    """The record's item, or a 409: it was taken out meanwhile (or belongs elsewhere)."""
    item = db.session.get(HandoverItem, item_id) if isinstance(item_id, int) else None
    if item is None or item.batch_id != batch.id:
        raise Refusal(_l("This shipment is no longer in the record."), status=409)
    return item


def remove_item(batch, item_id, user=None):
    """Take one item out of a draft.

    :raise Refusal: 409 not a draft, or not (or no longer) an item of this record.
    """
    _check_draft(batch)
    item = _item_of(batch, item_id)
    tracking = item.shipment.tracking_number
    batch.items.remove(item)
    db.session.flush()
    audit.record(
        "handover.remove_item", "handover_batch", batch.id, {"shipment": tracking}, None, user=user
    )


def set_item_counts(batch, item_id, originals, copies, user=None):
    """Record how many originals and copies an item holds (``None`` where unknown)."""
    _check_draft(batch)
    item = _item_of(batch, item_id)
    for value in (originals, copies):
        if value is not None and (value < 0 or value > 999):
            raise Refusal(_l("Enter a number of papers between 0 and 999."))
    old = audit.snapshot(item, ("originals", "copies"))
    item.originals, item.copies = originals, copies
    db.session.flush()
    before, after = audit.diff(old, audit.snapshot(item, ("originals", "copies")))
    if after:
        audit.record(
            "handover.item_counts",
            "handover_batch",
            batch.id,
            dict(before, shipment=item.shipment.tracking_number),
            after,
            user=user,
        )
    return item


def set_counts(batch, counts, user=None):
    """Record the originals and copies of several items at once (the draft's one save):
    ``counts`` maps item ids to ``(originals, copies)``; nothing changes unless every value is
    valid. One audit event per item whose numbers changed."""
    _check_draft(batch)
    for originals, copies in counts.values():
        for value in (originals, copies):
            if value is not None and (value < 0 or value > 999):
                raise Refusal(_l("Enter a number of papers between 0 and 999."))
    for item_id, (originals, copies) in counts.items():
        set_item_counts(batch, item_id, originals, copies, user=user)


def _next_number(year, unit_id):
    """The next record number of the unit ``unit_id`` in ``year`` (numbered per unit and year)."""
    current = db.session.execute(
        select(func.max(HandoverBatch.number)).where(
            HandoverBatch.unit_id == unit_id, HandoverBatch.year == year
        )
    ).scalar()
    return (current or 0) + 1


def sign_batch(batch, user=None):
    """Sign a draft: number it within the year of signing (Vietnam time), and mark its shipments
    handed over now.

    :raise Refusal: 409 not a draft, or a shipment was cancelled or handed over meanwhile;
        422 an empty record.
    """
    _check_draft(batch)
    items = batch_items(batch)
    if not items:
        raise Refusal(_l("Add at least one shipment before signing the record."))
    for item in items:
        shipment = item.shipment
        if shipment.cancelled:
            raise Refusal(
                _l("Shipment %(n)s has been cancelled: remove it before signing."),
                status=409,
                n=shipment.tracking_number,
            )
        if shipment.handed_over_at is not None:
            raise Refusal(
                _l("Shipment %(n)s has already been handed over."),
                status=409,
                n=shipment.tracking_number,
            )
    now = utcnow()
    # Documents are numbered within the year they are signed in (the date printed on them).
    batch.year = to_vn(now).year
    batch.number = _next_number(batch.year, batch.unit_id)
    batch.status = "signed"
    batch.signed_at = now
    batch.printed_by_id = getattr(user, "id", None)
    for item in items:
        item.shipment.handed_over_at = now
        item.shipment.updated_at = now
    _flush_or_conflict()
    audit.record(
        "handover.sign",
        "handover_batch",
        batch.id,
        {"status": "draft"},
        {
            "status": "signed",
            "number": batch.number,
            "year": batch.year,
            "shipments": [i.shipment.tracking_number for i in items],
        },
        user=user,
    )
    return batch


def void_batch(batch, reason, user=None):
    """Void a signed record with a reason: its shipments are no longer handed over and are free
    to go into another record.

    :raise Refusal: 409 not signed; 422 no reason.
    """
    from utils.text import nfc

    reason = nfc(reason or "")
    if batch.status != "signed":
        raise Refusal(
            _l("Only a signed record can be voided; a draft can be discarded."), status=409
        )
    if not reason:
        raise Refusal(_l("Give the reason for voiding the record."))
    items = batch_items(batch)
    now = utcnow()
    batch.status = "voided"
    batch.void_reason = reason[:2000]
    batch.voided_at = now
    batch.voided_by_id = getattr(user, "id", None)
    for item in items:
        item.held_shipment_id = None
        item.shipment.handed_over_at = None
        item.shipment.updated_at = now
    db.session.flush()
    audit.record(
        "handover.void",
        "handover_batch",
        batch.id,
        {"status": "signed"},
        {
            "status": "voided",
            "reason": batch.void_reason,
            "shipments": [i.shipment.tracking_number for i in items],
        },
        user=user,
    )
    return batch


def discard_draft(batch, user=None):
    """Give up a draft: it becomes voided without a number (kept for the trail) and frees its
    shipments.

    :raise Refusal: 409 not a draft.
    """
    _check_draft(batch)
    items = batch_items(batch)
    batch.status = "voided"
    batch.voided_at = utcnow()
    batch.voided_by_id = getattr(user, "id", None)
    for item in items:
        item.held_shipment_id = None
    db.session.flush()
    audit.record(
        "handover.discard",
        "handover_batch",
        batch.id,
        {"status": "draft"},
        {"status": "voided", "shipments": [i.shipment.tracking_number for i in items]},
        user=user,
    )


def record_print(batch, user=None):
    """Each print of a record is an audit event: the record names citizens."""
    audit.record(
        "handover.print",
        "handover_batch",
        batch.id,
        None,
        {"status": batch.status, "number": batch.number},
        user=user,
    )
