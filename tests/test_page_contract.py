"""The htmx page contract and the security headers: htmx from the CDN with its SRI hash and a
nonce'd fallback to the vendored copy (or the vendored copy only), the CSRF token in ``hx-headers``,
fragments only for plain htmx requests with ``Vary: HX-Request``, 409/422 swapped in place, and the
session cookie's flags."""

import base64
import hashlib
import importlib
import json
import re
from pathlib import Path

import pytest

from extensions import db
from tests import factories as f
from utils import htmx

ROOT = Path(__file__).resolve().parent.parent
CDN_HOST = "https://cdn.jsdelivr.net"


def vendored_file(app):
    return ROOT / "static" / "vendor" / f"htmx-{app.config['HTMX_VERSION']}.min.js"


def sri_of(path):
    """The SRI value of a file, computed here independently of the application's helper."""
    return "sha384-" + base64.b64encode(hashlib.sha384(path.read_bytes()).digest()).decode()


def script_tags(html):
    return re.findall(r"<script\b[^>]*>.*?</script>", html, flags=re.S)


def csp_nonce(response):
    match = re.search(
        r"script-src [^;]*'nonce-([^']+)'", response.headers["Content-Security-Policy"]
    )
    assert match, response.headers["Content-Security-Policy"]
    return match.group(1)


# --- the htmx file and its hash ---------------------------------------------------------------


def test_the_vendored_htmx_is_the_pinned_2_0_x_version(app):
    version = app.config["HTMX_VERSION"]
    assert re.fullmatch(r"2\.0\.\d+", version)
    assert f'version:"{version}"' in vendored_file(app).read_text()
    assert app.config["HTMX_CDN_URL"] == (
        f"https://cdn.jsdelivr.net/npm/htmx.org@{version}/dist/htmx.min.js"
    )


def test_page_carries_the_sri_hash_recomputed_from_the_vendored_file(client, app):
    expected = sri_of(vendored_file(app))
    html = client.get("/login").text
    assert f'integrity="{expected}"' in html
    tags = [t for t in script_tags(html) if "htmx" in t]
    assert tags and all(f'integrity="{expected}"' in t for t in tags if "src=" in t)


def test_with_the_cdn_the_page_loads_it_with_sri_and_falls_back_by_nonce(client, app):
    """The loader fetches the CDN copy with its SRI hash without holding the page, and takes the
    vendored copy when the CDN fails or has not answered in time (tests/test_browser_htmx.py)."""
    app.config["HTMX_LOCAL_ONLY"] = False
    r = client.get("/login")
    html = r.text
    integrity = sri_of(vendored_file(app))
    local = f"/static/vendor/htmx-{app.config['HTMX_VERSION']}.min.js"
    tags = script_tags(html)
    loader = [t for t in tags if "js/htmx-loader.js" in t]
    assert len(loader) == 1
    tag = loader[0]
    assert f'data-cdn="{app.config["HTMX_CDN_URL"]}"' in tag and f'data-local="{local}"' in tag
    assert f'data-integrity="{integrity}"' in tag and f'nonce="{csp_nonce(r)}"' in tag
    assert " async" not in tag and " defer" not in tag  # it must run before the body is parsed
    assert "document.write" not in html
    directives = dict(
        d.strip().split(" ", 1) for d in r.headers["Content-Security-Policy"].split(";")
    )
    assert (
        CDN_HOST in directives["script-src"].split()
        and CDN_HOST in directives["connect-src"].split()
    )
    assert "'unsafe-inline'" not in directives["script-src"]


def test_local_only_serves_just_the_vendored_copy(client, app):
    assert app.config["HTMX_LOCAL_ONLY"] is True  # the tests' setting
    r = client.get("/login")
    html = r.text
    assert "cdn.jsdelivr.net" not in html and "document.write" not in html
    local = f'src="/static/vendor/htmx-{app.config["HTMX_VERSION"]}.min.js"'
    tags = [t for t in script_tags(html) if local in t]
    assert len(tags) == 1 and f'integrity="{sri_of(vendored_file(app))}"' in tags[0]
    assert CDN_HOST not in r.headers["Content-Security-Policy"]


