"""Permissions are asked one way (docs/roles.md, *How it is enforced*): templates and modules ask
``utils.access.can`` and never compare roles themselves."""

import re
from pathlib import Path

import pytest

from models import Role, ROLES
from utils.access import PERMISSIONS, PROVINCE_WIDE_ONLY, can, department_scope, who_may

ROOT = Path(__file__).resolve().parent.parent
ROLE_WORDS = "|".join(ROLES)
# ``current_user.role == "admin"``, ``role in ("admin", "centre")``, ``role != 'department'``…
ROLE_TEST = re.compile(r"\.role\s*(?:==|!=|not\s+in\b|in\b)")
# …and any list of two or more role names, however it is used.
ROLE_LIST = re.compile(rf"""["']({ROLE_WORDS})["']\s*,\s*["']({ROLE_WORDS})["']""")


def test_no_template_holds_a_role_list():
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if ROLE_TEST.search(line) or ROLE_LIST.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []


# utils/access.py holds the table; auth/services.py keeps the rules about roles themselves (the
# last active administrator, a department for department staff), not who may do what.
MAY_COMPARE_ROLES = {"utils/access.py", "blueprints/auth/services.py"}


def test_no_module_compares_roles_by_hand():
    found = []
    paths = [ROOT / "app.py"] + [
        p for d in ("blueprints", "utils", "commands") for p in sorted((ROOT / d).rglob("*.py"))
    ]
    for path in paths:
        name = path.relative_to(ROOT).as_posix()
        if name in MAY_COMPARE_ROLES:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if ROLE_TEST.search(line) or ROLE_LIST.search(line):
                found.append(f"{name}:{number}: {line.strip()}")
    assert found == []


def test_every_action_names_known_roles():
    for action, roles in PERMISSIONS.items():
        assert roles and set(roles) <= set(Role), action
    assert set(who_may(None)) == set(ROLES)


class _User:
    is_authenticated = True

    def __init__(self, role, department_id=None, province_wide=False):
        self.role, self.department_id = role, department_id
        self.province_wide = province_wide


class _Anonymous:
    is_authenticated = False


class _Record:
    def __init__(self, department_id):
        self.department_id = department_id


@pytest.mark.parametrize("action", sorted(PERMISSIONS))
def test_department_staff_act_on_their_own_department_only(action):
    own, other = _Record(1), _Record(2)
    staff = _User(Role.DEPARTMENT, 1)
    allowed = Role.DEPARTMENT in PERMISSIONS[action]
    assert can(staff, action) is allowed
    assert can(staff, action, own) is allowed
    assert can(staff, action, other) is False
    assert can(staff, action, 1) is allowed and can(staff, action, 2) is False
    for role in (Role.ADMIN, Role.CENTRE, Role.LEADER):
        province = _User(role, province_wide=True)
        assert can(province, action, other) is (role in PERMISSIONS[action])
    assert can(_Anonymous(), action) is False


@pytest.mark.parametrize("action", sorted(PROVINCE_WIDE_ONLY))
def test_some_actions_are_for_province_wide_users_only(action):
    for role in PERMISSIONS[action]:
        assert can(_User(role, province_wide=True), action)
        assert not can(_User(role, province_wide=False), action)


def test_department_scope():
    assert department_scope(_User(Role.DEPARTMENT, 7)) == 7
    for role in (Role.ADMIN, Role.CENTRE, Role.LEADER):
        assert department_scope(_User(role, 7)) is None
    assert department_scope(_Anonymous()) is None
