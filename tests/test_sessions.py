"""Sessions that end, and login throttling nobody can turn against the staff.

Login sessions end after the idle timeout and the absolute lifetime (both settings); the person
is sent to the login page with a message and comes back to where they were, a form sent after the
end is offered again once the same person has logged in; "last seen" is written at most once a
minute in its own short transaction, and the session lookup never takes SQLite's write lock.
Failed logins are counted in the database (two application instances share them), a browser
that logged in as a user before is not locked out by someone guessing at that username, password
changes are throttled like logins, and a throttled login says when to try again.
"""

import os
import sqlite3
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from extensions import db
from models import KeptForm, LoginFailure, LoginSession, Meeting, utcnow
from tests import factories as f

ROOT = Path(__file__).resolve().parent.parent


def _session_row(user):
    db.session.expire_all()
    return db.session.scalars(
        select(LoginSession).where(
            LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None)
        )
    ).one()


def _age(user, created=None, last_seen=None):
    row = _session_row(user)
    now = utcnow()
    if created is not None:
        row.created_at = now - created
    if last_seen is not None:
        row.last_seen_at = now - last_seen
    db.session.commit()


def _login(client, user, next_=None, kept=None):
    query = {k: v for k, v in (("next", next_), ("kept", kept)) if v}
    from urllib.parse import urlencode

    return client.post(
        "/login" + (f"?{urlencode(query)}" if query else ""),
        data={"username": user.username, "password": f.PASSWORD},
    )


# --- the idle timeout and the absolute lifetime ------------------------------------------------


def test_an_idle_session_ends_and_the_login_comes_back_to_the_page(client, auth):
    user = auth.login("centre")
    assert client.get("/procedures?page=2").status_code == 200
    _age(user, last_seen=timedelta(minutes=61))
    r = client.get("/procedures?page=2")
    assert r.status_code == 303
    target = urlsplit(r.headers["Location"])
    assert target.path == "/login" and parse_qs(target.query)["next"] == ["/procedures?page=2"]
    page = client.get(r.headers["Location"])
    assert "60 phút không thao tác" in page.text
    back = _login(client, user, next_="/procedures?page=2")
    assert back.status_code == 303 and back.headers["Location"] == "/procedures?page=2"


def test_a_session_ends_after_its_lifetime_however_busy(client, auth):
    user = auth.login("centre")
    _age(user, created=timedelta(hours=12, minutes=1), last_seen=timedelta(seconds=5))
    r = client.get("/procedures")
    assert r.status_code == 303 and "/login" in r.headers["Location"]
    assert "12 giờ" in client.get(r.headers["Location"]).text


def test_the_timeouts_are_settings(app, client, auth):
    app.config.update(SESSION_IDLE_MINUTES=5, SESSION_LIFETIME_HOURS=1)
    user = auth.login("centre")
    _age(user, last_seen=timedelta(minutes=4))
    assert client.get("/procedures").status_code == 200
    _age(user, last_seen=timedelta(minutes=6))
    assert client.get("/procedures").status_code == 303
    other = f.user("centre")
    db.session.commit()
    c = app.test_client()
    _login(c, other)
    _age(other, created=timedelta(minutes=61), last_seen=timedelta(seconds=1))
    assert c.get("/procedures").status_code == 303


def test_an_ended_session_on_htmx_and_the_api(client, auth):
    user = auth.login("leader")
    _age(user, last_seen=timedelta(hours=2))
    r = client.get("/procedures", headers={"HX-Request": "true"})
    assert r.status_code == 401 and r.headers["HX-Redirect"].startswith("/login?next=")
    r = client.get("/api/summary?from=2024-01-01&to=2024-02-01")
    assert r.status_code == 401 and r.is_json and "60" in r.json["error"]


# --- a form sent after the end ----------------------------------------------------------------


