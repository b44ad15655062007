"""Migrations: one head, and empty-to-head on the test database."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from alembic.config import Config
from alembic.script import ScriptDirectory

ROOT = Path(__file__).resolve().parent.parent


def test_one_migration_head():
    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, heads


@pytest.mark.slow  # runs every migration
@pytest.mark.own_database
def test_migrations_from_empty_to_head_match_the_models(tmp_path):
    """Upgrade an empty database to head; the schema then equals the models (no autogenerate diff)."""
    url = os.environ.get("TEST_DATABASE_URL")
    env = dict(os.environ, APP_ENV="testing", PYTHONPATH=str(ROOT))
    if url:
        from sqlalchemy import create_engine, text

        from config import normalise_database_url

        base = normalise_database_url(url)
        name = f"bcci_migrate_{os.getpid()}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        env["DATABASE_URL"] = base.rsplit("/", 1)[0] + "/" + name
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    r = subprocess.run(flask + ["db", "upgrade"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(flask + ["db", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    if url:
        # The dossier code compares bytes (migration 0020), as the code search reads it, and
        # one index holds the codes.
        engine = create_engine(env["DATABASE_URL"])
        with engine.connect() as conn:
            collation = conn.execute(
                text(
                    "SELECT collation_name FROM information_schema.columns "
                    "WHERE table_name = 'dossier' AND column_name = 'code'"
                )
            ).scalar_one()
            indexes = conn.execute(
                text(
                    "SELECT indexname FROM pg_indexes WHERE tablename = 'dossier' "
                    "AND indexdef NOT LIKE '%WHERE%' AND indexdef LIKE '%(code%'"
                )
            ).scalars()
            assert (collation, sorted(indexes)) == ("C", ["uq_dossier_code"])
        engine.dispose()


def test_revision_ids_fit_the_version_table():
    """``alembic_version.version_num`` is VARCHAR(32): PostgreSQL refuses a longer revision id
    (SQLite would not notice)."""
    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    long_ids = [
        r.revision
        for r in ScriptDirectory.from_config(config).walk_revisions()
        if len(r.revision) > 32
    ]
    assert long_ids == []
