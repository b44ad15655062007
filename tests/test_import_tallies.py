"""The dossier import keeps every kept count (the day, ten-day and month tallies; what is left to
reconcile) equal to plain counts over the dossiers, all or nothing: an import that fails after
writing its rows and is rolled back leaves the counts, and the triggers that keep them, as they
were. On SQLite the import counts its new dossiers with one statement instead of the per-row
insert trigger (``utils.reconcile.inserting_many``)."""

import random
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from blueprints.dossiers import services
from blueprints.dossiers.services import create_dossier, import_dossiers
from extensions import db
from models import Dossier, ReconcileTally
from tests import factories as f
from utils import reconcile, tally

HEADER = "ma_ho_so,ma_tthc,ngay_tiep_nhan,kenh_tiep_nhan,ngay_tra,kenh_tra\n"
CHANNELS = ("truc_tiep", "truc_tuyen", "bcci")


def csv_bytes(lines):
    return (HEADER + "\n".join(lines) + "\n").encode("utf-8")


def random_lines(rng, codes, procedure_codes):
    """One line per code: random procedure, dates over two years and channels, a third with a
    result returned."""
    lines = []
    for code in codes:
        received = date(2024, 1, 1) + timedelta(days=rng.randrange(700))
        returned = ""
        return_channel = ""
        if rng.random() < 0.6:
            returned = (received + timedelta(days=rng.randrange(30))).strftime("%d/%m/%Y")
            return_channel = rng.choice(CHANNELS)
        lines.append(
            f"{code},{rng.choice(procedure_codes)},{received:%d/%m/%Y},"
            f"{rng.choice(CHANNELS)},{returned},{return_channel}"
        )
    return lines


def kept_counts():
    """Everything the tallies and the reconciliation table hold, to compare before and after."""
    out = {}
    for model in (*tally.DATE_KEYS, ReconcileTally):
        table = model.__table__
        out[table.name] = sorted(tuple(r) for r in db.session.execute(select(table)))
    return out


def assert_counts_right():
    assert tally.differences() == []
    assert reconcile.differences() == []


def dossier_count():
    return db.session.execute(select(func.count()).select_from(Dossier)).scalar_one()


@pytest.fixture()
def setting(app):
    """Three procedures, a user, and dossiers already stored, some by post with a shipment."""
    procs = [
        f.procedure(code="1.000001", receive=True, ret=True),
        f.procedure(code="1.000002", receive=True, ret=False),
        f.procedure(code="1.000003", receive=False, ret=True),
    ]
    user = f.user("centre")
    db.session.commit()
    logged = create_dossier(
        "000.00.22.H56-231201-0001", procs[0], "bcci", date(2023, 12, 1), user=user
    )
    create_dossier("000.00.22.H56-231201-0002", procs[1], "bcci", date(2023, 12, 1), user=user)
    f.logged_shipment(logged, "tiep_nhan", date(2023, 12, 1), user)
    db.session.commit()
    return [p.code for p in procs], user


def test_an_import_keeps_every_count_equal_to_plain_counts(setting):
    procedure_codes, user = setting
    rng = random.Random(15)
    codes = [f"000.00.22.H56-240101-{i:04d}" for i in range(1, 1201)]
    report = import_dossiers(
        "a.csv", csv_bytes(random_lines(rng, codes, procedure_codes)), user=user
    )
    assert report.ok and report.created == 1200
    assert_counts_right()
    db.session.commit()
    assert reconcile.kept()  # the file's postal dossiers are counted
    # The same codes again, changed (channels, procedures), with new ones among them.
    more = codes[::2] + [f"000.00.22.H56-240102-{i:04d}" for i in range(1, 301)]
    report = import_dossiers(
        "b.csv", csv_bytes(random_lines(rng, more, procedure_codes)), user=user
    )
    assert report.ok and report.created == 300 and report.updated > 0
    db.session.commit()
    assert_counts_right()
    # The insert trigger is still there: a dossier created on the form afterwards is counted.
    before = reconcile.kept()
    procedure = f.stored_dossier(codes[0]).procedure
    create_dossier("000.00.22.H56-240103-0001", procedure, "bcci", date(2024, 1, 3), user=user)
    db.session.commit()
    assert_counts_right()
    assert reconcile.kept()[procedure.id][0] == before.get(procedure.id, (0,))[0] + 1


