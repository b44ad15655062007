"""The counter's save (the log form's htmx POST): the statements it sends, and the tallies, the
reconciliation counts and the refusals it leaves, compared with plain counts over the dossiers."""

import re
from datetime import date

import pytest
from sqlalchemy import event, select

from extensions import db
from models import Shipment
from tests import factories as f
from tests.statements import recorded
from tests.test_postal import form_data
from utils import reconcile, tally

CODE = "000.17.22.H56-240301-0001"


def save(client, **extra):
    """The htmx save, and the statements it sent (``BEGIN`` left out), each on one line."""
    with recorded(leave_out=("BEGIN",)) as seen:
        r = client.post("/shipments/new", data=form_data(**extra), headers={"HX-Request": "true"})
    return r, [" ".join(s.split()) for s in seen]


def assert_counts_right():
    db.session.rollback()
    assert tally.differences() == []
    assert reconcile.differences() == []


@pytest.fixture()
def dossier(app):
    proc = f.procedure(code="1.001108", receive=True, ret=True)
    d = f.dossier(proc, date(2024, 3, 1), code=CODE)
    db.session.commit()
    return d


def test_a_save_reads_the_dossier_once_and_checks_the_number_in_its_insert(client, auth, dossier):
    auth.login("centre")
    r, statements = save(client)
    assert r.status_code == 200 and 'data-testid="saved"' in r.text
    listing = "\n".join(statements)
    reads_dossier = [s for s in statements if s.startswith("SELECT") and "FROM dossier" in s]
    # The dossier with its procedure, locked for the save on PostgreSQL; the tallies take its
    # counts before the change from it, and after from the UPDATE's RETURNING.
    assert len(reads_dossier) == 1, listing
    if db.engine.dialect.name == "postgresql":
        assert reads_dossier[0].endswith("FOR UPDATE OF dossier"), listing
    [update] = [s for s in statements if s.startswith("UPDATE dossier")]
    assert re.search(r"RETURNING (dossier\.)?procedure_id, (dossier\.)?receive_date", update), (
        listing
    )
    # No look-up of the number beforehand: the INSERT does nothing when it is live already.
    assert not any(s.startswith("SELECT shipment.id") for s in statements), listing
    [insert] = [s for s in statements if "INSERT INTO shipment" in s]
    assert "ON CONFLICT (tracking_number, direction) WHERE NOT cancelled DO NOTHING" in insert
    # The session, the units' count (the counter's unit picker), the dossier, the shipment, its
    # audit event, the dossier's effective values and the four tallies (day, ten days, month,
    # quarter) of the new return date, the unit's then the province's. On PostgreSQL the audit event goes in the shipment's statement, and the
    # tallies as one text: one round trip each to the server, each tally in key order.
    tallies = [s for s in statements if re.match(r"INSERT INTO (dossier|province)_", s)]
    events = [s for s in statements if "INSERT INTO audit_event" in s]
    order = [
        "dossier_day_tally",
        "dossier_tenday_tally",
        "dossier_month_tally",
        "dossier_quarter_tally",
        "province_day_tally",
        "province_tenday_tally",
        "province_month_tally",
        "province_quarter_tally",
    ]
    if db.engine.dialect.name == "postgresql":
        assert events == [insert], listing
        [sent] = tallies
        assert re.findall(r"INSERT INTO ((?:dossier|province)_\w+_tally)", sent) == order, listing
        assert len(statements) <= 6, listing
    else:
        assert len(events) == 1, listing
        assert [re.match(r"INSERT INTO (\w+)", s)[1] for s in tallies] == order, listing
        assert len(statements) <= 14, listing
    assert_counts_right()


@pytest.mark.parametrize("direction", ["tiep_nhan", "tra_ket_qua"])
def test_saves_keep_the_tallies_and_reconciliation_counts(client, auth, dossier, direction):
    """Counts before a change come from the dossier the save read: a second shipment, another
    direction, a dossier returned at the desk, a dossier created by the save."""
    returned = f.dossier(
        dossier.procedure, date(2024, 3, 2), returned=date(2024, 3, 5), return_channel="truc_tiep"
    )
    db.session.commit()
    auth.login("centre")
    for serial, extra in enumerate(
        (
            {},
            {"date": "2024-03-08"},  # earlier: the effective date moves
            {"direction": "tiep_nhan" if direction == "tra_ket_qua" else "tra_ket_qua"},
            {"dossier_code": returned.code},
            {
                "dossier_code": "000.17.22.H56-240303-0002",
                "procedure_code": "1.001108",
                "receive_channel": "bcci",
                "receive_date": "2024-03-03",
            },
        )
    ):
        r, _ = save(
            client,
            **(
                {"direction": direction, "tracking_number": f.tracking_number("EB", serial + 1)}
                | extra
            ),
        )
        assert r.status_code == 200, r.text
        assert_counts_right()
    assert len(db.session.execute(select(Shipment)).scalars().all()) == 5
    d = f.stored_dossier(CODE)
    if direction == "tra_ket_qua":
        assert (d.return_channel, d.return_date) == ("bcci", date(2024, 3, 8))


def test_a_number_already_logged_is_said_before_the_other_refusals(client, auth, dossier):
    wrong_digit = "EB123456789VN"
    f.shipment(dossier, "tra_ket_qua", tracking_number=wrong_digit)
    db.session.commit()
    auth.login("centre")
    # Its check digit is wrong and not confirmed: the duplicate is what the answer says.
    r, _ = save(client, tracking_number=wrong_digit)
    assert r.status_code == 409 and 'data-testid="tracking-duplicate"' in r.text
    # A new number with the same unconfirmed digit is asked to be confirmed.
    r, _ = save(client, tracking_number="EB123456780VN")
    assert r.status_code == 422 and 'name="confirm_check_digit"' in r.text
    # The duplicate is refused by the INSERT: nothing written, counts unchanged.
    r, statements = save(client, tracking_number=wrong_digit, confirm_check_digit="y")
    assert r.status_code == 409 and 'data-testid="tracking-duplicate"' in r.text
    assert any("DO NOTHING" in s for s in statements)
    assert len(db.session.execute(select(Shipment)).scalars().all()) == 1
    assert_counts_right()


def test_on_postgresql_a_request_takes_one_connection_and_rolls_nothing_back(client, auth, dossier):
    """The session's lookup is the first statement of the request's own transaction there (a
    second connection would be checked, begun and rolled back, and the rollback makes the driver
    forget its prepared statements); SQLite reads it on a connection of its own, deferred."""
    auth.login("centre")
    taken, rolled_back = [], []
    pool = db.engine.pool

    def checkout(dbapi_connection, record, proxy):
        taken.append(record)

    def rollback(connection):
        rolled_back.append(connection)

    event.listen(pool, "checkout", checkout)
    event.listen(db.engine, "rollback", rollback)
    try:
        r = client.post("/shipments/new", data=form_data(), headers={"HX-Request": "true"})
    finally:
        event.remove(pool, "checkout", checkout)
        event.remove(db.engine, "rollback", rollback)
    assert r.status_code == 200 and 'data-testid="saved"' in r.text
    if db.engine.dialect.name == "postgresql":
        assert (len(taken), len(rolled_back)) == (1, 0)
    else:
        assert (len(taken), len(rolled_back)) == (2, 1)
    assert_counts_right()
