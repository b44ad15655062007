"""Login sessions that end: the lookup every request makes, the idle timeout and the absolute
lifetime, "last seen", and the form kept across a login when a session ended before it was sent.

Every request looks its session up. On SQLite the lookup runs in its own short read transaction on
its own connection: it begins deferred even for a POST, so it never takes (or waits for) the
write lock an import may hold. On PostgreSQL, where a read waits for no writer, it is the first
statement of the request's own transaction: one connection taken from the pool and checked, no
second transaction to begin and roll back (which would also make the driver forget the
statements it has prepared). "Last seen" is written at most once a minute
(``SESSION_TOUCH_SECONDS``), in its own short transaction that waits at most a moment for the
lock and is skipped when the database is busy (the next request a minute on will write it).
"""

import logging
import secrets
from contextlib import contextmanager
from datetime import timedelta
from functools import lru_cache
from types import SimpleNamespace

from flask import abort, current_app, flash, g, make_response, redirect, request, url_for
from flask_babel import ngettext
from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, make_transient_to_detached

from extensions import db
from models import KeptForm, LoginSession, User, utcnow
from utils import transactions

log = logging.getLogger("bcci.security")

# Fields never kept across a login, whatever the form (and any whose name says "password").
NEVER_KEPT = ("csrf_token",)
# Forms never kept at all: they hold passwords under other names.
NEVER_KEPT_ENDPOINTS = ("auth.", "admin.reset_password", "admin.create_user")
# Waiting for the write lock to note "last seen": a moment, never the whole lock-wait budget.
TOUCH_LOCK_WAIT_MS = 100


@contextmanager
def reading():
    """An ORM session on its own connection, in a read transaction (deferred on SQLite)."""
    with transactions.reading(), db.engine.connect() as conn:
        with Session(bind=conn, expire_on_commit=False) as session:
            yield session


def _idle_limit():
    return timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])


def _lifetime():
    return timedelta(hours=current_app.config["SESSION_LIFETIME_HOURS"])


def expiry_reason(row, now):
    """``"idle"``, ``"lifetime"`` or ``None`` for an open session row."""
    if row.created_at <= now - _lifetime():
        return "lifetime"
    if (row.last_seen_at or row.created_at) <= now - _idle_limit():
        return "idle"
    return None


@lru_cache(maxsize=1)
def _session_statement():
    """The open session's times and its active user's columns, built once per process (every
    request runs it). Plain columns, read on a Core connection: loading two ORM entities cost
    more than the database's work."""
    users = User.__table__
    return (
        select(
            LoginSession.created_at.label("session_created_at"),
            LoginSession.last_seen_at.label("session_last_seen_at"),
            *users.c,
        )
        .join(users, LoginSession.user_id == users.c.id)
        .where(
            LoginSession.id == bindparam("sid"),
            LoginSession.revoked_at.is_(None),
            users.c.active.is_(True),
        )
    )


def _user_from(row):
    """A detached ``User`` holding the row's user columns, as if loaded by a query."""
    user = User(**{column.key: row._mapping[column] for column in User.__table__.c})
    make_transient_to_detached(user)
    return user


def load_user(sid):
    """The user of the open, unexpired login session ``sid``, attached to ``db.session``, or
    ``None``. An expired session leaves its user's id in ``g.expired_user_id`` (for the form
    kept across the login) and the reason in ``g.session_expired``."""
    if not sid:
        return None
    now = utcnow()
    row = _session_row(sid)
    if row is None:
        return None
    times = SimpleNamespace(
        created_at=row.session_created_at, last_seen_at=row.session_last_seen_at
    )
    reason = expiry_reason(times, now)
    if reason:
        g.session_expired = reason
        g.expired_user_id = row.id
        return None
    touch(sid, times.last_seen_at, now)
    user = db.session.merge(_user_from(row), load=False)
    user.session_id = sid
    return user


def _session_row(sid):
    """The open session's row with its active user's columns, or ``None`` (see the module's
    docstring for the transaction it is read in)."""
    if db.engine.dialect.name != "sqlite":
        return db.session.connection().execute(_session_statement(), {"sid": sid}).first()
    with transactions.reading(), db.engine.connect() as conn:
        return conn.execute(_session_statement(), {"sid": sid}).first()


