"""Access tested as a whole: every endpoint × every role against ``tests/access_policy.py``;
no GET changes anything; no state change goes through without the session's own CSRF token."""

import hashlib
from urllib.parse import urlsplit

import pytest
from flask import url_for
from sqlalchemy import select

from blueprints.auth.services import start_session
from extensions import db
from tests import access_policy
from tests.access_policy import ANONYMOUS, ROLES, Samples

POLICY = access_policy.collect()
SAFE_METHODS = {"HEAD", "OPTIONS"}


def endpoint_methods(app, endpoint):
    """The methods ``endpoint`` answers, GET first (HEAD and OPTIONS aside)."""
    methods = set()
    for rule in app.url_map.iter_rules(endpoint=endpoint):
        methods |= set(rule.methods) - SAFE_METHODS
    return sorted(methods, key=lambda m: (m != "GET", m))


def endpoint_calls(app, endpoint):
    """``(method, unit)`` of each call the access tests make to ``endpoint``: each method it
    answers, and for a ``Rule.unit_query`` the GET asking for the samples' unit too."""
    calls = [(method, False) for method in endpoint_methods(app, endpoint)]
    if POLICY[endpoint].unit_query:
        calls.append(("GET", True))
    return calls


def sign_in(client, user):
    """Log ``client`` in as ``user`` with a server-side session, as the login view does
    (without the deliberately slow password check)."""
    sid = start_session(user)
    db.session.commit()
    return carrying(client, sid)


def carrying(client, sid):
    """``client`` with the cookie of the login session ``sid``."""
    with client.session_transaction() as sess:
        sess["_user_id"] = sid
        sess["_fresh"] = True
    return client


def clients_by_role(app, samples):
    clients = {ANONYMOUS: app.test_client()}
    for role in ROLES:
        clients[role] = sign_in(app.test_client(), samples.user_for(role))
    return clients


def signed_in_samples():
    """``Samples`` and a user of each role signed in, as ``clients_by_role`` signs them in: the
    dataset of the ``by_role`` fixture (conftest), built once per worker."""
    samples = Samples()
    sessions = {role: start_session(samples.user_for(role)) for role in ROLES}
    db.session.commit()
    return samples, samples.kept(), sessions


def clients_carrying(app, sessions):
    """A client of each role carrying its login session of ``sessions``, and an anonymous one."""
    clients = {ANONYMOUS: app.test_client()}
    clients.update({role: carrying(app.test_client(), sid) for role, sid in sessions.items()})
    return clients


def build_url(app, endpoint, rule, samples, method, unit=False):
    """The URL of ``endpoint`` on ``samples``; with ``unit``, asking for their unit by its code
    (``Rule.unit_query``)."""
    values = rule.url_values(samples)
    if method == "GET":
        values.update(rule.query_values(samples))
        if unit:
            values["unit"] = samples.unit_code()
    with app.test_request_context():
        return url_for(endpoint, **values)


def call(client, method, url, rule, samples, **kwargs):
    data = None if method == "GET" else rule.form_data(samples)
    return client.open(url, method=method, data=data, **kwargs)


def is_login_redirect(response):
    """The redirect Flask-Login sends to someone not logged in (to the login page, with ``next``)."""
    location = urlsplit(response.headers.get("Location", ""))
    return (
        response.status_code in (301, 302, 303)
        and location.path == "/login"
        and "next=" in location.query
    )


def table_dump(exclude=()):
    """``{table: (row count, sha256 of every row)}`` for every table of the models."""
    out = {}
    for table in db.metadata.sorted_tables:
        if table.name in exclude:
            continue
        # A login session's "last seen" is noted at most once a minute by any request, GETs
        # included (the idle timeout needs it); it is bookkeeping, not data a GET may change.
        columns = [
            c for c in table.columns if (table.name, c.name) != ("login_session", "last_seen_at")
        ]
        rows = db.session.execute(select(*columns).order_by(*table.primary_key.columns)).all()
        digest = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
        out[table.name] = (len(rows), digest)
    db.session.rollback()  # the next dump sees what other connections committed
    return out


