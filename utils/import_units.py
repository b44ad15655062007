"""The unit each row of a dossier or postal import belongs to (docs/formats.md, *The unit of
each row*).

An import may have a unit of its own (``--unit CODE`` on the command line; on the web, the
user's unit, or the unit a province-wide user picks): its rows belong to it. A file may carry a
``ma_don_vi`` column instead, which then names each row's unit (a blank cell: the import's
unit); with both, a row naming another unit than the import's is bad. On a deployment of
several units a file with neither is refused; with one unit, everything belongs to it and
nothing needs saying. A deactivated unit takes no import: as the import's unit it refuses the
file, named in a row it makes the row bad.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from extensions import db
from models import FIRST_UNIT_ID, Unit
from utils.import_formats import UNIT_COLUMN
from utils.tabular import CellError
from utils.errors import Refusal
from utils.units import inactive_refusal, several_units, taking_records, unit_scope

NO_UNIT = _l(
    "This deployment has several units: choose the unit the file's rows belong to (on the "
    "command line, --unit CODE), or give each row's unit in a ma_don_vi column."
)
BLANK = _l("Give the row's unit code: no unit was chosen for this import.")
UNKNOWN = _l("Unknown unit code: %(code)s")
INACTIVE_ROW = _l("Unit %(code)s is deactivated: it takes no imports.")
NOT_THIS = _l("Unit %(code)s is not the unit of this import (%(unit)s).")


def rows_units(report, bound, numbers, cells):
    """The unit id of each row, every bad one reported in ``report`` (in row order, with the
    problems already there).

    :param bound: the import's unit id, or ``None``.
    :param numbers: the rows' numbers.
    :param cells: the rows' ``ma_don_vi`` cells (``None`` at a row whose cell was bad), or
        ``None`` when the file has no such column.
    :return: one unit id for every row (an ``int``), or a list of ids row by row (``None`` at a
        bad row); ``None`` when the file is refused (several units, no unit at all; the
        import's unit deactivated).
    """
    if bound is not None and (refusal := inactive_refusal(bound)) is not None:
        # Whoever calls: the web and the command line refuse it before reading the file.
        report.bad(1, "", CellError(refusal.text, **refusal.params))
        return None
    if cells is None:
        if bound is not None:
            return bound
        if not several_units():
            return FIRST_UNIT_ID
        report.bad(1, "", CellError(NO_UNIT))
        return None
    resolve = _resolver(bound)
    resolved = {cell: resolve(cell) for cell in set(cells) - {None}}  # once per distinct code
    units = [None if cell is None else resolved[cell] for cell in cells]
    if any(isinstance(value, CellError) for value in resolved.values()):
        for i, (number, value) in enumerate(zip(numbers, units)):
            if isinstance(value, CellError):
                report.bad(number, UNIT_COLUMN.name, value)
                units[i] = None
        report.problems.sort(key=lambda p: p.row)  # in file order, as they were found
    return units


def _resolver(bound):
    """``resolve(cell)``: the unit id a ``ma_don_vi`` cell names, or the ``CellError`` it is
    reported with (see ``rows_units``)."""
    ids, inactive = {}, set()
    for code, unit_id, active in db.session.execute(select(Unit.code, Unit.id, Unit.active)):
        ids[code] = unit_id
        if not active:
            inactive.add(unit_id)
    folded = {}
    for code, unit_id in ids.items():  # a code written in other case, when it names one unit
        folded[code.casefold()] = unit_id if code.casefold() not in folded else None
    bound_code = next((code for code, unit_id in ids.items() if unit_id == bound), None)
    default = bound if bound is not None or several_units() else FIRST_UNIT_ID

    def resolve(cell):
        if not cell:
            return default if default is not None else CellError(BLANK)
        unit_id = ids.get(cell) or folded.get(cell.casefold())
        if unit_id is None:
            return CellError(UNKNOWN, code=cell)
        if unit_id in inactive:
            return CellError(INACTIVE_ROW, code=cell)
        if bound is not None and unit_id != bound:
            return CellError(NOT_THIS, code=cell, unit=bound_code)
        return unit_id

    return resolve


def audited(bound):
    """What an import's audit event says of its unit: on a deployment of several units, the
    import's unit code when it has one (``{"unit": code}``); nothing otherwise."""
    if bound is None or not several_units():
        return {}
    return {"unit": db.session.execute(select(Unit.code).where(Unit.id == bound)).scalar_one()}


def export_units():
    """For an export of dossiers or shipments: on a deployment of several units, ``{unit id:
    code}`` for its last column, ``ma_don_vi`` (so the file imports back into each row's unit,
    changing nothing); ``None`` on a one-unit deployment, whose exports have no unit column."""
    if not several_units():
        return None
    return dict(db.session.execute(select(Unit.id, Unit.code)).all())


def with_unit_column(columns, units):
    """An export's ``columns``, with ``ma_don_vi`` last when ``units`` (``export_units``)."""
    return columns if units is None else (*columns, UNIT_COLUMN.name)


def page_unit(user, chosen):
    """The unit a web import is for: a unit-bound user's own, whatever the form says; for
    the others, on a deployment of several units, the unit picked (``chosen``, a unit id as
    posted: blank for the file's ``ma_don_vi`` column). A deactivated unit takes no import.

    :return: ``(unit id or None, error message or None)``."""
    scope = unit_scope(user)
    if scope is None and (not several_units() or not (chosen or "").strip()):
        return None, None
    if scope is None:
        chosen = chosen.strip()
        scope = int(chosen) if chosen.isdigit() and len(chosen) <= 9 else None
        if scope is None or db.session.get(Unit, scope) is None:
            return None, _l("There is no unit with that code.")
    try:
        return taking_records(scope), None
    except Refusal as refusal:
        return None, refusal.message
