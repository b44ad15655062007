"""Units (docs/units.md): creating them, binding users, the canonical level of a procedure and
which procedures a unit handles."""

import json

import pytest
from sqlalchemy import select

from extensions import db
from models import FIRST_UNIT_ID, AuditEvent, OrgSettings, Procedure, Unit, UnitProcedure, User
from tests import factories as f
from utils import units
from utils.errors import Refusal


def test_a_deployment_starts_with_one_unit(app):
    only = db.session.scalars(select(Unit)).all()
    assert [(u.id, u.code) for u in only] == [(FIRST_UNIT_ID, "DV01")]
    assert not units.several_units()


# Free-text levels and the canonical level each names (also the frozen copy's, of migration
# 0012: tests/test_frozen_triggers.py).
LEVEL_TEXTS = [
    ("Cấp tỉnh", "tinh"),
    ("Cấp xã", "xa"),
    ("Cấp huyện", "xa"),
    ("cấp Phường", "xa"),
    ("Cấp tỉnh, Cấp xã", "ca_hai"),
    ("", "ca_hai"),
    ("Trung ương", "ca_hai"),
]


@pytest.mark.parametrize("text, level", LEVEL_TEXTS)
def test_the_canonical_level_is_read_from_the_free_text_level(text, level):
    assert units.procedure_level_from_text(text) == level


def test_creating_the_second_unit_binds_the_unbound_users_to_the_first(app):
    centre, leader = f.user("centre"), f.user("leader")
    staff = f.user("department")
    province = f.user("admin", province_wide=True)
    unit = units.create_unit("XA-02", "Trung tâm xã Hòa An", "xa", user=province)
    db.session.flush()
    assert units.several_units()
    assert (centre.unit_id, leader.unit_id) == (FIRST_UNIT_ID, FIRST_UNIT_ID)
    assert staff.unit_id is None and province.unit_id is None
    bound = db.session.scalars(
        select(AuditEvent.object_id).where(AuditEvent.action == "user_bound_to_unit")
    ).all()
    assert sorted(bound) == sorted([str(centre.id), str(leader.id)])
    # the new unit has its own settings, with its own name
    settings = db.session.scalar(select(OrgSettings).where(OrgSettings.unit_id == unit.id))
    assert settings.unit_name == "Trung tâm xã Hòa An"
    # a third unit binds nobody
    units.create_unit("XA-03", "Trung tâm xã Hòa Bình", "xa", user=province)
    assert (
        db.session.scalar(
            select(AuditEvent.id).where(AuditEvent.action == "user_bound_to_unit").offset(2)
        )
        is None
    )


def test_who_sees_which_unit(app):
    units.create_unit("XA-02", "Trung tâm xã Hòa An", "xa")
    second = db.session.scalar(select(Unit).where(Unit.code == "XA-02"))
    assert units.unit_scope(f.user("centre", unit_id=second.id)) == second.id
    assert units.unit_scope(f.user("leader", province_wide=True)) is None
    assert units.unit_scope(f.user("department")) is None


@pytest.mark.parametrize(
    "code, name, level, kind",
    [
        ("", "Tên", "xa", "trung_tam"),
        ("có dấu", "Tên", "xa", "trung_tam"),
        ("A" * 21, "Tên", "xa", "trung_tam"),
        ("DV01", "Tên", "xa", "trung_tam"),  # taken by the first unit
        ("XA-09", "", "xa", "trung_tam"),
        ("XA-09", "x" * 201, "xa", "trung_tam"),
        ("XA-09", "Tên", "huyen", "trung_tam"),
        ("XA-09", "Tên", "xa", "van_phong"),
    ],
)
def test_a_bad_unit_is_refused(app, code, name, level, kind):
    with pytest.raises(Refusal):
        units.create_unit(code, name, level, kind)
    assert db.session.scalar(select(Unit.id).where(Unit.code == "XA-09")) is None


