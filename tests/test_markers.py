"""The suite's markers: a test that opens a database of its own (the migration tests) runs on
PostgreSQL too. It uses no database fixture, so ``conftest`` skips it there unless it is marked
``own_database``; without this check a lost marker would skip it silently."""

import ast
from pathlib import Path

import pytest

from tests import conftest

TESTS = Path(__file__).resolve().parent
# What a test that opens its own database reads (the test database's address) or calls (the
# migrations, in process).
ADDRESS = "TEST_DATABASE_URL"
MIGRATIONS = ("upgrade", "downgrade")


def _marks(node):
    """The names of the ``pytest.mark.NAME`` in a decorator or a ``pytestmark`` value."""
    found = []
    for part in node.elts if isinstance(node, ast.List | ast.Tuple) else [node]:
        mark = part.func if isinstance(part, ast.Call) else part
        if isinstance(mark, ast.Attribute) and ast.unparse(mark.value) == "pytest.mark":
            found.append(mark.attr)
    return found


def _opens_its_own_database(function, functions, seen=()):
    """Whether ``function`` (or a function of its module it calls) reads the test database's
    address itself or runs the migrations in process."""
    for node in ast.walk(function):
        if isinstance(node, ast.Constant) and node.value == ADDRESS:
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.func.id
            if name in MIGRATIONS:
                return True
            if name in functions and name not in seen:
                if _opens_its_own_database(functions[name], functions, (*seen, name)):
                    return True
    return False


class _Item:
    """What ``pytest_collection_modifyitems`` reads of a collected test."""

    def __init__(self, nodeid, fixturenames, marks):
        self.nodeid, self.fixturenames, self.marks = nodeid, fixturenames, set(marks)

    def get_closest_marker(self, name):
        return getattr(pytest.mark, name).mark if name in self.marks else None

    def add_marker(self, mark):
        self.marks.add(mark.name)


def own_database_tests():
    """An item for each test of the suite that opens its own database."""
    items = []
    for path in sorted(TESTS.glob("test_*.py")):
        module = ast.parse(path.read_text(encoding="utf-8"))
        functions = {n.name: n for n in module.body if isinstance(n, ast.FunctionDef)}
        module_marks = [
            mark
            for n in module.body
            if isinstance(n, ast.Assign)
            and any(getattr(t, "id", "") == "pytestmark" for t in n.targets)
            for mark in _marks(n.value)
        ]
        for name, function in functions.items():
            if name.startswith("test_") and _opens_its_own_database(function, functions):
                marks = module_marks + [m for d in function.decorator_list for m in _marks(d)]
                params = [a.arg for a in function.args.args]
                items.append(_Item(f"tests/{path.name}::{name}", params, marks))
    return items


def test_the_tests_that_open_their_own_database_run_on_postgresql(monkeypatch):
    items = own_database_tests()
    assert {
        "tests/test_schema.py::test_migrations_from_empty_to_head_match_the_models",
        "tests/test_migration_units.py::"
        "test_a_one_unit_database_upgrades_with_every_row_figure_and_brief_unchanged",
    } <= {i.nodeid for i in items}
    monkeypatch.setattr(conftest, "ON_POSTGRES", True)
    conftest.pytest_collection_modifyitems(None, items)
    skipped = [i.nodeid for i in items if "skip" in i.marks]
    assert skipped == [], f"mark them own_database: {skipped}"
