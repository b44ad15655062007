"""Shared steps of the hostile-import tests: post a file to the dossier import page as centre
staff, and check that nothing was written."""
from sqlalchemy import func, select

from extensions import db
from models import AuditEvent, Dossier
from tests import factories as f


def post_file(client, name, data, url="/dossiers/import"):
    from io import BytesIO

    return client.post(url, data={"file": (BytesIO(data), name)},
                       content_type="multipart/form-data")


def counts():
    """What an import would write: dossiers and audit events."""
    return (db.session.execute(select(func.count()).select_from(Dossier)).scalar_one(),
            db.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one())


def a_procedure():
    procedure = f.procedure(code="1.001108")
    db.session.commit()
    return procedure