def audit_rows():
    from models import AuditEvent

    rows = db.session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
    out = {
        e.id: repr(
            (e.at, e.user_id, e.action, e.object_type, e.object_id, e.old_values, e.new_values)
        )
        for e in rows
    }
    db.session.rollback()
    return out


# --- the allow-list covers exactly the application's endpoints --------------------------------


def test_every_endpoint_is_in_the_allow_list(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    missing = sorted(endpoints - set(POLICY))
    assert not missing, (
        "endpoints missing from tests/access_policy.py (list who may call "
        f"them in their blueprint's section): {missing}"
    )
    stale = sorted(set(POLICY) - endpoints)
    assert not stale, f"tests/access_policy.py lists endpoints that do not exist: {stale}"


def test_every_rule_names_known_roles():
    for endpoint, rule in POLICY.items():
        roles = set(rule.roles) | set(rule.write_roles or ())
        assert roles <= set(ROLES) | {ANONYMOUS}, endpoint
        assert rule.roles, endpoint


def test_anything_not_public_needs_a_login(app):
    """Deny by default: only endpoints marked ``@public`` are open, and the policy agrees."""
    for endpoint, view in app.view_functions.items():
        if endpoint == "static" or endpoint not in POLICY:
            continue
        public = getattr(view, "is_public", False)
        assert public == (ANONYMOUS in POLICY[endpoint].roles), endpoint


def test_the_menu_offers_each_role_exactly_what_it_may_open(app):
    """``utils/navigation.py`` and the allow-list agree, so no menu entry leads to a 403 and no
    allowed page is missing from the menu."""
    from utils.navigation import NAV

    for endpoint, _label, roles in NAV:
        if endpoint in app.view_functions:
            assert set(roles) == set(POLICY[endpoint].roles) - {ANONYMOUS}, endpoint


@pytest.mark.slow  # a sweep of every endpoint: left to `make test`, out of `make check`
@pytest.mark.parametrize("endpoint", sorted(POLICY))
def test_access_matrix(by_role, endpoint):
    app, samples, clients = by_role
    rule = POLICY[endpoint]
    if endpoint not in app.view_functions:
        pytest.fail(f"{endpoint} is listed but not registered")
    for method, unit in endpoint_calls(app, endpoint):
        url = build_url(app, endpoint, rule, samples, method, unit)
        everyone = (ANONYMOUS,) + ROLES
        denied = [r for r in everyone if not rule.allowed(r, method)]
        allowed = [r for r in everyone if rule.allowed(r, method)]
        # Refusals first: they must change nothing, so the allowed calls still find the samples.
        for role in denied:
            r = call(clients[role], method, url, rule, samples)
            assert r.status_code in (401, 403) or is_login_redirect(r), (
                f"{method} {url} as {role}: expected a refusal, got {r.status_code}"
            )
        for role in allowed:
            r = call(clients[role], method, url, rule, samples)
            assert r.status_code not in (401, 403, 404, 405) and r.status_code < 500, (
                f"{method} {url} as {role}: expected access, got {r.status_code}"
            )
            assert not is_login_redirect(r), f"{method} {url} as {role}: sent to the login page"


# --- no GET changes anything ------------------------------------------------------------------


def _get_targets(app, samples, role, audited):
    out = []
    for endpoint, rule in sorted(POLICY.items()):
        if rule.audited_read != audited or "GET" not in endpoint_methods(app, endpoint):
            continue
        if rule.allowed(role, "GET"):
            out.append((endpoint, build_url(app, endpoint, rule, samples, "GET")))
    return out


@pytest.mark.slow  # walks every GET endpoint
@pytest.mark.parametrize("role", (ANONYMOUS,) + ROLES)
def test_no_get_changes_anything(app, role):
    samples = Samples()
    client = clients_by_role(app, samples)[role]  # logged in before the first dump
    plain = _get_targets(app, samples, role, audited=False)
    audited = _get_targets(app, samples, role, audited=True)
    db.session.commit()
    assert plain or role == ANONYMOUS
    before = table_dump()
    for endpoint, url in plain:
        for headers in ({}, {"HX-Request": "true"}):
            r = client.get(url, headers=headers)
            assert r.status_code < 500, f"GET {url} as {role}: {r.status_code}"
            after = table_dump()
            changed = [t for t in before if before[t] != after[t]]
            assert not changed, f"GET {url} ({endpoint}) as {role} changed {changed}"
    audit_before = audit_rows()
    for endpoint, url in audited:
        r = client.get(url)
        assert r.status_code < 500, f"GET {url} as {role}: {r.status_code}"
        after = table_dump(exclude={"audit_event"})
        changed = [t for t in after if before[t] != after[t]]
        assert not changed, f"GET {url} ({endpoint}) as {role} changed {changed}"
        audit_after = audit_rows()
        assert all(audit_after.get(k) == v for k, v in audit_before.items()), (
            f"GET {url} changed existing audit events"
        )


# --- CSRF: with the protection on, as in production -------------------------------------------


def _state_changing_endpoints():
    """Endpoints that answer a method other than GET, read from an application's URL map."""
    from app import create_app

    routes = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"}).url_map
    return sorted(
        {
            rule.endpoint
            for rule in routes.iter_rules()
            if set(rule.methods) - SAFE_METHODS - {"GET"}
        }
        & set(POLICY)
    )


@pytest.mark.slow  # a sweep of every endpoint: left to `make test`, out of `make check`
@pytest.mark.parametrize("endpoint", _state_changing_endpoints())
def test_state_changes_need_the_sessions_own_csrf_token(by_role, endpoint):
    app, samples, clients = by_role
    assert app.config.get("WTF_CSRF_ENABLED", True)
    rule = POLICY[endpoint]
    methods = [m for m in endpoint_methods(app, endpoint) if m != "GET"]
    other = sign_in(app.test_client(), samples.user_for("admin"))
    for method in methods:
        role = next(r for r in (ROLES + (ANONYMOUS,)) if rule.allowed(r, method))
        client = clients[role]
        url = build_url(app, endpoint, rule, samples, method)
        foreign_token = other.csrf_token()
        before = table_dump()
        for csrf in (False, foreign_token):
            for headers in ({}, {"HX-Request": "true"}):
                r = call(client, method, url, rule, samples, headers=headers, csrf=csrf)
                kind = "no token" if csrf is False else "another session's token"
                assert r.status_code == 400, (
                    f"{method} {url} as {role} with {kind}: {r.status_code}"
                )
        assert table_dump() == before, f"{method} {url} changed the database without a valid token"


# --- the unit dimension: every route × role × (own unit's record, another unit's) -------------

# Users bound to the first unit, users of the same roles who see every unit (province-wide), and
# department staff (who see every unit): ``(role, scope)``.
UNIT_USERS = (
    ("admin", "bound"),
    ("centre", "bound"),
    ("leader", "bound"),
    ("admin", "province"),
    ("centre", "province"),
    ("leader", "province"),
    ("department", "every"),
)


def _unit_dataset():
    """Two units each holding a record of every kind (``_unit_samples``), the ``UNIT_USERS``
    signed in (their login sessions' ids) and the other unit's markers."""
    from models import FIRST_UNIT_ID

    own, other = _unit_samples()
    extra = {"bound": {"unit_id": FIRST_UNIT_ID}, "province": {"province_wide": True}, "every": {}}
    sessions = {
        (role, scope): start_session(own.user_for(role, **extra[scope]))
        for role, scope in UNIT_USERS
    }
    db.session.commit()
    markers = other.markers()
    return own, other, own.kept(), other.kept(), sessions, markers


@pytest.fixture(scope="session")
def _units_dataset(shared_dataset):
    return shared_dataset("two_units", _unit_dataset)


@pytest.fixture()
def two_units(_units_dataset):
    """The application on the two units' dataset as built (``conftest.SharedDataset``): built
    once per test process, put back before each test; its records and logged-in clients
    afresh."""
    own, other, own_kept, other_kept, sessions, markers = _units_dataset.value
    with _units_dataset.restored() as app:
        own.restore(own_kept)
        other.restore(other_kept)
        clients = {key: carrying(app.test_client(), sid) for key, sid in sessions.items()}
        yield app, own, other, clients, markers


def _is_access(r):
    return r.status_code not in (401, 403, 404, 405) and r.status_code < 500


def _unit_samples():
    own = Samples()
    other = access_policy.OtherUnitSamples(own)
    other.build_all()
    db.session.commit()
    return own, other


def _shown(response, markers, url):
    """The markers of the other unit's records ``response`` shows (those the request itself
    carries aside: a code typed is echoed back)."""
    if response.mimetype not in ("text/html", "text/csv", "application/json"):
        return []
    body = response.get_data(as_text=True)
    return [m for m in markers if m in body and m not in url]


@pytest.mark.slow  # a sweep of every endpoint as seven users: left to `make test`
@pytest.mark.parametrize("endpoint", sorted(POLICY))
def test_unit_matrix(two_units, endpoint):
    """Two units each hold a record of every kind. Users bound to the first unit get 404 on the
    other unit's record, whatever the method, and nothing changes (the other unit asked by its
    code too: ``Rule.unit_query``); they reach their own, and no page they open shows the other
    unit's records. Province-wide users and department staff reach both units' records."""
    from utils.access import PROVINCE_WIDE_ONLY

    rule = POLICY[endpoint]
    app, own, other, clients, markers = two_units
    # Views only province-wide users may open (the units screens): refused to bound users.
    province_only = getattr(app.view_functions[endpoint], "allowed_action", None) in (
        PROVINCE_WIDE_ONLY
    )
    for method, unit in endpoint_calls(app, endpoint):
        allowed = [key for key in UNIT_USERS if rule.allowed(key[0], method)]
        bound = [key for key in allowed if key[1] == "bound"]
        if province_only:
            for key in bound:
                r = call(
                    clients[key],
                    method,
                    build_url(app, endpoint, rule, own, method, unit),
                    rule,
                    own,
                )
                assert r.status_code == 403, f"{method} {endpoint} as {key}: {r.status_code}"
            allowed = [key for key in allowed if key[1] != "bound"]
            bound = []
        own_url = build_url(app, endpoint, rule, own, method, unit)
        other_url = build_url(app, endpoint, rule, other, method, unit)
        by_record = (
            unit
            or rule.url_values(own) != rule.url_values(other)
            or (method != "GET" and rule.form_data(own) != rule.form_data(other))
        )
        db.session.commit()
        before = table_dump()
        for key in bound:  # the other unit's record: as if it did not exist
            r = call(clients[key], method, other_url, rule, other)
            if by_record:
                assert r.status_code == 404, f"{method} {other_url} as {key}: {r.status_code}"
                assert table_dump() == before, f"{method} {other_url} as {key} changed data"
            elif other_url != own_url:  # a code in the query: answered as an unknown one
                assert _is_access(r), f"{method} {other_url} as {key}: {r.status_code}"
                assert not _shown(r, markers, other_url), f"{method} {other_url} as {key}"
        for key in bound:  # their own unit's record, and no page shows the other unit's
            r = call(clients[key], method, own_url, rule, own)
            assert _is_access(r), f"{method} {own_url} as {key}: {r.status_code}"
            shown = _shown(r, markers, own_url) if method == "GET" else []
            assert not shown, f"{method} {own_url} as {key} shows the other unit's {shown}"
        if by_record:
            for key in allowed:  # who sees every unit reaches the other unit's record
                if key[1] != "bound":
                    r = call(clients[key], method, other_url, rule, other)
                    assert _is_access(r), f"{method} {other_url} as {key}: {r.status_code}"
