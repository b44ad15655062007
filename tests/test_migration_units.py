"""The multi-unit schema keeps a one-unit database as it was: a database loaded with the demo,
holding an issued brief under a saved rubric, taken back to the schema before units
(``0011_shipment_tally``) and upgraded again keeps every row, figure and issued brief, byte for
byte (docs/units.md)."""

import os
from datetime import date
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from tests.conftest import _test_config

ROOT = Path(__file__).resolve().parent.parent
BEFORE_UNITS = "0011_shipment_tally"
PERIODS = ((date(2024, 1, 1), date(2024, 9, 30)), (date(2024, 3, 5), date(2024, 7, 17)))


def _database(tmp_path):
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path / 'units.sqlite3'}", None
    from config import normalise_database_url

    base = normalise_database_url(url)
    name = f"bcci_units_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return base.rsplit("/", 1)[0] + "/" + name, (admin, name)


def _rows(db, columns):
    """Every row of every table named in ``columns`` ({table: [column, …]}), in key order."""
    found = {}
    for table, names in sorted(columns.items()):
        keys = inspect(db.engine).get_pk_constraint(table)["constrained_columns"] or names
        quoted = ", ".join(f'"{n}"' for n in names)
        order = ", ".join(f'"{k}"' for k in keys)
        found[table] = [
            tuple(row)
            for row in db.session.execute(text(f'SELECT {quoted} FROM "{table}" ORDER BY {order}'))
        ]
    return found


def _columns(db):
    inspector = inspect(db.engine)
    return {
        t: [c["name"] for c in inspector.get_columns(t)]
        for t in inspector.get_table_names()
        if t != "alembic_version"
    }


def demo_unit_name():
    from extensions import db
    from models import OrgSettings

    return db.session.get(OrgSettings, 1).unit_name


def _figures(app):
    from utils import figures
    from utils.dates import Period

    return [figures.summary(Period(*p)) for p in PERIODS]


@pytest.mark.slow  # loads the demo (45.000 dossiers) and runs the migrations three times
@pytest.mark.own_database
def test_a_one_unit_database_upgrades_with_every_row_figure_and_brief_unchanged(tmp_path):
    from app import create_app
    from blueprints.briefs import services as briefs
    from extensions import db
    from utils import demo, tally
    from utils.dates import Period

    uri, cleanup = _database(tmp_path)
    app = create_app(_test_config(uri))
    migrations = str(ROOT / "migrations")
    try:
        with app.app_context():
            upgrade(directory=migrations)
            demo.load()
            db.session.commit()
            brief = briefs.issue_brief(Period(*PERIODS[0]), today=date(2024, 10, 5))
            db.session.commit()
            assert brief.number == 1
            figures_before = _figures(app)
            head_rows = _rows(db, _columns(db))
            db.session.remove()

            downgrade(directory=migrations, revision=BEFORE_UNITS)
            db.session.remove()
            old_columns = _columns(db)
            assert "unit" not in old_columns and "unit_id" not in old_columns["dossier"]
            old_rows = _rows(db, old_columns)
            assert len(old_rows["dossier"]) > 40000 and len(old_rows["brief"]) == 1
            db.session.remove()

            upgrade(directory=migrations)
            db.session.remove()
            upgraded_rows = _rows(db, old_columns)
            assert upgraded_rows == old_rows
            # and what the head held is what the upgraded database holds, column for column
            for table, names in old_columns.items():
                at_head = _columns(db)[table]
                picked = [at_head.index(n) for n in names]
                assert [tuple(r[i] for i in picked) for r in head_rows[table]] == old_rows[table], (
                    table
                )
            assert _figures(app) == figures_before
            assert tally.differences() == []  # the quarter tallies built from the month ones
            unit = db.session.execute(text("SELECT id, code, name FROM unit")).all()
            # the first unit, named as the settings name the organisation
            assert unit == [(1, "DV01", demo_unit_name())]
            owners = (
                db.session.execute(
                    text(
                        "SELECT DISTINCT unit_id FROM dossier UNION SELECT DISTINCT unit_id FROM brief"
                    )
                )
                .scalars()
                .all()
            )
            assert owners == [1]
            db.session.remove()
    finally:
        with app.app_context():
            db.engine.dispose()
        if cleanup:
            admin, name = cleanup
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            admin.dispose()
