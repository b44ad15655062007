"""In a real browser with the CDN unreachable, htmx still loads, from the vendored copy."""

import pytest

from extensions import db
from tests import factories as f

pytestmark = pytest.mark.browser


@pytest.fixture()
def app(app):
    """The application as deployed with internet access: htmx from the CDN first."""
    app.config["HTMX_LOCAL_ONLY"] = False
    return app


def test_htmx_falls_back_to_the_vendored_copy_when_the_cdn_is_blocked(page, app):
    version = app.config["HTMX_VERSION"]
    failed, loaded, violations = [], [], []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("requestfinished", lambda request: loaded.append(request.url))
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto("/login")
    page.wait_for_function(f"() => window.htmx && window.htmx.version === '{version}'")
    assert app.config["HTMX_CDN_URL"] in failed  # the page did try the CDN first
    assert any(url.endswith(f"/static/vendor/htmx-{version}.min.js") for url in loaded)
    assert not violations, violations


def test_a_cdn_that_never_answers_does_not_hold_the_page(page, app, live_server):
    """The CDN request is held open (it never fails, so `onerror` would never fire): the login
    page is rendered and works as a plain form meanwhile, and htmx then runs from the local copy."""
    user = f.user("centre")
    db.session.commit()
    version = app.config["HTMX_VERSION"]
    held, posts, loaded = [], [], []
    page.route(app.config["HTMX_CDN_URL"], lambda route: held.append(route))  # never answered
    page.on("request", lambda r: posts.append(r) if r.method == "POST" else None)
    page.on("requestfinished", lambda r: loaded.append(r.url))
    page.goto("/login")  # returns at the load event: the held request does not delay it
    assert held, "the page did not ask the CDN"
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", f.PASSWORD)
    page.click("button[type=submit]:not([name=lang])")
    page.wait_for_url(lambda url: "/login" not in url)
    assert posts and posts[0].headers.get("hx-request") is None  # a plain form's POST
    # On the next page the CDN is held again; htmx comes from the vendored copy and starts.
    page.wait_for_function(f"() => window.htmx && window.htmx.version === '{version}'")
    assert any(url.endswith(f"/static/vendor/htmx-{version}.min.js") for url in loaded)
    page.wait_for_function("() => document.body['htmx-internal-data'] !== undefined")
    page.goto("/shipments/new")
    page.wait_for_function("() => window.htmx && document.body['htmx-internal-data'] !== undefined")
    page.fill("input[name=tracking_number]", "EB123456785VN")
    page.locator("input[name=tracking_number]").blur()
    page.get_by_test_id("tracking-ok").wait_for()  # answered through htmx