@pytest.mark.parametrize("where", ["inside the insert", "after the insert"])
def test_an_import_failing_after_its_rows_are_written_changes_no_count(setting, monkeypatch, where):
    procedure_codes, user = setting
    rng = random.Random(16)
    codes = [f"000.00.22.H56-240201-{i:04d}" for i in range(1, 801)]
    report = import_dossiers(
        "a.csv", csv_bytes(random_lines(rng, codes[:400], procedure_codes)), user=user
    )
    assert report.ok
    db.session.commit()
    before, stored = kept_counts(), dossier_count()

    class Boom(Exception):
        pass

    written = []
    if where == "inside the insert":
        if db.session.get_bind().dialect.name != "sqlite":
            pytest.skip(
                "on PostgreSQL new dossiers go in by COPY and INSERT … SELECT, not insert_rows"
            )
        real = services.insert_rows

        def insert_then_fail(table, columns, rows):
            real(table, columns, rows)
            written.append(dossier_count() - stored)
            raise Boom()

        monkeypatch.setattr(services, "insert_rows", insert_then_fail)
    else:

        def fail(*args, **kwargs):
            written.append(dossier_count() - stored)
            raise Boom()

        monkeypatch.setattr(services.audit, "record_many", fail)
    with pytest.raises(Boom):
        import_dossiers("b.csv", csv_bytes(random_lines(rng, codes, procedure_codes)), user=user)
    assert written == [400]  # the new rows had been written when it failed
    db.session.rollback()
    monkeypatch.undo()
    assert dossier_count() == stored
    assert kept_counts() == before
    assert_counts_right()
    # The triggers still count what changes next, the insert's too.
    procedure = f.stored_dossier(codes[0]).procedure
    create_dossier("000.00.22.H56-240202-0001", procedure, "bcci", date(2024, 2, 2), user=user)
    db.session.commit()
    assert_counts_right()
    assert kept_counts() != before


def traced_import(conn, lines, user):
    """The dossier import of ``lines`` (all new) on SQLite, traced on the connection ``conn``
    uses: ``(every statement SQLite ran, the DB-API connection)``. The trace shows a trigger's
    statement again for each run of its program."""
    traced = []
    raw = conn.connection.driver_connection
    raw.set_trace_callback(traced.append)
    try:
        report = import_dossiers("a.csv", csv_bytes(lines), user=user)
    finally:
        raw.set_trace_callback(None)
    assert report.ok and report.created == len(lines)
    return traced, raw


@pytest.mark.sqlite_only
def test_on_sqlite_an_import_does_not_run_the_insert_trigger_per_row(setting):
    """SQLite runs a trigger's program for every row, even where its WHEN clause is false (its
    trace shows the statement again for each run); the import counts its rows in one statement."""
    procedure_codes, user = setting
    codes = [f"000.00.22.H56-240301-{i:04d}" for i in range(1, 201)]
    lines = random_lines(random.Random(17), codes, procedure_codes)
    conn = db.session.connection()
    trigger_sql = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
        (reconcile.DOSSIER_INSERT_TRIGGER,),
    ).scalar()
    traced, _raw = traced_import(conn, lines, user)
    inserts = [
        s
        for s in traced
        if s.lstrip().upper().startswith('INSERT INTO "DOSSIER"')
        or s.lstrip().upper().startswith("INSERT INTO DOSSIER ")
    ]
    assert len(inserts) == 200  # once per row: no trigger program ran beside it
    db.session.commit()
    assert_counts_right()
    assert (
        db.session.connection()
        .exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
            (reconcile.DOSSIER_INSERT_TRIGGER,),
        )
        .scalar()
        == trigger_sql
    )


@pytest.mark.sqlite_only
def test_on_sqlite_an_import_reads_no_dossier_table_whole(setting):
    """Every statement of an import that reads the dossiers reads those it names (by code or by
    id above the last one before the import), never the whole table or a whole index of it, as
    SQLite's plan for each says: the import's cost must not grow with the dossiers stored."""
    procedure_codes, user = setting
    codes = [f"000.00.22.H56-240401-{i:04d}" for i in range(1, 201)]
    lines = random_lines(random.Random(18), codes, procedure_codes)
    traced, raw = traced_import(db.session.connection(), lines, user)
    reads = [
        s
        for s in traced
        if "dossier" in s.lower()
        and s.lstrip().upper().startswith(("SELECT", "INSERT"))
        and "SELECT" in s.upper()
    ]
    assert any("reconcile_tally" in s for s in reads)  # the new dossiers' count is among them
    for statement in reads:
        query = statement[statement.upper().index("SELECT") :]
        if " ON CONFLICT" in query:
            query = query[: query.index(" ON CONFLICT")]
        plan = [row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {query}")]
        assert not [step for step in plan if re.match(r"SCAN dossier\b", step)], (
            statement,
            plan,
        )
    db.session.rollback()
