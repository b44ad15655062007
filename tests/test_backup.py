"""``flask backup``: a consistent SQLite copy through the online backup API; PostgreSQL refused."""

import sqlite3
from datetime import date

import pytest

from extensions import db
from tests import factories as f
from models import Dossier
from tests.conftest import ON_POSTGRES


@pytest.mark.skipif(ON_POSTGRES, reason="the SQLite backup")
def test_backup_copies_every_committed_row(app, runner, tmp_path):
    proc = f.procedure(receive=True)
    for day in range(1, 21):
        f.dossier(proc, date(2024, 3, day))
    f.shipment(f.dossier(proc, date(2024, 4, 1), "bcci"), direction="tiep_nhan")
    db.session.commit()
    # Committed rows may still sit in the write-ahead log: a plain file copy would miss them.
    target = tmp_path / "copy" / "backup.sqlite3"
    result = runner.invoke(args=["backup", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert "Đã ghi bản sao lưu" in result.output
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        for table, expected in (("dossier", 21), ("shipment", 1), ("procedure", 1)):
            assert copy.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] == expected
        codes = {r[0] for r in copy.execute("SELECT code FROM dossier")}
    finally:
        copy.close()
    assert codes == set(db.session.scalars(db.select(Dossier.code)))
    assert not target.with_name("backup.sqlite3.part").exists()


@pytest.mark.skipif(ON_POSTGRES, reason="the SQLite backup")
def test_backup_refuses_to_overwrite_the_database(app, runner):
    source = db.engine.url.database
    result = runner.invoke(args=["backup", "--output", source])
    assert result.exit_code != 0
    assert "không được là chính tệp cơ sở dữ liệu" in result.output


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL is backed up with pg_dump")
def test_backup_on_postgres_points_to_pg_dump(app, runner, tmp_path):
    result = runner.invoke(args=["backup", "--output", str(tmp_path / "x.sqlite3")])
    assert result.exit_code != 0
    assert "pg_dump" in result.output
    assert not (tmp_path / "x.sqlite3").exists()
