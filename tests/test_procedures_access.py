"""Who may do what in the procedure catalogue (docs/roles.md), over every route."""

import pytest
from sqlalchemy import func, select

from extensions import db
from models import AuditEvent, Procedure
from tests import factories as f

HX = {"HX-Request": "true"}
ROLES = ("admin", "centre", "department-own", "department-other", "leader")


@pytest.fixture()
def world(app):
    own, other = f.department(code="OWN"), f.department(code="OTHER")
    fl = f.field()
    p = f.procedure(department_=own, field_=fl)
    db.session.commit()
    return {"own": own, "other": other, "field": fl, "p": p}


def login(auth, role, world):
    if role == "department-own":
        return auth.login("department", department=world["own"])
    if role == "department-other":
        return auth.login("department", department=world["other"])
    return auth.login(role)


READ_ROUTES = [
    "/procedures",
    "/procedures?q=x",
    "/procedures/export?format=csv",
    "/procedures/export?format=xlsx",
    "/procedures/{id}",
    "/procedures/fields",
    "/procedures/outreach",
]


@pytest.mark.slow  # every role × every route: left to `make test`, out of `make check`
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url", READ_ROUTES)
def test_everyone_reads(client, auth, world, role, url):
    login(auth, role, world)
    assert client.get(url.format(id=world["p"].id)).status_code == 200


@pytest.mark.parametrize(
    "url",
    READ_ROUTES
    + [
        "/procedures/{id}/edit",
        "/procedures/new",
        "/procedures/import",
        "/procedures/{id}/details",
    ],
)
def test_anonymous_is_sent_to_login(client, world, url):
    r = client.get(url.format(id=world["p"].id))
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert client.get(url.format(id=world["p"].id), headers=HX).status_code == 401


EDIT_GETS = ["/procedures/{id}/edit", "/procedures/{id}/details"]
EXPECTED_EDIT = {
    "admin": 200,
    "centre": 200,
    "department-own": 200,
    "department-other": 403,
    "leader": 403,
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url", EDIT_GETS)
def test_edit_forms(client, auth, world, role, url):
    login(auth, role, world)
    for headers in ({}, HX):
        assert (
            client.get(url.format(id=world["p"].id), headers=headers).status_code
            == EXPECTED_EDIT[role]
        )


@pytest.mark.parametrize(
    "role, status", [("admin", 200), ("centre", 200), ("department-own", 200), ("leader", 403)]
)
@pytest.mark.parametrize("url", ["/procedures/new", "/procedures/import"])
def test_new_and_import_forms(client, auth, world, role, status, url):
    login(auth, role, world)
    assert client.get(url).status_code == status


def _posts(world):
    p, own, other, fl = world["p"], world["own"], world["other"], world["field"]
    return {
        "edit": (
            f"/procedures/{p.id}/edit",
            {"eligible_receive": "yes", "eligible_return": "yes", "version": "1"},
        ),
        "details": (
            f"/procedures/{p.id}/details",
            {
                "code": p.code,
                "name": "Tên khác",
                "field_id": fl.id,
                "department_id": own.id,
                "version": "1",
            },
        ),
        "retire": (f"/procedures/{p.id}/retire", {}),
        "reinstate": (f"/procedures/{p.id}/reinstate", {}),
        "bulk": (
            "/procedures/bulk",
            {
                "scope": "selected",
                "ids": [p.id],
                "eligible_receive": "yes",
                "eligible_return": "yes",
            },
        ),
        "new-other": (
            "/procedures/new",
            {
                "code": "1.099999",
                "name": "Mới",
                "field_id": fl.id,
                "department_id": other.id,
                "eligible_receive": "yes",
                "eligible_return": "yes",
            },
        ),
        "note": (f"/procedures/fields/{fl.id}/note", {"postal_note": "Ghi chú"}),
    }


def _snapshot(world):
    db.session.expire_all()
    p = db.session.get(Procedure, world["p"].id)
    return (
        p.name,
        p.department_id,
        p.in_force,
        p.eligible_receive,
        p.version,
        db.session.execute(select(func.count()).select_from(Procedure)).scalar_one(),
        db.session.execute(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action != "login")
        ).scalar_one(),
    )


REFUSED = {
    "leader": ["edit", "details", "retire", "reinstate", "bulk", "new-other", "note"],
    # "new-other" adds to the other department: that user's own.
    "department-other": ["edit", "details", "retire", "reinstate", "bulk", "note"],
    "department-own": ["new-other", "note"],
}
ALL_POSTS = ["edit", "details", "retire", "reinstate", "bulk", "new-other", "note"]


@pytest.mark.slow  # every role × every route: left to `make test`, out of `make check`
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ALL_POSTS)
def test_changes_are_refused_whole_or_allowed(client, auth, world, role, action):
    login(auth, role, world)
    url, data = _posts(world)[action]
    before = _snapshot(world)
    r = client.post(url, data=data)
    if action in REFUSED.get(role, []):
        assert r.status_code == 403
        assert _snapshot(world) == before
    else:
        assert r.status_code in (303, 200), r.text[:500]


def test_forged_department_on_details_is_refused(client, auth, world):
    login(auth, "department-own", world)
    before = _snapshot(world)
    url, data = _posts(world)["details"]
    r = client.post(url, data={**data, "department_id": world["other"].id})
    assert r.status_code == 403 and _snapshot(world) == before


def test_forged_department_on_edit_row_is_ignored(client, auth, world):
    """The eligibility form has no department: a forged one changes nothing."""
    login(auth, "department-own", world)
    url, data = _posts(world)["edit"]
    r = client.post(url, data={**data, "department_id": world["other"].id})
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(Procedure, world["p"].id).department_id == world["own"].id


def test_department_import_refused_for_leader(client, auth, world):
    login(auth, "leader", world)
    r = client.upload("/procedures/import", "x", "x.csv")
    assert r.status_code == 403


@pytest.mark.parametrize("action", ALL_POSTS)
def test_posts_need_a_csrf_token(client, auth, world, action):
    login(auth, "admin", world)
    url, data = _posts(world)[action]
    before = _snapshot(world)
    assert client.post(url, data=data, csrf=False).status_code == 400
    assert _snapshot(world) == before


def test_department_user_sees_edit_only_on_own_rows(client, auth, world):
    theirs = f.procedure(department_=world["other"])
    db.session.commit()
    login(auth, "department-own", world)
    r = client.get("/procedures?department=all", headers=HX)
    own_row = r.text.split(f'id="procedure-{world["p"].id}"')[1].split("</tr>")[0]
    their_row = r.text.split(f'id="procedure-{theirs.id}"')[1].split("</tr>")[0]
    assert "/edit" in own_row and "/edit" not in their_row
    assert 'name="ids"' in own_row and 'name="ids"' not in their_row


def test_leader_sees_no_edit_controls(client, auth, world):
    login(auth, "leader", world)
    r = client.get("/procedures")
    assert 'id="bulk-form"' not in r.text and 'name="ids"' not in r.text and "/edit" not in r.text
    r = client.get(f"/procedures/{world['p'].id}")
    assert "/retire" not in r.text
