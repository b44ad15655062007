"""The migrations that create the reconciliation's and the shipment counts' triggers, and the
procedures' guard, use frozen copies of them (``migrations/frozen``), never the application's
modules, which move on: an old migration does today what it did when it was written. The
application's triggers (``utils.reconcile``, ``utils.shipment_tally``, ``utils.triggers``: what
``create_all`` and ``flask tally rebuild`` use) are the latest migration's until a new migration
replaces them."""

import re
from pathlib import Path

import pytest

from migrations.frozen import procedure_guard_0016, reconcile_0018, shipment_tally_0018
from utils import reconcile, shipment_tally, triggers

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


def test_no_migration_imports_the_applications_trigger_modules():
    used = {
        path.name
        for path in VERSIONS.glob("*.py")
        if re.search(
            r"from utils import .*\b(reconcile|shipment_tally|triggers)\b", path.read_text()
        )
        or re.search(r"utils\.(reconcile|shipment_tally|triggers)\b", path.read_text())
    }
    assert used == set()