def test_local_only_is_read_from_the_environment(monkeypatch):
    import config

    try:
        monkeypatch.setenv("APP_ENV", "production")  # the tests' own class forces local-only
        monkeypatch.setenv("SECRET_KEY", "x" * 32)
        monkeypatch.setenv("HTMX_LOCAL_ONLY", "1")
        assert importlib.reload(config).load_config().HTMX_LOCAL_ONLY is True
        monkeypatch.setenv("HTMX_LOCAL_ONLY", "0")
        assert importlib.reload(config).load_config().HTMX_LOCAL_ONLY is False
    finally:
        monkeypatch.undo()
        importlib.reload(config)


def test_the_vendored_file_is_served(client, app):
    r = client.get(f"/static/vendor/htmx-{app.config['HTMX_VERSION']}.min.js")
    assert r.status_code == 200 and r.data == vendored_file(app).read_bytes()
    r.close()


def test_each_response_gets_a_fresh_nonce(client, app):
    app.config["HTMX_LOCAL_ONLY"] = False
    assert csp_nonce(client.get("/login")) != csp_nonce(client.get("/login"))


# --- security headers -------------------------------------------------------------------------


@pytest.mark.parametrize("local_only", [True, False])
def test_content_security_policy(client, app, local_only):
    app.config["HTMX_LOCAL_ONLY"] = local_only
    r = client.get("/login")
    directives = dict(
        d.strip().split(" ", 1) for d in r.headers["Content-Security-Policy"].split(";")
    )
    sources = directives["script-src"].split()
    expected = {"'self'", f"'nonce-{csp_nonce(r)}'"} | (set() if local_only else {CDN_HOST})
    assert set(sources) == expected
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "same-origin"


def test_logged_in_pages_are_not_cached(client, auth):
    auth.login("leader")
    assert client.get("/").headers["Cache-Control"] == "no-store"


# --- CSRF token for htmx; htmx configuration --------------------------------------------------


def test_body_carries_the_csrf_token_in_hx_headers(client, auth):
    auth.login("leader")
    html = client.get("/").text
    body = re.search(r"<body\b[^>]*>", html).group(0)
    headers = json.loads(re.search(r"hx-headers='([^']*)'", body).group(1))
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)
    assert headers == {"X-CSRFToken": meta}
    # That token alone (no form field) is what an htmx request sends, and it is accepted.
    r = client.post(
        "/language",
        data={"lang": "en", "next": "/"},
        headers={"HX-Request": "true", "X-CSRFToken": headers["X-CSRFToken"]},
        csrf=False,
    )
    assert r.status_code == 303
    r = client.post(
        "/language", data={"lang": "vi", "next": "/"}, headers={"HX-Request": "true"}, csrf=False
    )
    assert r.status_code == 400


def test_forms_keep_their_own_token_field(client, auth):
    auth.login("leader")
    html = client.get("/").text
    for form in re.findall(r'<form\b[^>]*method="post".*?</form>', html, flags=re.S):
        assert 'name="csrf_token"' in form


def test_htmx_swaps_409_and_422_but_not_other_errors(client):
    html = client.get("/login").text
    meta = re.search(r"<meta name=\"htmx-config\" content='([^']*)'", html).group(1)
    config = json.loads(meta)
    handling = config["responseHandling"]

    def first_match(status):
        for entry in handling:
            if re.fullmatch(entry["code"], str(status)):
                return entry
        return None

    assert first_match(422)["swap"] is True
    assert first_match(409)["swap"] is True
    assert first_match(200)["swap"] is True
    assert first_match(204)["swap"] is False
    for status in (400, 403, 404, 500):
        entry = first_match(status)
        assert entry["swap"] is False and entry["error"] is True
    assert config["allowEval"] is False


