"""Units (đơn vị): which unit a user sees, which procedures a unit handles, and creating units.

A deployment starts with one unit (``models.FIRST_UNIT_ID``) and shows no unit anywhere while it
has only that one. Every dossier, shipment, hand-over record, meeting and brief belongs to a unit.

Who sees which unit (docs/units.md):

- a user bound to a unit (``User.unit_id``) sees and changes only that unit's records;
- department staff and province-wide users (``User.province_wide``) see every unit;
- on a one-unit deployment nobody needs a unit: an unbound user sees the only unit. Creating the
  second unit binds every unbound user who is neither department staff nor province-wide to the
  first unit, and from then on ``users create`` asks for ``--unit`` or ``--province``; so an
  unbound, not province-wide user other than department staff exists only while there is one
  unit.

Which procedures a unit handles: those of its level (a procedure's ``unit_level`` is ``tinh``,
``xa`` or ``ca_hai``, both), plus the additions and minus the removals recorded for it
(``UnitProcedure``).
"""

import re

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, not_, or_, select, update

from extensions import db
from models import (
    FIRST_UNIT_ID,
    UNIT_KINDS,
    UNIT_LEVELS,
    OrgSettings,
    Procedure,
    ProcedureLevel,
    Unit,
    UnitProcedure,
    User,
)
from utils import audit
from utils.access import can, who_may
from utils.errors import Refusal
from utils.text import fold, nfc

UNIT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$")
UNIT_NAME_MAX = 200

# Words of a procedure's free-text level (folded: lower case, no diacritics) that name a tier.
_PROVINCE_WORDS = re.compile(r"\btinh\b")
_LOCAL_WORDS = re.compile(r"\b(xa|phuong|thi tran|dac khu|huyen|quan|thi xa)\b")

UNIT_RULES = {
    "invalid_code": (
        "code",
        _l(
            "A unit code has 1 to 20 letters, digits, '.', '_' or '-', starting with a letter or digit."
        ),
    ),
    "code_taken": ("code", _l("That unit code is taken.")),
    "name_required": ("name", _l("Give the unit's name (at most 200 characters).")),
    "invalid_level": ("level", _l("Choose the unit's level: province (tinh) or commune (xa).")),
    "invalid_kind": ("kind", _l("Choose what the unit is: a centre, a branch or a service point.")),
    "unknown_unit": ("unit", _l("There is no unit with that code.")),
    "unit_required": (
        "unit",
        _l(
            "This deployment has several units: bind the user to a unit or make them province-wide."
        ),
    ),
}


def refusal(rule):
    field, message = UNIT_RULES[rule]
    return Refusal(message, field)


def procedure_level_from_text(text):
    """The canonical level (``ProcedureLevel``) a procedure's free-text level names: ``tinh``
    when it names only the province, ``xa`` when only a local tier (commune, ward, special zone,
    or a former district), both otherwise (named both, or neither: every unit keeps it until
    the province decides)."""
    folded = fold(text or "")
    province = bool(_PROVINCE_WORDS.search(folded))
    local = bool(_LOCAL_WORDS.search(folded))
    if province and not local:
        return ProcedureLevel.PROVINCE.value
    if local and not province:
        return ProcedureLevel.COMMUNE.value
    return ProcedureLevel.BOTH.value


def handled_by(unit):
    """The SQL condition "``unit`` handles the procedure" on ``Procedure`` rows: its level's
    procedures, plus the unit's additions, minus its removals."""
    mine = (unit.level, ProcedureLevel.BOTH.value)
    exception = UnitProcedure.unit_id == unit.id, UnitProcedure.procedure_id == Procedure.id
    return or_(
        and_(
            Procedure.unit_level.in_(mine),
            not_(exists().where(*exception, UnitProcedure.handled.is_(False))),
        ),
        exists().where(*exception, UnitProcedure.handled.is_(True)),
    )


def unit_scope(user):
    """The unit id ``user``'s lists, totals and changes are limited to, or ``None`` for every
    unit (department staff, province-wide users, anyone on a one-unit deployment)."""
    if user.province_wide or can(user, "every_unit"):
        return None
    return user.unit_id


