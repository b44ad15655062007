"""Which transactions take the write lock, and what a person sees when a lock wait runs out.

On SQLite a transaction that will write begins with ``BEGIN IMMEDIATE`` (it takes the one write
lock at once, so two writers queue instead of failing half-way); one that only reads begins
deferred and, under WAL, never waits for a writer. By default a request that is not a GET, HEAD
or OPTIONS, and a command-line command, writes. Code that knows better says so:

- ``with reading():`` — everything the block reads runs in deferred transactions: an import
  reads and checks its whole file and what it needs from the database there, then ends that
  transaction before its short write transaction begins;
- ``@read_only`` on a command (``tally check``, reports) — it never takes the write lock.

Every wait for a lock is bounded by one budget, ``DATABASE_LOCK_WAIT_SECONDS`` (SQLite's busy
timeout, PostgreSQL's ``lock_timeout``; see docs/limits.md). When it runs out, ``is_busy(error)``
recognises the error and the application answers 503 with ``Retry-After`` (``app.py``).
"""

import functools
import time
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

_mode = ContextVar("transaction_mode", default=None)

# PostgreSQL SQLSTATEs of a wait that ran out or a conflict worth retrying: lock_not_available
# (lock_timeout), deadlock_detected, serialization_failure.
RETRYABLE_SQLSTATES = {"55P03", "40P01", "40001"}


@contextmanager
def _setting(mode):
    token = _mode.set(mode)
    try:
        yield
    finally:
        _mode.reset(token)


def reading():
    """Within the block, transactions begin deferred (they take no write lock on SQLite)."""
    return _setting("read")


def writing():
    """Within the block, transactions begin with the write lock (``BEGIN IMMEDIATE``)."""
    return _setting("write")


def read_only(command):
    """Mark a command-line command as read-only: its transactions take no write lock."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        with reading():
            return command(*args, **kwargs)

    return wrapper


def begins_writing():
    """Whether a transaction beginning now should take the write lock.

    Once a request has committed what it wrote, what it does afterwards (rendering its answer,
    reloading objects the commit expired) only reads: those transactions begin deferred, so a
    wait for the lock can never turn a saved change into a "nothing was saved" page."""
    mode = _mode.get()
    if mode is not None:
        return mode == "write"
    from flask import g, has_request_context, request

    if has_request_context():
        if g.get("_committed_a_write"):
            return False
        return request.method not in ("GET", "HEAD", "OPTIONS")
    import click

    return click.get_current_context(silent=True) is not None


def engine_options(config):
    """``SQLALCHEMY_ENGINE_OPTIONS`` with the lock-wait budget set for the configured database:
    SQLite's busy timeout (the driver's ``timeout``), PostgreSQL's ``lock_timeout``; on
    PostgreSQL also the parallel workers a statement may start (``DATABASE_PARALLEL_WORKERS``,
    ``max_parallel_workers_per_gather``, none by default: the province's dashboard spent four
    fifths of its time starting workers for statements of a few milliseconds)."""
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    url = config.get("SQLALCHEMY_DATABASE_URI") or ""
    seconds = float(config.get("DATABASE_LOCK_WAIT_SECONDS", 15))
    connect_args = dict(options.get("connect_args") or {})
    if url.startswith("sqlite"):
        connect_args.setdefault("timeout", seconds)
    elif url.startswith("postgresql"):
        workers = int(config.get("DATABASE_PARALLEL_WORKERS", 0))
        extra = (
            f"-c lock_timeout={int(seconds * 1000)} -c max_parallel_workers_per_gather={workers}"
        )
        connect_args["options"] = f"{connect_args.get('options', '')} {extra}".strip()
    options["connect_args"] = connect_args
    return options


@contextmanager
def keeping_objects():
    """A commit within the block leaves the session's objects loaded (not expired): for a
    request that has rendered its answer and reads nothing again."""
    from extensions import db

    session = db.session()
    kept = session.expire_on_commit
    session.expire_on_commit = False
    try:
        yield
    finally:
        session.expire_on_commit = kept


def is_busy(error):
    """Whether ``error`` (a SQLAlchemy or driver error) is a lock wait that ran out."""
    orig = getattr(error, "orig", error)
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if state in RETRYABLE_SQLSTATES:
        return True
    import sqlite3

    if isinstance(orig, sqlite3.OperationalError):
        text = str(orig).lower()
        return "locked" in text or "busy" in text
    return False


def outside_the_write_lock(function, *args, **kwargs):
    """``function(*args, **kwargs)`` with no write lock held: the request's transaction so far
    is ended first (committed: what came before is complete), everything the function reads
    runs in a deferred transaction, which is ended after it. An import reads and checks its
    whole file here; its write transaction begins afterwards."""
    from extensions import db

    db.session.commit()
    with reading():
        try:
            return function(*args, **kwargs)
        finally:
            db.session.rollback()


@dataclass(frozen=True)
class ImportSteps:
    """An import's three steps, which can run in separate transactions: ``read(filename, data,
    today)`` reads the whole file into a prepared import (with its ``report``) without the
    database, ``check(prepared, user)`` checks it with what it needs from the database, and
    ``write(prepared, user)`` repeats the checks needing the database and writes (adds and
    flushes) when the file is good. ``unit``: the import's unit id (``utils.import_units``),
    set on the prepared import as ``prepared.unit`` before it is checked."""

    read: Callable
    check: Callable
    write: Callable

    def at_once(self, filename, data, user=None, today=None, unit=None):
        """The three steps in the caller's one transaction; the caller commits.

        :return: the ``ImportReport`` (nothing written unless it is ``ok``)."""
        prepared = self._read_and_check(filename, data, user, today, unit)
        if not prepared.report.ok:
            return prepared.report
        return self.write(prepared, user)

    def checked_first(self, filename, data, user=None, today=None, unit=None):
        """For a caller that owns the transaction (the page, the command line): the whole file
        is read and checked outside the write lock (``outside_the_write_lock``: the transaction
        so far is ended first); only if the file is good, written in the short write
        transaction. The caller commits or rolls back.

        :return: the ``ImportReport``, its ``read_seconds`` and ``write_seconds`` set."""
        started = time.perf_counter()
        prepared = outside_the_write_lock(self._read_and_check, filename, data, user, today, unit)
        prepared.report.read_seconds = time.perf_counter() - started
        if not prepared.report.ok:
            return prepared.report
        started = time.perf_counter()
        report = self.write(prepared, user)
        report.write_seconds = time.perf_counter() - started  # the caller adds its commit
        return report

    def _read_and_check(self, filename, data, user, today, unit):
        prepared = self.read(filename, data, today)
        prepared.unit = unit
        self.check(prepared, user)
        return prepared


def _after_flush(session, flush_context):
    from flask import g, has_request_context

    if has_request_context():
        g._flushed = True


def note_written():
    """What a flush notes for ``begins_writing``, for a service that wrote with Core statements
    on the session's connection instead of flushing objects."""
    _after_flush(None, None)


def _after_commit(session):
    from flask import g, has_request_context

    if has_request_context() and g.pop("_flushed", False):
        g._committed_a_write = True


def _after_rollback(session):
    from flask import g, has_request_context

    if has_request_context():
        g.pop("_flushed", None)


def install():
    """Follow the ORM session's flushes and commits (once per process) for ``begins_writing``."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
