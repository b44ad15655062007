"""Throttling failed logins and password checks, shared by every worker and server, without
letting anyone lock a member of staff out.

Failures are rows of ``login_failure`` under a keyed hash of what they count against, so three
workers (or two servers on one database) allow the limit once, not three times. The limits are
``LOGIN_FAILURE_LIMIT`` ("5 per minute;20 per hour"), each applied to every key.

A browser that has logged in as a user before carries a signed device cookie (OWASP's "device
cookies"): its attempts at that username count against the device alone, so someone guessing
at a known username from elsewhere locks out only the untrusted browsers, never the owner's.
Without a valid cookie, attempts count against the username and the address.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import parse_many
from sqlalchemy import delete, func, select

from extensions import db
from models import LoginFailure, utcnow


@dataclass(frozen=True)
class Limit:
    amount: int
    seconds: int


def limits(setting="LOGIN_FAILURE_LIMIT"):
    """The configured limits, e.g. ``[Limit(5, 60), Limit(20, 3600)]``."""
    return [
        Limit(item.amount, item.get_expiry()) for item in parse_many(current_app.config[setting])
    ]


def key_hash(kind, value):
    """A keyed hash of ``kind:value``: the table never holds a username or an address."""
    secret = (
        current_app.secret_key.encode()
        if isinstance(current_app.secret_key, str)
        else current_app.secret_key
    )
    message = f"{kind}:{value}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def blocked_until(keys, now=None):
    """When the next attempt may be made (naive UTC), or ``None`` when no key is over a limit."""
    now = now or utcnow()
    until = None
    for limit in limits():
        since = now - timedelta(seconds=limit.seconds)
        for key in keys:
            recent = db.session.scalars(
                select(LoginFailure.at)
                .where(LoginFailure.key == key, LoginFailure.at > since)
                .order_by(LoginFailure.at.desc())
                .limit(limit.amount)
            ).all()
            if len(recent) >= limit.amount:
                free_at = recent[-1] + timedelta(seconds=limit.seconds)
                until = free_at if until is None or free_at > until else until
    return until


def record_failure(keys, now=None):
    """Count one failure against each of ``keys`` (and forget failures older than every window).
    Flushes; the view commits."""
    now = now or utcnow()
    longest = max(limit.seconds for limit in limits())
    db.session.execute(
        delete(LoginFailure).where(LoginFailure.at < now - timedelta(seconds=longest))
    )
    db.session.add_all(LoginFailure(key=key, at=now) for key in keys)
    db.session.flush()


def forget(keys):
    """A success clears the failures counted against ``keys``."""
    db.session.execute(delete(LoginFailure).where(LoginFailure.key.in_(list(keys))))


def failures(key):
    return db.session.scalar(
        select(func.count()).select_from(LoginFailure).where(LoginFailure.key == key)
    )


# --- the device cookie ------------------------------------------------------------------------


def _serializer():
    return URLSafeTimedSerializer(current_app.secret_key, salt="bcci-device-cookie")


def trusted_device(username):
    """The nonce of this browser's valid device cookie for ``username``, or ``None``."""
    raw = request.cookies.get(current_app.config["DEVICE_COOKIE_NAME"])
    if not raw:
        return None
    max_age = current_app.config["DEVICE_COOKIE_DAYS"] * 86400
    try:
        data = _serializer().loads(raw, max_age=max_age)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != username:
        return None
    nonce = data.get("n")
    return nonce if isinstance(nonce, str) else None


def set_device_cookie(response, username):
    """Give this browser a new device cookie for ``username`` (after a successful login)."""
    value = _serializer().dumps({"u": username, "n": secrets.token_urlsafe(16)})
    response.set_cookie(
        current_app.config["DEVICE_COOKIE_NAME"],
        value,
        max_age=current_app.config["DEVICE_COOKIE_DAYS"] * 86400,
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        httponly=True,
        samesite="Lax",
    )
    return response


def login_keys(username):
    """What an attempt at ``username`` from this browser counts against: the trusted device
    alone, or else the username and the address."""
    nonce = trusted_device(username)
    if nonce:
        return [key_hash("device", nonce)]
    return [key_hash("user", username), key_hash("addr", request.remote_addr or "-")]


def password_keys(user):
    """Wrong current passwords on the password-change form count against the user."""
    return [key_hash("password", user.id)]


def seconds_until(moment, now=None):
    return max(1, int((moment - (now or utcnow())).total_seconds() + 0.999))


def local_time(moment):
    """``HH:MM`` in Vietnam time, for "try again at"."""
    from utils.dates import to_vn

    return to_vn(moment).strftime("%H:%M")
