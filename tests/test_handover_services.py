"""Hand-over records: the batch rules, in the services and in the database."""

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from blueprints.handover import services
from extensions import db
from models import AuditEvent, HandoverItem, utcnow
from tests import factories as f
from utils.dates import vn_today
from utils.errors import Refusal


@pytest.fixture()
def day(app):
    return vn_today()


@pytest.fixture()
def dossier(day):
    return f.dossier(f.procedure(ret=True, receive=True), received=day - timedelta(days=10))


def _actions():
    return [e.action for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]


def test_proposal_takes_the_days_shipments_not_yet_handed_over(dossier, day):
    today = [f.shipment(dossier, "tra_ket_qua", when=day, fee=25000) for _ in range(2)]
    f.shipment(dossier, "tra_ket_qua", when=day - timedelta(days=1))  # another day
    f.shipment(dossier, "tra_ket_qua", when=day, cancelled=True)  # cancelled
    f.shipment(dossier, "tiep_nhan", when=day)  # the other direction
    f.shipment(dossier, "tra_ket_qua", when=day, handed_over_at=utcnow())  # already handed over
    batch = services.propose_batch("tra_ket_qua")
    assert batch.day == day and batch.status == "draft" and batch.number is None
    assert [i.shipment_id for i in services.batch_items(batch)] == [s.id for s in today]
    assert _actions() == ["handover.create"]


def test_proposal_refuses_a_bad_direction_or_a_future_day(day):
    with pytest.raises(Refusal) as e:
        services.propose_batch("sideways")
    assert e.value.status == 422
    with pytest.raises(Refusal):
        services.propose_batch("tiep_nhan", day + timedelta(days=1))


def test_a_shipment_is_in_one_live_record_only(dossier, day):
    shipment = f.shipment(dossier, "tra_ket_qua", when=day)
    first = services.propose_batch("tra_ket_qua")
    second = services.propose_batch("tra_ket_qua")
    assert services.batch_items(second) == []  # the first draft holds it
    with pytest.raises(Refusal) as e:
        services.add_item(second, shipment.id)
    assert e.value.status == 409
    services.sign_batch(first)
    with pytest.raises(Refusal) as e:
        services.add_item(second, shipment.id)
    assert e.value.status == 409


def test_the_database_refuses_a_second_live_item(dossier, day):
    shipment = f.shipment(dossier, "tra_ket_qua", when=day)
    services.propose_batch("tra_ket_qua")
    other = services.propose_batch("tra_ket_qua")
    db.session.add(
        HandoverItem(batch_id=other.id, shipment_id=shipment.id, held_shipment_id=shipment.id)
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_signing_numbers_the_record_and_marks_shipments_handed_over(dossier, day):
    shipments = [
        f.shipment(dossier, "tra_ket_qua", when=day, fee=fee) for fee in (25000, None, 30000)
    ]
    batch = services.propose_batch("tra_ket_qua")
    services.sign_batch(batch)
    assert (batch.status, batch.year, batch.number) == ("signed", day.year, 1)
    assert all(s.handed_over_at == batch.signed_at for s in shipments)
    totals = services.handover_totals([batch.id])[batch.id]
    assert totals == services.HandoverTotals(shipments=3, fee_total=55000, fee_unknown=1)
    f.shipment(dossier, "tiep_nhan", when=day)
    second = services.propose_batch("tiep_nhan")
    services.sign_batch(second)
    assert second.number == 2  # one sequence per year, both directions
    with pytest.raises(Refusal) as e:
        services.add_item(batch, f.shipment(dossier, "tra_ket_qua", when=day).id)
    assert e.value.status == 409  # a signed record does not change
    assert _actions()[-1] == "handover.sign"


def test_signing_refuses_an_empty_record_or_a_cancelled_shipment(dossier, day):
    empty = services.propose_batch("tra_ket_qua")
    with pytest.raises(Refusal) as e:
        services.sign_batch(empty)
    assert e.value.status == 422
    shipment = f.shipment(dossier, "tra_ket_qua", when=day)
    services.add_item(empty, shipment.id)
    shipment.cancelled = True
    with pytest.raises(Refusal) as e:
        services.sign_batch(empty)
    assert e.value.status == 409 and shipment.handed_over_at is None


def test_voiding_frees_the_shipments(dossier, day):
    shipment = f.shipment(dossier, "tra_ket_qua", when=day)
    batch = services.propose_batch("tra_ket_qua")
    services.sign_batch(batch)
    with pytest.raises(Refusal) as e:
        services.void_batch(batch, "  ")
    assert e.value.status == 422
    services.void_batch(batch, "Sai số hiệu bưu gửi")
    assert batch.status == "voided" and batch.void_reason == "Sai số hiệu bưu gửi"
    assert shipment.handed_over_at is None
    again = services.propose_batch("tra_ket_qua")
    assert [i.shipment_id for i in services.batch_items(again)] == [shipment.id]
    services.sign_batch(again)
    assert again.number == 2  # the voided record keeps its number
    event = db.session.query(AuditEvent).filter_by(action="handover.void").one()
    assert event.new_values["reason"] == "Sai số hiệu bưu gửi"


def test_only_signed_records_are_voided_and_drafts_discarded(dossier, day):
    f.shipment(dossier, "tra_ket_qua", when=day)
    draft = services.propose_batch("tra_ket_qua")
    with pytest.raises(Refusal):
        services.void_batch(draft, "lý do")
    services.discard_draft(draft)
    assert draft.status == "voided" and draft.number is None  # kept for the trail
    assert services.batch_items(services.propose_batch("tra_ket_qua"))  # freed
    with pytest.raises(Refusal) as e:
        services.discard_draft(draft)
    assert e.value.status == 409


def test_add_and_remove_items(dossier, day):
    batch = services.propose_batch("tiep_nhan")
    wrong_way = f.shipment(dossier, "tra_ket_qua", when=day)
    with pytest.raises(Refusal) as e:
        services.add_item(batch, wrong_way.id)
    assert e.value.status == 422
    with pytest.raises(Refusal) as e:
        services.add_item(batch, 999999)
    assert e.value.status == 404
    earlier = f.shipment(dossier, "tiep_nhan", when=day - timedelta(days=3))
    item = services.add_item(batch, earlier.id)
    assert services.available_shipments("tiep_nhan") == []
    services.set_item_counts(batch, item.id, 1, 2)
    assert (item.originals, item.copies) == (1, 2)
    services.remove_item(batch, item.id)
    assert services.available_shipments("tiep_nhan") == [earlier]
    assert _actions() == [
        "handover.create",
        "handover.add_item",
        "handover.item_counts",
        "handover.remove_item",
    ]
