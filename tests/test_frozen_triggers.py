"""The migrations that create the reconciliation's and the shipment counts' triggers, and the
procedures' guard, use frozen copies of them (``migrations/frozen``), never the application's
modules, which move on: an old migration does today what it did when it was written. So does
the units migration (0012) with the canonical level of a procedure's free-text level and the
folded unit name (``units_0012``: the same as today's functions on the levels the tests use).
The application's triggers (``utils.reconcile``, ``utils.shipment_tally``, ``utils.triggers``:
what ``create_all`` and ``flask tally rebuild`` use) are the latest migration's until a new
migration replaces them."""

import re
from pathlib import Path

import pytest

from migrations.frozen import procedure_guard_0016, reconcile_0018, shipment_tally_0018, units_0012
from tests.test_units import LEVEL_TEXTS
from utils import reconcile, shipment_tally, text, triggers, units

VERSIONS = Path(__file__).resolve().parent.parent / "migrations" / "versions"


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_the_applications_triggers_are_the_latest_migrations(dialect):
    assert reconcile.trigger_ddl(dialect) == reconcile_0018.trigger_ddl(dialect)
    assert shipment_tally.trigger_ddl(dialect) == shipment_tally_0018.trigger_ddl(dialect)
    assert reconcile._fill_sql() == reconcile_0018._fill_sql()
    assert shipment_tally._count_sql(dialect) == shipment_tally_0018._count_sql(dialect)


def test_the_applications_procedure_guard_is_the_latest_migrations():
    assert triggers.PROCEDURE_GUARD == procedure_guard_0016.PROCEDURE_GUARD
    assert triggers.procedure_guard_ddl() == procedure_guard_0016.procedure_guard_ddl()


@pytest.mark.parametrize("level_text, level", LEVEL_TEXTS)
def test_the_units_migrations_frozen_level_is_todays(level_text, level):
    assert units_0012.procedure_level_from_text(level_text) == level
    assert units.procedure_level_from_text(level_text) == level
    name = f"Trung tâm Phục vụ hành chính công {level_text}  Đông Hải"
    assert units_0012.fold(name) == text.fold(name)


def test_no_migration_imports_the_application():
    """Neither the trigger modules nor any other: a migration reads only its frozen copies."""
    used = {
        path.name
        for path in VERSIONS.glob("*.py")
        if re.search(r"^\s*(from|import) (utils|models|blueprints)\b", path.read_text(), re.M)
    }
    assert used == set()