def test_a_form_sent_after_the_end_is_offered_again_after_the_login(app, client, auth):
    user = auth.login("centre")
    _age(user, last_seen=timedelta(minutes=90))
    typed = {
        "date": "2024-09-21",
        "chair": "Chủ tịch UBND phường",
        "participants": "Các phòng\nVăn phòng",
        "conclusions": "Đưa thủ tục lên BCCI",
    }
    r = client.post(
        "/meetings/new", data=typed, headers={"Referer": "http://localhost/meetings/new"}
    )
    assert r.status_code == 303
    query = parse_qs(urlsplit(r.headers["Location"]).query)
    assert query["next"] == ["/meetings/new"]
    kept = query["kept"][0]
    assert db.session.scalar(select(func.count()).select_from(Meeting)) == 0
    assert kept not in (client.get_cookie("session").value or "")
    stored = db.session.get(KeptForm, kept)
    assert stored.user_id == user.id and ["chair", "Chủ tịch UBND phường"] in stored.fields
    assert all(name != "csrf_token" for name, _ in stored.fields)

    # Someone else logging in with the same link sees nothing of it.
    stranger = app.test_client()
    other = f.user("centre")
    db.session.commit()
    r = _login(stranger, other, next_="/meetings/new", kept=kept)
    assert stranger.get(r.headers["Location"]).headers["Location"] == "/meetings/new"
    assert db.session.get(KeptForm, kept) is not None

    r = _login(client, user, next_="/meetings/new", kept=kept)
    page = client.get(r.headers["Location"])
    assert page.status_code == 200
    assert "Chủ tịch UBND phường" in page.text and 'action="/meetings/new"' in page.text
    db.session.expire_all()
    assert db.session.get(KeptForm, kept) is not None  # a GET changes nothing
    again = client.post("/meetings/new", data=typed)
    assert again.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Meeting)) == 1
    # Logging out forgets it (otherwise it is forgotten once KEPT_FORM_MINUTES have passed).
    client.post("/logout")
    db.session.expire_all()
    assert db.session.get(KeptForm, kept) is None


def test_no_password_is_ever_kept(client, auth):
    user = auth.login("admin")
    _age(user, last_seen=timedelta(minutes=90))
    r = client.post(
        "/account/password",
        data={"current": "secret-secret", "new": "another-one-1", "confirm": "another-one-1"},
    )
    assert r.status_code == 303 and "kept=" not in r.headers["Location"]
    target = f.user("centre")
    db.session.commit()
    r = client.post(f"/admin/users/{target.id}/password", data={"new": "brand-new-pass"})
    assert "kept=" not in r.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(KeptForm)) == 0


def test_an_old_kept_form_is_not_offered(app, client, auth):
    user = auth.login("centre")
    _age(user, last_seen=timedelta(minutes=90))
    r = client.post("/meetings/new", data={"chair": "Chủ tịch"})
    kept = parse_qs(urlsplit(r.headers["Location"]).query)["kept"][0]
    row = db.session.get(KeptForm, kept)
    row.created_at = utcnow() - timedelta(minutes=app.config["KEPT_FORM_MINUTES"] + 1)
    db.session.commit()
    r = _login(client, user, next_="/meetings/new", kept=kept)
    assert client.get(r.headers["Location"]).headers["Location"] == "/meetings/new"


# --- last seen, and the lookup without the write lock -------------------------------------------


def test_last_seen_is_written_at_most_once_a_minute(client, auth):
    user = auth.login("centre")
    _age(user, last_seen=timedelta(seconds=30))
    before = _session_row(user).last_seen_at
    client.get("/procedures")
    assert _session_row(user).last_seen_at == before
    _age(user, last_seen=timedelta(seconds=61))
    before = _session_row(user).last_seen_at
    client.get("/procedures")
    assert _session_row(user).last_seen_at > before


def _hold_write_lock(app):
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    return holder


