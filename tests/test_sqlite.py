"""SQLite done right: WAL, busy timeout, foreign keys, and writers that wait instead of failing."""

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from extensions import db
from models import AuditEvent
from tests.statements import recorded
from utils import audit

pytestmark = pytest.mark.sqlite_only


def test_pragmas_on_every_connection(app):
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_write_transactions_begin_immediately(app, runner):
    with recorded() as statements:
        runner.invoke(
            args=["users", "create", "someone", "--role", "leader", "--password", "long-enough-pw"]
        )
    assert "BEGIN IMMEDIATE" in statements


def test_concurrent_writers_wait_instead_of_failing(app):
    """Eight threads each write 20 audit events through their own sessions; none fails."""
    errors = []

    def writer(n):
        with app.app_context(), app.test_request_context("/", method="POST"):
            try:
                for i in range(20):
                    audit.record("test_write", "thread", f"{n}-{i}")
                    db.session.commit()
            except OperationalError as e:  # "database is locked" would land here
                errors.append(repr(e))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert db.session.query(AuditEvent).filter_by(action="test_write").count() == 160


def test_planner_statistics_appear_after_use(app):
    """A fresh database gets SQLite's planner statistics by itself (PRAGMA optimize when a
    connection goes back to the pool), so counts keep using the per-procedure ranges."""
    import sqlite3
    from datetime import date

    from tests import factories as f
    from utils import figures
    from utils.dates import Period

    proc = f.procedure(receive=True)
    for day in range(1, 29):
        f.dossier(proc, date(2024, 2, day), "bcci" if day % 7 == 0 else "truc_tiep")
    db.session.commit()
    figures.summary(Period(date(2024, 1, 1), date(2024, 12, 31)))
    db.session.remove()
    db.engine.dispose()  # every pooled connection checked in and closed
    path = db.engine.url.database
    with sqlite3.connect(path) as conn:
        indexes = {r[0] for r in conn.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = 'dossier'")}
    assert {"ix_dossier_receive", "ix_dossier_proc_receive"} <= indexes