# --- page or fragment ---------------------------------------------------------------------------

HTMX_CASES = [
    ({}, "page"),
    ({"HX-Request": "true"}, "fragment"),
    ({"HX-Request": "true", "HX-Boosted": "true"}, "page"),
    ({"HX-Request": "true", "HX-History-Restore-Request": "true"}, "page"),
]


@pytest.mark.parametrize("headers,expected", HTMX_CASES)
def test_render_returns_a_fragment_only_for_plain_htmx_requests(app, headers, expected):
    with app.test_request_context("/", headers=headers):
        assert htmx.wants_fragment() is (expected == "fragment")
        response = htmx.render(
            "errors/error.html", "errors/_error.html", status=422, description="x"
        )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "HX-Request" in response.vary
    assert ("<html" in body) is (expected == "page")
    assert 'class="alert alert-danger error-fragment"' in body or expected == "page"


def test_is_htmx_and_target(app):
    with app.test_request_context("/", headers={"HX-Request": "true", "HX-Target": "row-3"}):
        assert htmx.is_htmx() and htmx.target() == "row-3"
    with app.test_request_context("/"):
        assert not htmx.is_htmx() and htmx.target() is None


def test_redirect_and_trigger_helpers(app):
    with app.test_request_context("/", headers={"HX-Request": "true"}):
        r = htmx.redirect("/next")
        assert r.status_code == 204 and r.headers["HX-Redirect"] == "/next"
        htmx.trigger(r, "saved", {"id": 1})
        htmx.trigger(r, "refresh")
        assert json.loads(r.headers["HX-Trigger"]) == {"saved": {"id": 1}, "refresh": None}
    with app.test_request_context("/"):
        r = htmx.redirect("/next")
        assert r.status_code == 303 and r.headers["Location"] == "/next"


@pytest.mark.parametrize("headers,expected", HTMX_CASES)
def test_error_pages_follow_the_contract(client, auth, headers, expected):
    auth.login("leader")
    r = client.get("/no-such-page", headers=headers)
    assert r.status_code == 404 and "HX-Request" in r.vary
    assert ("<html" in r.text) is (expected == "page")


# --- the session cookie -------------------------------------------------------------------------


def session_cookie_header(response):
    cookies = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert cookies, response.headers
    return [part.strip().lower() for part in cookies[-1].split(";")]


def test_session_cookie_is_httponly_and_samesite_lax(client):
    user = f.user()
    db.session.commit()
    client.get("/login")
    r = client.log_in(user.username, f.PASSWORD)
    assert r.status_code == 303
    parts = session_cookie_header(r)
    assert "httponly" in parts and "samesite=lax" in parts
    assert "secure" not in parts  # plain HTTP unless HTTPS=1


@pytest.mark.parametrize("value,secure", [("1", True), ("0", False), (None, False)])
def test_https_setting_makes_the_session_cookie_secure(monkeypatch, value, secure):
    import config

    try:
        if value is None:
            monkeypatch.delenv("HTTPS", raising=False)
        else:
            monkeypatch.setenv("HTTPS", value)
        monkeypatch.setenv("APP_ENV", "testing")
        loaded = importlib.reload(config).load_config()
        assert loaded.SESSION_COOKIE_SECURE is secure
        assert loaded.SESSION_COOKIE_HTTPONLY is True and loaded.SESSION_COOKIE_SAMESITE == "Lax"
        assert loaded.PREFERRED_URL_SCHEME == ("https" if secure else "http")
    finally:
        monkeypatch.undo()
        importlib.reload(config)


def test_secure_cookie_is_sent_with_the_secure_flag(app):
    app.config["SESSION_COOKIE_SECURE"] = True
    client = app.test_client()
    r = client.get("/login", base_url="https://localhost")
    assert "secure" in session_cookie_header(r)
