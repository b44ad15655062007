"""``tools/run_tests.py`` (behind ``make test``): a PostgreSQL server that cannot be started fails
the run instead of leaving it green on SQLite alone."""

import importlib.util
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def runner(monkeypatch):
    spec = importlib.util.spec_from_file_location("run_tests", ROOT / "tools" / "run_tests.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    ran = []
    monkeypatch.setattr(
        module, "pytest", lambda args, env_extra=None, label="": ran.append(label) or 0
    )
    monkeypatch.setattr(module.subprocess, "run", _no_compile(module.subprocess.run))
    module.ran = ran
    return module


def _no_compile(run):
    def fake(command, *args, **kwargs):
        if any(str(part).endswith("i18n.py") for part in command):
            return None
        return run(command, *args, **kwargs)

    return fake


def test_missing_server_fails_the_run(runner, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(runner, "PG_BIN", tmp_path / "no-postgresql")
    monkeypatch.setenv("TEST_DATABASES", "sqlite,postgres")
    assert runner.main([]) != 0
    assert runner.ran == ["SQLite"]
    assert "make setup" in capsys.readouterr().out


def test_server_that_does_not_start_fails_the_run(runner, monkeypatch, capsys):
    # Tools that fail as a broken install would, in a folder the postgres user can read too
    # (the runner runs them as that user when it runs as root).
    with tempfile.TemporaryDirectory() as tmp:
        bin_dir = Path(tmp)
        bin_dir.chmod(0o755)
        for tool in ("initdb", "pg_ctl"):
            path = bin_dir / tool
            path.write_text("#!/bin/sh\necho cannot start >&2\nexit 7\n")
            path.chmod(0o755)
        monkeypatch.setattr(runner, "PG_BIN", bin_dir)
        monkeypatch.setenv("TEST_DATABASES", "postgres")
        assert runner.main([]) != 0
    assert runner.ran == []
    out = capsys.readouterr().out
    assert "could not be started" in out and "initdb" in out and "exit status 7" in out


def test_sqlite_only_needs_no_server(runner, monkeypatch, tmp_path):
    monkeypatch.setattr(runner, "PG_BIN", tmp_path / "no-postgresql")
    monkeypatch.setenv("TEST_DATABASES", "sqlite")
    assert runner.main([]) == 0
    assert runner.ran == ["SQLite"]