def test_a_unit_handles_its_level_with_its_additions_and_removals(app):
    f.procedure(code="1.000001", unit_level="xa")
    province = f.procedure(code="1.000002", unit_level="tinh")
    f.procedure(code="1.000003", unit_level="ca_hai")
    removed = f.procedure(code="1.000004", unit_level="xa")
    unit = units.create_unit("XA-02", "Trung tâm xã Hòa An", "xa")
    centre = units.create_unit("TINH", "Trung tâm tỉnh", "tinh")
    db.session.add_all(
        [
            UnitProcedure(unit_id=unit.id, procedure_id=province.id, handled=True),
            UnitProcedure(unit_id=unit.id, procedure_id=removed.id, handled=False),
        ]
    )
    db.session.flush()

    def handled(u):
        return set(db.session.scalars(select(Procedure.code).where(units.handled_by(u))))

    assert handled(unit) == {"1.000001", "1.000002", "1.000003"}
    assert handled(centre) == {"1.000002", "1.000003"}


def test_users_and_units_on_the_command_line(runner):
    r = runner.invoke(args=["units", "create", "XA-02", "Trung tâm xã Hòa An", "--level", "xa"])
    assert r.exit_code == 0, r.output
    assert "XA-02" in r.output
    listed = json.loads(runner.invoke(args=["units", "list"]).output)
    assert [u["code"] for u in listed] == ["DV01", "XA-02"]
    common = ["--password", "mat-khau-dai-10"]
    r = runner.invoke(args=["users", "create", "nv1", "--role", "centre", *common])
    assert r.exit_code != 0 and "đơn vị" in r.output  # several units: --unit or --province
    r = runner.invoke(
        args=["users", "create", "nv1", "--role", "centre", "--unit", "XA-02", *common]
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(args=["users", "create", "ld1", "--role", "leader", "--province", *common])
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        args=["users", "create", "nv2", "--role", "centre", "--unit", "KHONG-CO", *common]
    )
    assert r.exit_code != 0 and "Không có đơn vị" in r.output
    made = {u.username: (u.unit_id, u.province_wide) for u in db.session.scalars(select(User))}
    second = db.session.scalar(select(Unit.id).where(Unit.code == "XA-02"))
    assert made["nv1"] == (second, False) and made["ld1"] == (None, True)
    assert "nv2" not in made


def test_units_edit_deactivate_and_activate_on_the_command_line(runner):
    """``units edit|deactivate|activate`` change a unit as the Units screen does, audited; a
    refusal (unknown code, bad name, the last active unit) changes nothing."""
    assert (
        runner.invoke(args=["units", "create", "XA-02", "Xã Hai", "--level", "xa"]).exit_code == 0
    )
    r = runner.invoke(args=["units", "edit", "XA-02", "--name", "Phường Hai", "--kind", "diem"])
    assert r.exit_code == 0 and "XA-02" in r.output, r.output
    unit = db.session.scalars(select(Unit).where(Unit.code == "XA-02")).one()
    assert (unit.name, unit.level, unit.kind) == ("Phường Hai", "xa", "diem")
    r = runner.invoke(args=["units", "deactivate", "XA-02"])
    assert r.exit_code == 0 and "ngừng hoạt động" in r.output, r.output
    db.session.refresh(unit)
    assert not unit.active
    r = runner.invoke(args=["units", "deactivate", "DV01"])  # the last active unit
    assert r.exit_code != 0
    assert runner.invoke(args=["units", "activate", "XA-02"]).exit_code == 0
    db.session.refresh(unit)
    assert unit.active
    for args in (["edit", "KHONG-CO", "--name", "X"], ["edit", "XA-02", "--name", " "]):
        assert runner.invoke(args=["units", *args]).exit_code != 0, args
    events = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_type == "unit", AuditEvent.object_id == str(unit.id)
        )
    ).all()
    assert [e.action for e in events] == [
        "unit_create",
        "unit_update",
        "unit_deactivate",
        "unit_activate",
    ]
    assert events[1].new_values == {"unit_name": "Phường Hai", "kind": "diem"}
