"""Every route, as every role, against the classes of hostile input: huge and Unicode-digit
integers in paths and query strings, dates outside the supported window, NUL and other control
characters in every parameter and form field. Nothing answers 5xx, and every route reads its
parameters (at least one role gets a 400, 404 or 422 from them rather than only refusals). Each
hostile request is sent once, by one of the roles the route lets in, in turn; every role sends the
first (a refused role is refused before any parameter is read)."""

import pytest
from flask import url_for

from tests import access_policy
from tests.access_policy import ANONYMOUS, ROLES
from tests.test_access_matrix import endpoint_methods

POLICY = access_policy.collect()

HUGE = 2**64 + 7  # above every database's integer
# Query and form names the application reads somewhere; each gets every hostile value.
COMMON_NAMES = (
    "page",
    "per_page",
    "department",
    "field",
    "user",
    "year",
    "months",
    "shipment",
    "q",
    "status",
    "preset",
    "from",
    "to",
    "next",
    "id",
    "ids",
    "code",
    "name",
)
# The names that hold dates: the integer class leaves them valid, so that a period check does not
# answer first and hide how the integers are read; the date class sets only them.
DATE_NAMES = (
    "from",
    "to",
    "date",
    "day",
    "date_from",
    "date_to",
    "deadline",
    "start",
    "end",
    "receive_date",
)
INTEGER_VALUES = (str(HUGE), "9" * 40, "²", "١٢", "-1", "0", "1e9", " 7 ")
DATE_VALUES = ("0001-01-01", "9999-12-31", "1999-12-31", "2100-01-01", "２０２４-01-01")
CONTROL_VALUES = ("a\x00b", "\x1b[31m", "x\x85y", "\x7f")
PARSED = (400, 404, 422)


def _path_values(rule, samples, huge):
    values = rule.url_values(samples)
    if huge:
        values = {k: (HUGE if isinstance(v, int) else v) for k, v in values.items()}
    return values


def _url(app, endpoint, values, query=None):
    with app.test_request_context():
        url = url_for(endpoint, **values)
    if query:
        from urllib.parse import urlencode

        url += ("&" if "?" in url else "?") + urlencode(query, doseq=True)
    return url


def hostile_requests(app, endpoint, rule, samples, method):
    """``(label, url, form data)`` for each class of hostile input."""
    names = set(COMMON_NAMES)
    if method == "GET":
        names |= set(rule.query_values(samples))
    else:
        names |= set(rule.form_data(samples))
    plain = rule.url_values(samples)
    base_query = rule.query_values(samples) if method == "GET" else {}
    base_data = rule.form_data(samples) if method != "GET" else None
    out = []
    if any(isinstance(v, int) for v in plain.values()):
        out.append(
            (
                "huge id in the path",
                _url(app, endpoint, _path_values(rule, samples, True), base_query),
                base_data,
            )
        )
    # Control characters first: a route that logs out (or otherwise ends the session) is still
    # read by them before it does.
    date_names = set(DATE_NAMES) | {n for n in names if "date" in n}
    classes = (
        ("control characters", CONTROL_VALUES, names),
        ("integers", INTEGER_VALUES, names - date_names),
        ("dates", DATE_VALUES, date_names),
    )
    for label, values, targets in classes:
        for value in values:
            if method == "GET":
                query = {**base_query, **{n: value for n in targets}}
                out.append((f"{label}: {value!r}", _url(app, endpoint, plain, query), None))
            else:
                data = {**(base_data or {}), **{n: value for n in targets}}
                out.append((f"{label}: {value!r}", _url(app, endpoint, plain), data))
    # The period pickers read ``from`` and ``to`` together: one pair outside the window.
    if method == "GET":
        query = {**base_query, "from": "0001-01-01", "to": "9999-12-31"}
        out.append(("period outside the window", _url(app, endpoint, plain, query), None))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("endpoint", sorted(POLICY))
def test_hostile_input_never_answers_5xx(by_role, endpoint):
    app, samples, clients = by_role
    rule = POLICY[endpoint]
    statuses = {}
    for method in endpoint_methods(app, endpoint):
        requests = hostile_requests(app, endpoint, rule, samples, method)
        admitted = [role for role in (ANONYMOUS,) + ROLES if rule.allowed(role, method)]
        for role in (ANONYMOUS,) + ROLES:
            # A refused role is refused before any parameter is read: the first request shows
            # it. Every role let in gets the first request, plain and as htmx; the rest are dealt
            # out among them in turn, so that every hostile value reaches the route once.
            mine = requests[:1]
            if role in admitted:
                turn = admitted.index(role)
                mine += requests[1:][turn :: len(admitted)]
            for index, (label, url, data) in enumerate(mine):
                for headers in ({}, {"HX-Request": "true"}) if index == 0 else ({},):
                    r = clients[role].open(url, method=method, data=data, headers=headers)
                    assert r.status_code < 500, (
                        f"{method} {url} ({label}) as {role}: {r.status_code}\n{r.text[:800]}"
                    )
                    statuses.setdefault(role, set()).add(r.status_code)
                    if url.startswith("/api/") and r.status_code >= 400:
                        assert r.is_json, f"{method} {url} as {role}: not JSON"
    reached = {role for role, seen in statuses.items() if seen & set(PARSED)}
    assert reached, f"{endpoint}: no role got past the refusals to the parameters: {statuses}"
