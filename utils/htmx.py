"""The htmx request and response headers, and the page/fragment choice of the page contract."""

import json

from flask import make_response, render_template, request


def is_htmx():
    """True for a request made by htmx."""
    return request.headers.get("HX-Request") == "true"


def wants_fragment():
    """A fragment only for htmx requests that are neither boosted nor a history restore."""
    return (
        is_htmx()
        and request.headers.get("HX-Boosted") != "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def target():
    """The id of the element htmx will swap, if any."""
    return request.headers.get("HX-Target")


def render(page_template, fragment_template, status=200, **context):
    """Render the full page, or only its fragment for an htmx request; always ``Vary: HX-Request``.

    The page template includes the fragment template, so the two never drift apart.
    """
    name = fragment_template if wants_fragment() else page_template
    response = make_response(render_template(name, **context), status)
    response.vary.add("HX-Request")
    return response


def trigger(response, event, detail=None):
    """Add an ``HX-Trigger`` event (merged with any already set)."""
    current = response.headers.get("HX-Trigger")
    events = (
        json.loads(current)
        if current and current.startswith("{")
        else ({current: None} if current else {})
    )
    events[event] = detail
    response.headers["HX-Trigger"] = json.dumps(events)
    return response


def push_url(response, url):
    response.headers["HX-Push-Url"] = url
    return response


def redirect(url):
    """A redirect htmx follows with a full page load (``HX-Redirect``), or a 303 otherwise."""
    from flask import redirect as flask_redirect

    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return flask_redirect(url, code=303)
