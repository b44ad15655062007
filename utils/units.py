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

from flask import abort, g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, insert, not_, or_, select, true, update
from sqlalchemy.orm import aliased

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

    def exceptions(handled):
        # Not correlated to the procedure: the database reads the unit's few exceptions once
        # per statement (a hashed subquery) instead of looking them up for each procedure.
        return select(UnitProcedure.procedure_id).where(
            UnitProcedure.unit_id == unit.id, UnitProcedure.handled.is_(handled)
        )

    return or_(
        and_(Procedure.unit_level.in_(mine), Procedure.id.not_in(exceptions(False))),
        Procedure.id.in_(exceptions(True)),
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


def find_unit(code):
    """The unit with ``code`` (trimmed), or ``None``."""
    return db.session.execute(select(Unit).where(Unit.code == (code or "").strip())).scalar()


def unit_by_code(code):
    """The unit with ``code``; :raise Refusal: none has it."""
    unit = find_unit(code)
    if unit is None:
        raise refusal("unknown_unit")
    return unit


def unit_or_404(code):
    """The unit with ``code`` that a page's ``unit=CODE`` names (``find_unit``).

    :raise NotFound: (404, saying there is no such unit) none has it.
    """
    unit = find_unit(code)
    if unit is None:
        abort(404, description=str(refusal("unknown_unit")))
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
    _check_unit(name, level, kind)
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


def current_scope():
    """The unit the logged-in user is limited to (``unit_scope``), or ``None``: every unit,
    or nobody logged in (a command, a test's service call)."""
    from flask_login import current_user

    if not has_request_context() or not getattr(current_user, "is_authenticated", False):
        return None
    return unit_scope(current_user)


def new_record_unit(user=None, picked=None):
    """The unit a new record belongs to: ``user``'s (the logged-in user's by default); for a
    user bound to none (a province-wide user, department staff, a command), the unit ``picked``
    on the form (a unit id, ``picker_units``), else the first unit."""
    if user is None and has_request_context():
        from flask_login import current_user

        user = current_user if getattr(current_user, "is_authenticated", False) else None
    return getattr(user, "unit_id", None) or picked or FIRST_UNIT_ID


INACTIVE = _l("Unit %(code)s is deactivated: it takes no new records and no imports.")


def inactive_refusal(unit_id, field="unit"):
    """The ``Refusal`` (422, on the form's ``field``: its unit by default) of a new record or
    import of a deactivated unit, or ``None`` when the unit is active."""
    unit = db.session.get(Unit, unit_id)
    return (
        Refusal(INACTIVE, field, code=unit.code) if unit is not None and not unit.active else None
    )


def taking_records(unit_id, field="unit"):
    """``unit_id`` when its unit is active: a deactivated unit keeps its records but takes no
    new record (meeting, hand-over record, dossier or shipment logged at the counter, brief)
    and no import. ``field``: the form's field the refusal is shown on.

    :raise Refusal: (``inactive_refusal``) a deactivated unit.
    """
    refusal = inactive_refusal(unit_id, field)
    if refusal is not None:
        raise refusal
    return unit_id


def picker_units(user, every=False):
    """The units a unit picker offers ``user`` (a web import's, a new record's, the settings',
    the published list's; with ``every`` the dashboard's, whose figures a deactivated unit
    keeps): the active ones (``every``: all), by code; ``None`` when he gets no picker: a
    unit-bound user (whose records and imports are his unit's, whatever a form sends), or a
    one-unit deployment."""
    if unit_scope(user) is not None or not several_units():
        return None
    return unit_list(active_only=not every)


def unit_condition(column, unit_id):
    """``column == unit_id`` as a list of conditions, or none when ``unit_id`` is ``None`` (a
    user who sees every unit: no unit filter at all, the one-unit deployment's SQL unchanged)."""
    return [] if unit_id is None else [column == unit_id]


def record_unit_condition(column, unit_id):
    """``column == unit_id`` (a record's own unit: a hand-over record's shipments) as a list of
    conditions, none on a one-unit deployment (every record is the one unit's: its SQL stays
    as it was)."""
    return [column == unit_id] if several_units() else []


# --- the Units screen (province-wide administrators) -------------------------------------------

# What a unit's events record (``audit``): its name and level under the keys the audit log reads.
UNIT_AUDITED = {"code": "code", "unit_name": "name", "unit_level": "level", "kind": "kind"}
# A unit's exception for one procedure, as its audit event records it.
HANDLING_ADDED, HANDLING_REMOVED, HANDLING_LEVEL = "added", "removed", "level"


def _unit_values(unit):
    return {key: getattr(unit, column) for key, column in UNIT_AUDITED.items()}


def _check_unit(name, level, kind):
    if not name or len(name) > UNIT_NAME_MAX:
        raise refusal("name_required")
    if level not in UNIT_LEVELS:
        raise refusal("invalid_level")
    if kind not in UNIT_KINDS:
        raise refusal("invalid_kind")


def update_unit(unit, name, level, kind, user=None):
    """Rename a unit, change its level or kind (its code stays: files and commands name it).

    :raise Refusal: no name, unknown level or kind.
    """
    name = nfc(name or "").strip()
    _check_unit(name, level, kind)
    old = _unit_values(unit)
    unit.name, unit.name_folded, unit.level, unit.kind = name, fold(name), level, kind
    old, new = audit.diff(old, _unit_values(unit))
    if new:
        audit.record("unit_update", "unit", unit.id, old, new, user=user)
    return unit


def set_unit_active(unit, active, user=None):
    """Deactivate a unit (it keeps its records; it is no longer offered for new users) or bring
    it back.

    :raise Refusal: deactivating the last active unit.
    """
    if unit.active == active:
        return
    if not active:
        others = select(func.count()).where(Unit.active.is_(True), Unit.id != unit.id)
        if not db.session.execute(others).scalar_one():
            raise Refusal(_l("The last active unit cannot be deactivated."), "active", status=409)
    unit.active = active
    audit.record_active("unit", unit.id, active, user=user)


def unit_list(active_only=False):
    """Every unit by code, or only the active ones (what pickers offer new work)."""
    query = select(Unit).order_by(Unit.code)
    if active_only:
        query = query.where(Unit.active.is_(True))
    return db.session.scalars(query).all()


def unit_rows():
    """Every unit, active first then by code, with how many users are bound to it and how many
    dossiers it holds: ``[(unit, users, dossiers)]`` (``dossiers_per_unit``)."""
    users = dict(
        db.session.execute(
            select(User.unit_id, func.count())
            .where(User.unit_id.is_not(None))
            .group_by(User.unit_id)
        ).all()
    )
    dossiers = dossiers_per_unit()
    rows = db.session.scalars(select(Unit).order_by(Unit.active.desc(), Unit.code)).all()
    return [(u, users.get(u.id, 0), dossiers.get(u.id, 0)) for u in rows]


def dossiers_per_unit():
    """``{unit_id: dossiers}``: how many dossiers each unit holds (units without any are left
    out), read from the kept counts instead of the dossiers: each unit's dossiers received, from
    its quarter tally (``utils.tally``, which counts every dossier on its receive date's
    quarter: a tenth of the dossier rows' index entries at a province's scale), and its dossiers
    without a receive date, which no tally holds (found through the index by receive date: a
    few, or none)."""
    from models import Dossier, DossierQuarterTally as tally

    out = {}
    received = select(tally.unit_id, func.sum(tally.received))
    undated = select(Dossier.unit_id, func.count()).where(Dossier.receive_date.is_(None))
    for query in (
        received.group_by(tally.unit_id),
        undated.group_by(Dossier.unit_id),
    ):
        for unit_id, n in db.session.execute(query):
            if n:
                out[unit_id] = out.get(unit_id, 0) + int(n)
    return out


def handled_count(unit):
    """How many procedures in force ``unit`` handles."""
    query = select(func.count()).where(Procedure.in_force.is_(True), handled_by(unit))
    return db.session.execute(query.select_from(Procedure)).scalar_one()


def exceptions(unit):
    """The unit's additions and removals: ``[(procedure, handled)]`` by procedure code."""
    return db.session.execute(
        select(Procedure, UnitProcedure.handled)
        .join(UnitProcedure, UnitProcedure.procedure_id == Procedure.id)
        .where(UnitProcedure.unit_id == unit.id)
        .order_by(Procedure.code)
    ).all()


def _level_gives(unit, procedure):
    return procedure.unit_level in (unit.level, ProcedureLevel.BOTH.value)


def _handling(row):
    if row is None:
        return HANDLING_LEVEL
    return HANDLING_ADDED if row.handled else HANDLING_REMOVED


def set_handling(unit, procedure_code, handled, user=None):
    """Make ``unit`` handle the procedure with code ``procedure_code`` (``handled`` true) or not
    (false), as an exception to its level when the level says otherwise; an exception the level
    makes needless is dropped. :return: the procedure.

    :raise Refusal: no procedure has that code.
    """
    procedure = db.session.execute(
        select(Procedure).where(Procedure.code == nfc(procedure_code or "").strip())
    ).scalar()
    if procedure is None:
        raise Refusal(_l("There is no procedure with that code."), "procedure")
    row = db.session.get(UnitProcedure, (unit.id, procedure.id))
    old = _handling(row)
    if handled == _level_gives(unit, procedure):
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(UnitProcedure(unit_id=unit.id, procedure_id=procedure.id, handled=handled))
    else:
        row.handled = handled
    db.session.flush()
    new = _handling(db.session.get(UnitProcedure, (unit.id, procedure.id)))
    if new != old:
        audit.record(
            "unit_procedure",
            "unit",
            unit.id,
            {"procedure": procedure.code, "handling": old},
            {"procedure": procedure.code, "handling": new},
            user=user,
        )
    return procedure


# --- the catalogue's canonical levels ---------------------------------------------------------


def check_procedure_level(value):
    """``value`` if it is a canonical level (``tinh``, ``xa``, ``ca_hai``).

    :raise Refusal: any other value.
    """
    from models import PROCEDURE_LEVELS

    if value not in PROCEDURE_LEVELS:
        raise Refusal(
            _l("Choose the level that carries the procedure out: province, commune or both."),
            "unit_level",
        )
    return value


def following_level(procedure, level_text):
    """The canonical level ``procedure`` takes when its free-text level becomes ``level_text``
    and nobody chose another: the text's, while its present one is its present text's;
    ``None`` when it was chosen by hand (it stays)."""
    if procedure.unit_level == procedure_level_from_text(procedure.level):
        return procedure_level_from_text(level_text)
    return None


def keep_every_procedure_for_a_lone_unit():
    """On a one-unit deployment the only unit handles every procedure, as before units: each
    procedure its level would not give it, and that has no exception of its own for it, is
    added for it. One statement, which adds nothing on a deployment of several units."""
    if has_request_context() and g.get("unit_count", 1) > 1:
        return
    every = aliased(Unit)
    first = Unit.id == FIRST_UNIT_ID
    own = UnitProcedure.unit_id == Unit.id, UnitProcedure.procedure_id == Procedure.id
    missing = (
        select(Unit.id, Procedure.id, true())
        .select_from(Procedure)
        .join(Unit, first)
        .where(
            select(func.count()).select_from(every).scalar_subquery() == 1,
            Procedure.unit_level != Unit.level,
            Procedure.unit_level != ProcedureLevel.BOTH.value,
            not_(exists().where(*own)),
        )
    )
    db.session.execute(
        insert(UnitProcedure).from_select(["unit_id", "procedure_id", "handled"], missing)
    )
