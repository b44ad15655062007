"""Queries behind the published list of postal procedures (read-only; catalogue data only)."""

from dataclasses import dataclass

from flask import abort
from sqlalchemy import or_, select

from extensions import db
from models import FIRST_UNIT_ID, Department, Field, Procedure, Unit
from utils.units import find_unit, handled_by, several_units, unit_scope

# The portal's columns: those of the procedures interchange file (docs/formats.md).
COLUMNS = (
    "ma_tthc",
    "ten_tthc",
    "linh_vuc",
    "don_vi",
    "ten_don_vi",
    "cap_thuc_hien",
    "tiep_nhan_bcci",
    "tra_ket_qua_bcci",
)


@dataclass(frozen=True)
class ListedProcedure:
    code: str
    name: str
    field: str
    department_code: str
    department_name: str
    level: str
    receive: bool
    ret: bool

    def as_row(self):
        return (
            self.code,
            self.name,
            self.field,
            self.department_code,
            self.department_name,
            self.level,
            self.receive,
            self.ret,
        )

    def as_json(self):
        return dict(zip(COLUMNS, self.as_row()))


def postal_procedures(unit=None):
    """Procedures in force that can be received and/or returned by post, ordered by field, code;
    with ``unit``, those it handles (``utils.units.handled_by``)."""
    query = (
        select(
            Procedure.code,
            Procedure.name,
            Field.name,
            Department.code,
            Department.name,
            Procedure.level,
            Procedure.eligible_receive,
            Procedure.eligible_return,
        )
        .join(Field, Field.id == Procedure.field_id)
        .join(Department, Department.id == Procedure.department_id)
        .where(
            Procedure.in_force.is_(True),
            or_(Procedure.eligible_receive.is_(True), Procedure.eligible_return.is_(True)),
        )
        .order_by(Field.name_folded, Field.name, Procedure.code)
    )
    if unit is not None:
        query = query.where(handled_by(unit))
    return [ListedProcedure(*row) for row in db.session.execute(query)]


def listed_unit(code, user=None):
    """The unit whose list a request asks for, or ``None`` on a one-unit deployment (the list
    is the catalogue's, as before units): a unit-bound user's own unit; else the unit with
    ``code`` (``?unit=CODE``; it must be active), the first unit without one.

    :raise NotFound: an unknown or inactive code, or another unit's for a unit-bound user.
    """
    if not several_units():
        return None
    scope = unit_scope(user) if user is not None and user.is_authenticated else None
    if scope is not None:
        unit = db.session.get(Unit, scope)
        if code and code != unit.code:
            abort(404)
        return unit
    if not code:
        return db.session.get(Unit, FIRST_UNIT_ID)
    unit = find_unit(code)
    if unit is None or not unit.active:
        abort(404)
    return unit


def roman(n):
    """1 → I, 4 → IV, 14 → XIV: the numbering of sections in administrative documents."""
    out = []
    for value, letters in (
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ):
        count, n = divmod(n, value)
        out.append(letters * count)
    return "".join(out)


def by_field(procedures):
    """``[(roman numeral, field name, [procedures])]`` keeping the query's order."""
    groups = []
    for procedure in procedures:
        if not groups or groups[-1][1] != procedure.field:
            groups.append((roman(len(groups) + 1), procedure.field, []))
        groups[-1][2].append(procedure)
    return groups
