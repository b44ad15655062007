"""In a real browser with the CDN unreachable, htmx still loads, from the vendored copy."""
import pytest

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
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto("/login")
    page.wait_for_function(f"() => window.htmx && window.htmx.version === '{version}'")
    assert app.config["HTMX_CDN_URL"] in failed  # the page did try the CDN first
    assert any(url.endswith(f"/static/vendor/htmx-{version}.min.js") for url in loaded)
    assert not violations, violations