def unit_count():
    """How many units the deployment has (once per request)."""
    if has_request_context() and "unit_count" in g:
        return g.unit_count
    count = db.session.execute(select(func.count()).select_from(Unit)).scalar_one()
    if has_request_context():
        g.unit_count = count
    return count


def several_units():
    """Whether units appear at all (a one-unit deployment shows none)."""
    return unit_count() > 1


def unit_by_code(code):
    """The unit with ``code``; :raise Refusal: none has it."""
    unit = db.session.execute(select(Unit).where(Unit.code == (code or "").strip())).scalar()
    if unit is None:
        raise refusal("unknown_unit")
    return unit


def create_unit(code, name, level, kind="trung_tam", user=None):
    """Create a unit with its organisation settings (the first unit's, renamed).

    Creating the second unit binds every user who is bound to none, and is neither department
    staff nor province-wide, to the first unit: nobody starts seeing every unit because a unit
    was added.

    :raise Refusal: bad code, code taken, no name, unknown level or kind.
    """
    code = nfc(code or "").strip()
    name = nfc(name or "").strip()
    if not UNIT_CODE.match(code):
        raise refusal("invalid_code")
    if not name or len(name) > UNIT_NAME_MAX:
        raise refusal("name_required")
    if level not in UNIT_LEVELS:
        raise refusal("invalid_level")
    if kind not in UNIT_KINDS:
        raise refusal("invalid_kind")
    if db.session.execute(select(Unit.id).where(Unit.code == code)).first():
        raise refusal("code_taken")
    first_alone = unit_count() == 1
    unit = Unit(code=code, name=name, name_folded=fold(name), level=level, kind=kind)
    db.session.add(unit)
    db.session.flush()
    # A unit's settings row has the unit's id (the first unit's is id 1, as before units).
    db.session.add(OrgSettings(id=unit.id, unit_id=unit.id, **_settings_like_first(name)))
    if first_alone:
        _bind_unbound_users(user)
    if has_request_context():
        g.pop("unit_count", None)
    audit.record(
        "unit_create",
        "unit",
        unit.id,
        new={"code": code, "unit_name": name, "unit_level": level, "kind": kind},
        user=user,
    )
    return unit


def _bind_unbound_users(actor):
    """Bind every user bound to no unit, other than department staff and province-wide users,
    to the first unit (when the second unit is created), each change audited."""
    bound = (
        db.session.execute(
            update(User)
            .where(
                User.unit_id.is_(None),
                User.province_wide.is_(False),
                User.role.notin_(who_may("every_unit")),
            )
            .values(unit_id=FIRST_UNIT_ID)
            .returning(User.id),
            execution_options={"synchronize_session": False},
        )
        .scalars()
        .all()
    )
    for loaded in list(db.session.identity_map.values()):  # users already read
        if isinstance(loaded, User) and loaded.id in bound:
            db.session.expire(loaded, ["unit_id"])
    if bound:
        first_code = db.session.get(Unit, FIRST_UNIT_ID).code
        audit.record_many(
            "user_bound_to_unit",
            "user",
            [(user_id, {"unit": None}, {"unit": first_code}) for user_id in bound],
            user=actor,
        )


def _settings_like_first(name):
    """A new unit's settings: the first unit's parent agency, place and rules, its own name."""
    first = db.session.execute(
        select(OrgSettings).where(OrgSettings.unit_id == FIRST_UNIT_ID)
    ).scalar()
    copied = ("parent_agency", "place_name", "retention_months")
    values = {key: getattr(first, key) for key in copied} if first is not None else {}
    return {**values, "unit_name": name}


def user_unit(unit_code, province_wide, role):
    """The unit id a new user is bound to (``None``: none) from ``users create``'s
    ``--unit`` and ``--province``.

    :raise Refusal: unknown unit code; neither given on a deployment of several units (for a
        role other than department staff, who see every unit).
    """
    if unit_code:
        return unit_by_code(unit_code).id
    if province_wide or role in who_may("every_unit") or not several_units():
        return None
    raise refusal("unit_required")
