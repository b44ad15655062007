"""Logging in and out, sessions, passwords, throttling, language."""

import logging

import pytest

from extensions import db
from models import AuditEvent, LoginSession
from tests import factories as f


def test_login_page_is_vietnamese_by_default(client):
    r = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert r.status_code == 200
    assert '<html lang="vi">' in r.text
    assert "Đăng nhập" in r.text


def test_pages_need_login(client):
    r = client.get("/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_login_and_logout(client, auth, caplog):
    caplog.set_level(logging.INFO, logger="bcci.security")
    user = auth.login("leader")
    r = client.get("/")
    assert r.status_code == 200 and user.full_name in r.text  # people by name
    assert any("login ok" in m for m in caplog.messages)
    assert not any(f.PASSWORD in m for m in caplog.messages)
    r = auth.logout()
    assert r.status_code == 303
    assert client.get("/").status_code == 302
    actions = [e.action for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]
    assert actions[-2:] == ["login", "logout"]


def test_wrong_password_or_user_says_the_same(client, caplog):
    caplog.set_level(logging.INFO, logger="bcci.security")
    user = f.user()
    db.session.commit()
    r1 = client.log_in(user.username, "wrong-password!")
    r2 = client.log_in("nobody-here", "wrong-password!")
    assert r1.status_code == r2.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in r1.text
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in r2.text
    assert any("login failed" in m for m in caplog.messages)
    assert not any("wrong-password!" in m for m in caplog.messages)


def test_session_id_rotates_at_login(app, client):
    user = f.user()
    db.session.commit()
    client.get("/login")
    with client.session_transaction() as sess:
        sess["planted"] = "attacker"
    client.log_in(user.username, f.PASSWORD)
    with client.session_transaction() as sess:
        assert "planted" not in sess
        first = sess["_user_id"]
    client.post("/logout")
    client.log_in(user.username, f.PASSWORD)
    with client.session_transaction() as sess:
        assert sess["_user_id"] != first


def test_copied_cookie_is_refused_after_logout(app, client, auth):
    auth.login("centre")
    cookie = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    assert thief.get("/").status_code == 200
    auth.logout()
    assert thief.get("/").status_code == 302
    assert db.session.query(LoginSession).filter(LoginSession.revoked_at.is_(None)).count() == 0


def test_failed_logins_are_throttled_but_successful_ones_never(app, client):
    user = f.user()
    db.session.commit()
    for _ in range(5):
        assert client.log_in(user.username, "bad-password").status_code == 401
    r = client.log_in(user.username, f.PASSWORD)
    assert r.status_code == 429
    assert "Quá nhiều lần thử" in r.text


def test_successful_logins_are_not_counted(app):
    user = f.user()
    db.session.commit()
    for _ in range(8):
        c = app.test_client()
        assert c.log_in(user.username, f.PASSWORD).status_code == 303


def test_change_password(client, auth):
    user = auth.login("department")
    r = client.post(
        "/account/password",
        data={
            "current": "nope-nope-nope",
            "new": "a-new-password-1",
            "confirm": "a-new-password-1",
        },
    )
    assert r.status_code == 422 and "Mật khẩu hiện tại không đúng." in r.text
    r = client.post(
        "/account/password", data={"current": f.PASSWORD, "new": "short", "confirm": "short"}
    )
    assert r.status_code == 422
    r = client.post(
        "/account/password",
        data={"current": f.PASSWORD, "new": "a-new-password-1", "confirm": "a-new-password-1"},
    )
    assert r.status_code == 303
    auth.logout()
    assert client.log_in(user.username, f.PASSWORD).status_code == 401
    assert client.log_in(user.username, "a-new-password-1").status_code == 303


def test_language_is_remembered_per_user(app, client, auth):
    user = auth.login("leader")
    r = client.post("/language", data={"lang": "en", "next": "/"})
    assert r.status_code == 303
    assert '<html lang="en">' in client.get("/").text
    auth.logout()
    other = app.test_client()
    other.log_in(user.username, f.PASSWORD)
    page = other.get("/").text
    assert '<html lang="en">' in page and "Log out" in page


def test_language_switch_refuses_unknown(client):
    assert client.post("/language", data={"lang": "fr"}).status_code == 400


@pytest.mark.parametrize("path", ["/logout", "/language", "/account/password"])
def test_state_changes_need_csrf(client, auth, path):
    auth.login("leader")
    r = client.post(path, data={"lang": "en"}, csrf=False)
    assert r.status_code == 400
    assert "Biểu mẫu đã hết hạn" in r.text
    assert client.get("/").status_code == 200  # still logged in


def test_error_pages_are_translated_and_plain(client, auth):
    r = client.get("/no-such-page")
    assert r.status_code == 404 and "Không tìm thấy" in r.text and "Traceback" not in r.text
    auth.login("leader")
    client.post("/language", data={"lang": "en"})
    r = client.get("/no-such-page")
    assert r.status_code == 404 and "Not found" in r.text


def test_security_headers(client):
    r = client.get("/login")
    csp = r.headers["Content-Security-Policy"]
    assert (
        "object-src 'none'" in csp and "base-uri 'none'" in csp and "frame-ancestors 'none'" in csp
    )
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"]


def test_server_error_page_has_no_stack_trace(app, client, auth, caplog):
    def broken():
        raise RuntimeError("boom-internal-detail")

    app.add_url_rule("/broken-for-test", "broken_for_test", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    auth.login("leader")
    r = client.get("/broken-for-test")
    assert r.status_code == 500
    assert "Đã xảy ra lỗi" in r.text
    assert "boom-internal-detail" not in r.text and "Traceback" not in r.text
