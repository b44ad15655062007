"""Shared steps of the hostile-import tests: post a file to the dossier import page as centre
staff, and check that it was refused and nothing was written."""

from sqlalchemy import func, select

from extensions import db
from models import AuditEvent, Dossier
from tests import factories as f


def post_file(client, name, data, url="/dossiers/import"):
    return client.upload(url, data, name)


def counts():
    """What an import would write: dossiers and audit events."""
    return (
        db.session.execute(select(func.count()).select_from(Dossier)).scalar_one(),
        db.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one(),
    )


def assert_refused(client, name, data, *words):
    """Posts ``data`` as the file ``name``: the answer is a 422 that says each of ``words``, and
    nothing was written."""
    before = counts()
    response = post_file(client, name, data)
    assert response.status_code == 422
    for word in words:
        assert word in response.text
    assert counts() == before
    return response


def a_procedure():
    procedure = f.procedure(code="1.001108")
    db.session.commit()
    return procedure