@pytest.mark.sqlite_only
def test_the_session_lookup_does_not_take_the_write_lock(app, client, auth):
    """Another writer holds SQLite's write lock (an import, say): a POST whose view writes
    nothing still answers at once, and a GET due to note "last seen" skips it."""
    user = auth.login("centre")
    _age(user, last_seen=timedelta(minutes=5))
    before = _session_row(user).last_seen_at
    db.session.commit()
    holder = _hold_write_lock(app)
    try:
        assert client.post("/language", data={"lang": "xx"}).status_code == 400
        assert client.get("/procedures").status_code == 200
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert _session_row(user).last_seen_at == before
    client.get("/procedures")
    assert _session_row(user).last_seen_at > before


# --- throttling shared by every instance ------------------------------------------------------

CHILD = textwrap.dedent("""
    import sys
    from app import create_app
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": sys.argv[1],
                      "SECRET_KEY": "test-secret-key", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    for _ in range(int(sys.argv[3])):
        r = client.post("/login", data={"username": sys.argv[2], "password": "wrong-password"})
        print(r.status_code)
""")


@pytest.mark.slow  # starts a second application in another process
def test_two_instances_share_the_failure_counts(app, client):
    """A second application instance (another worker or server, here another process) on the
    same database uses up the limit; this instance then refuses the owner's right password too."""
    user = f.user("centre")
    db.session.commit()
    env = dict(os.environ, APP_ENV="testing", PYTHONPATH=str(ROOT))
    env.pop("DATABASE_URL", None)
    child = subprocess.run(
        [sys.executable, "-c", CHILD, app.config["SQLALCHEMY_DATABASE_URI"], user.username, "5"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 0, child.stderr[-2000:]
    assert child.stdout.split() == ["401"] * 5
    r = client.log_in(user.username, f.PASSWORD)
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) > 0 and "Hãy thử lại lúc" in r.text


def test_a_browser_that_logged_in_before_is_not_locked_out(app):
    owner = f.user("centre")
    db.session.commit()
    browser = app.test_client()
    assert _login(browser, owner).status_code == 303  # gets the device cookie
    browser.post("/logout")
    attacker = app.test_client()
    for _ in range(6):
        attacker.log_in(owner.username, "guess-guess")
    assert _login(attacker, owner).status_code == 429
    assert _login(app.test_client(), owner).status_code == 429  # any other new browser too
    assert _login(browser, owner).status_code == 303  # but not the owner's


def test_a_device_cookie_has_its_own_limit_and_only_for_its_user(app):
    owner, other = f.user("centre"), f.user("centre")
    db.session.commit()
    browser = app.test_client()
    _login(browser, owner)
    browser.post("/logout")
    for _ in range(5):
        assert browser.log_in(owner.username, "wrong-wrong").status_code == 401
    assert _login(browser, owner).status_code == 429
    # The cookie says nothing about another username: attempts there count as usual.
    assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 5
    browser.log_in(other.username, "wrong-wrong")
    assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 7


def test_a_forged_device_cookie_is_ignored(app):
    owner = f.user("centre")
    db.session.commit()
    attacker = app.test_client()
    for _ in range(5):
        attacker.log_in(owner.username, "guess-guess")
    forged = app.test_client()
    forged.set_cookie(app.config["DEVICE_COOKIE_NAME"], "eyJ1Ijoib3duZXIifQ.forged.signature")
    assert _login(forged, owner).status_code == 429


def test_password_changes_are_throttled_like_logins(client, auth):
    auth.login("centre")
    for _ in range(5):
        r = client.post(
            "/account/password",
            data={
                "current": "not-my-password",
                "new": "a-new-password-1",
                "confirm": "a-new-password-1",
            },
        )
        assert r.status_code == 422
    r = client.post(
        "/account/password",
        data={"current": f.PASSWORD, "new": "a-new-password-1", "confirm": "a-new-password-1"},
    )
    assert (
        r.status_code == 429 and "Hãy thử lại lúc" in r.text and int(r.headers["Retry-After"]) > 0
    )


def test_failures_are_not_stored_in_clear(client):
    client.log_in("someone.known", "guess-guess")
    keys = db.session.scalars(select(LoginFailure.key)).all()
    assert len(keys) == 2 and not any("someone" in k or "127.0.0.1" in k for k in keys)