def touch(sid, last_seen, now):
    """Note that session ``sid`` answered a request, when it was last noted a minute or more ago."""
    interval = timedelta(seconds=current_app.config["SESSION_TOUCH_SECONDS"])
    if last_seen is not None and now - last_seen < interval:
        return
    try:
        with transactions.writing(), db.engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            raw = conn.connection.dbapi_connection
            if sqlite:
                budget = raw.execute("PRAGMA busy_timeout").fetchone()[0]
                raw.execute(f"PRAGMA busy_timeout={TOUCH_LOCK_WAIT_MS}")
            try:
                with conn.begin():
                    if not sqlite:
                        conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{TOUCH_LOCK_WAIT_MS}ms'")
                    conn.execute(
                        update(LoginSession)
                        .where(
                            LoginSession.id == sid,
                            or_(
                                LoginSession.last_seen_at.is_(None),
                                LoginSession.last_seen_at < now - interval,
                            ),
                        )
                        .values(last_seen_at=now)
                    )
            finally:
                if sqlite:
                    raw.execute(f"PRAGMA busy_timeout={budget}")
    except DBAPIError:
        log.info("last seen not noted: the database is busy")


# --- a form kept across a login ----------------------------------------------------------------


def _kept_for():
    return timedelta(minutes=current_app.config["KEPT_FORM_MINUTES"])


def keep_form(user_id, path, form):
    """Keep what was typed into ``form`` (a MultiDict) for ``user_id``; returns the token that
    names it. Passwords and the CSRF token are left out. Commits in its own transaction."""
    fields = [
        [key, value]
        for key, value in form.items(multi=True)
        if key not in NEVER_KEPT and "password" not in key.lower()
    ]
    token = secrets.token_urlsafe(24)
    now = utcnow()
    with transactions.writing(), db.engine.connect() as conn:
        with conn.begin():
            conn.execute(delete(KeptForm).where(KeptForm.created_at < now - _kept_for()))
            conn.execute(
                KeptForm.__table__.insert().values(
                    id=token, user_id=user_id, path=path[:500], fields=fields, created_at=now
                )
            )
    return token


def kept_form(token, user):
    """The form kept under ``token`` for ``user``, or ``None``: another user's, an old one or an
    unknown token gives nothing. Reads only (a GET shows it): the row is forgotten when it is
    older than ``KEPT_FORM_MINUTES`` (purged by the next form kept) or when its user logs out."""
    if not token:
        return None
    kept = db.session.get(KeptForm, str(token)[:64])
    if kept is None or kept.user_id != user.id or kept.created_at <= utcnow() - _kept_for():
        return None
    return kept


def forget_kept_forms(user_id):
    """Forget every form kept for ``user_id`` (at logout). Flushes; the view commits."""
    db.session.execute(delete(KeptForm).where(KeptForm.user_id == user_id))


# --- answering a request whose session has ended -----------------------------------------------


def _back_to():
    """Where the person was: this page for a GET, the page the form was on for anything else."""
    from urllib.parse import urlsplit

    from utils.inputs import safe_next

    if request.method in ("GET", "HEAD"):
        return safe_next(request.full_path.rstrip("?"))
    origin = urlsplit(request.headers.get("HX-Current-URL") or request.referrer or "")
    if origin.netloc and origin.netloc != request.host:
        return safe_next(None)
    return safe_next(origin.path + (f"?{origin.query}" if origin.query else ""))


def ended_response(reason):
    """The login page, with a message, that comes back to where the person was; a form posted
    after the end is kept (``keep_form``) and offered again after the login. ``/api/*`` gets a
    JSON 401; htmx gets a 401 that sends the whole page to the login (``HX-Redirect``)."""
    if reason == "lifetime":
        message = ngettext(
            "Your session ended %(num)s hour after you logged in. Log in again to continue.",
            "Your session ended %(num)s hours after you logged in. Log in again to continue.",
            current_app.config["SESSION_LIFETIME_HOURS"],
        )
    else:
        message = ngettext(
            "Your session ended after %(num)s minute without activity. Log in again to continue.",
            "Your session ended after %(num)s minutes without activity. Log in again to continue.",
            current_app.config["SESSION_IDLE_MINUTES"],
        )
    if request.path.startswith("/api/"):
        abort(401, description=message)
    kept = None
    if (
        request.method not in ("GET", "HEAD", "OPTIONS")
        and request.form
        and not (request.endpoint or "").startswith(NEVER_KEPT_ENDPOINTS)
    ):
        kept = keep_form(g.expired_user_id, request.path, request.form)
    flash(message, "warning")
    target = url_for("auth.login", next=_back_to(), kept=kept)
    if request.headers.get("HX-Request"):
        response = make_response(message, 401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, code=303)
