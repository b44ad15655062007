"""Rules and mutations of the procedure catalogue. Services add and flush; views commit.

Eligibility changes are optimistically locked: ``Procedure.version`` is SQLAlchemy's
``version_id_col``, so every UPDATE carries ``WHERE version = ?``; a form's version that is not the
stored one is refused (a 409 ``Refusal``) before anything is written.
"""

import hashlib
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from extensions import db
from models import Department, Field, Procedure, utcnow
from utils import audit, figures, import_formats, rules, units
from utils.access import can, department_scope
from utils.errors import Refusal
from utils.inputs import MAX_PAGE, arg_int
from utils.pages import numbered_page
from utils.tabular import CellError, ImportReport
from utils.transactions import ImportSteps
from utils.text import escape_like, fold, fold_key, nfc


# Why a procedure cannot go by post in a direction: the common reasons, then free text.
REASONS = (
    ("in_person", _l("The applicant must appear in person")),
    ("originals", _l("Originals must be checked")),
    ("result_in_person", _l("The result is handed over in person")),
    ("other", _l("Other")),
)
REASON_CODES = tuple(code for code, _ in REASONS)

# The attributes the audit trail follows, in the order the history shows them.
AUDITED = (
    "code",
    "name",
    "field_id",
    "department_id",
    "level",
    "in_force",
    "eligible_receive",
    "eligible_return",
    "reason_code",
    "reason_text",
)
ELIGIBILITY = ("eligible_receive", "eligible_return", "reason_code", "reason_text")

SORTS = {
    "code": (Procedure.code,),
    "name": (Procedure.name_folded, Procedure.code),
    "field": (Field.name_folded, Procedure.code),
    "department": (Department.code, Procedure.code),
}
PER_PAGE = (25, 50, 100)
DEFAULT_PER_PAGE = 50


class ReasonLabels(dict):
    """Reason code → translated label, translated once for a list of many procedures; like
    ``reason_label``, an unknown code reads as itself and no code as ''."""

    def __missing__(self, code):
        return code or ""


def reason_labels():
    """The reasons' labels in the current language, as a ``ReasonLabels`` mapping."""
    return ReasonLabels((code, str(label)) for code, label in REASONS)


def reason_label(code):
    """The translated label of a reason code ('' for none, the code itself when unknown)."""
    return str(dict(REASONS).get(code, code or ""))


def _forbidden():
    """The user may not change (one of) these procedures; nothing was changed (a 403)."""
    return Refusal(_l("You may not change this procedure."), status=403)


# --- Reading the catalogue -------------------------------------------------------------------


@dataclass
class Filters:
    """The list's query-string parameters, parsed leniently (an unknown value is ignored)."""

    q: str = ""
    field: int | None = None
    department: int | None = None
    receive: str = ""  # "yes" | "no" | ""
    ret: str = ""  # query parameter ``return``
    eligible: str = ""  # "yes" (either direction) | "no" (neither) | ""
    postal: str = ""  # "yes" | "no" | "": postal activity in the period
    dossiers: str = ""  # "yes" | "no" | "": dossiers received in the period
    in_force: str = "yes"  # "yes" | "no" | "all"
    sort: str = "code"
    desc: bool = False
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    all_departments: bool = False  # ``department=all``: chosen, not the default (department staff)
    # ``unit=CODE`` on a deployment of several units (a unit's figures link so): the procedures
    # that unit handles, with its activity only (``None``: the province's catalogue)
    unit: object = None

    @classmethod
    def from_args(cls, args):
        def choice(name, allowed, default=""):
            value = (args.get(name) or "").strip().lower()
            return value if value in allowed else default

        def number(name, default=None, minimum=1):
            return arg_int(args, name, default, minimum=minimum)

        per_page = number("per_page", DEFAULT_PER_PAGE)
        return cls(
            q=nfc(args.get("q") or "")[:200],
            field=number("field"),
            department=number("department"),
            receive=choice("receive", ("yes", "no")),
            ret=choice("return", ("yes", "no")),
            eligible=choice("eligible", ("yes", "no")),
            postal=choice("postal", ("yes", "no")),
            dossiers=choice("dossiers", ("yes", "no")),
            in_force=choice("in_force", ("yes", "no", "all"), "yes"),
            sort=choice("sort", tuple(SORTS), "code"),
            desc=choice("dir", ("asc", "desc"), "asc") == "desc",
            page=arg_int(args, "page", 1, maximum=MAX_PAGE),
            per_page=per_page if per_page in PER_PAGE else DEFAULT_PER_PAGE,
            all_departments=(args.get("department") or "").strip().lower() == "all",
            unit=_unit_arg(args),
        )

    def args(self, **changes):
        """The query-string parameters that reproduce these filters (defaults left out)."""
        values = {
            "q": self.q,
            "field": self.field or "",
            "department": self.department or ("all" if self.all_departments else ""),
            "receive": self.receive,
            "return": self.ret,
            "eligible": self.eligible,
            "postal": self.postal,
            "dossiers": self.dossiers,
            "in_force": "" if self.in_force == "yes" else self.in_force,
            "sort": "" if self.sort == "code" else self.sort,
            "dir": "desc" if self.desc else "",
            "page": "" if self.page == 1 else self.page,
            "per_page": "" if self.per_page == DEFAULT_PER_PAGE else self.per_page,
            "unit": self.unit.code if self.unit is not None else "",
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in ("", None)}


def _unit_arg(args):
    """The unit ``unit=CODE`` names, on a deployment of several units; else (no code, an unknown
    one, one unit) ``None``."""
    code = (args.get("unit") or "").strip()
    if not code or not units.several_units():
        return None
    return units.find_unit(code)


def _yes_no(column, value):
    return column.is_(True) if value == "yes" else column.is_(False)


def filter_conditions(filters, period):
    """The WHERE conditions of the list's filters (search included)."""
    conditions = []
    if filters.q:
        pattern = f"%{escape_like(fold(filters.q))}%"
        conditions.append(
            or_(
                Procedure.name_folded.like(pattern, escape="\\"),
                func.lower(Procedure.code).like(pattern, escape="\\"),
            )
        )
    if filters.field:
        conditions.append(Procedure.field_id == filters.field)
    if filters.department:
        conditions.append(Procedure.department_id == filters.department)
    if filters.receive:
        conditions.append(_yes_no(Procedure.eligible_receive, filters.receive))
    if filters.ret:
        conditions.append(_yes_no(Procedure.eligible_return, filters.ret))
    either = or_(Procedure.eligible_receive.is_(True), Procedure.eligible_return.is_(True))
    if filters.eligible == "yes":
        conditions.append(either)
    elif filters.eligible == "no":
        conditions.append(~either)
    if filters.unit is not None:
        conditions.append(units.handled_by(filters.unit))
    # Activity in the period from the dossier tallies, as the figures count it.
    if filters.postal:
        expr = Procedure.id.in_(figures.procedures_active(period, postal=True, unit=filters.unit))
        conditions.append(expr if filters.postal == "yes" else ~expr)
    if filters.dossiers:
        expr = Procedure.id.in_(figures.procedures_active(period, unit=filters.unit))
        conditions.append(expr if filters.dossiers == "yes" else ~expr)
    if filters.in_force != "all":
        conditions.append(_yes_no(Procedure.in_force, filters.in_force))
    return conditions


def matching_ids_query(filters, period):
    return select(Procedure.id).where(*filter_conditions(filters, period))


def count_matching_outside(filters, period, department_id):
    """How many procedures matching ``filters`` belong to another department than ``department_id``."""
    return db.session.execute(
        select(func.count())
        .select_from(Procedure)
        .where(*filter_conditions(filters, period), Procedure.department_id != department_id)
    ).scalar_one()


@dataclass(slots=True)
class Listed:
    """A procedure as a row of the list shows it (``procedures/_macros.html``).

    Plain attributes, not ORM objects or result rows: a page reads each of them many times, and
    an attribute of a slotted object costs a tenth of a result row's.
    """

    id: int
    code: str
    name: str
    in_force: bool
    eligible_receive: bool
    eligible_return: bool
    reason_code: str
    reason_text: str
    department_id: int
    field_name: str
    department_code: str
    department_name: str


def _listed():
    """SELECT the columns of ``Listed``, in its order."""
    return (
        select(
            Procedure.id,
            Procedure.code,
            Procedure.name,
            Procedure.in_force,
            Procedure.eligible_receive,
            Procedure.eligible_return,
            Procedure.reason_code,
            Procedure.reason_text,
            Procedure.department_id,
            Field.name,
            Department.code,
            Department.name,
        )
        .join(Field, Field.id == Procedure.field_id)
        .join(Department, Department.id == Procedure.department_id)
    )


def listed_procedure(procedure_id):
    """One procedure as a row of the list (the row swapped back after an edit), or None."""
    row = db.session.execute(_listed().where(Procedure.id == procedure_id)).first()
    return Listed(*row) if row else None


def list_procedures(filters, period):
    """One page of procedures for ``filters``, sorted, as rows of the list; returns a ``Page``.

    One statement counts the matches (a window count) and reads the page; a page past the last
    one costs a second statement and shows the last page (``utils.pages``).
    """
    conditions = filter_conditions(filters, period)
    order = [c.desc() if filters.desc else c.asc() for c in SORTS[filters.sort]]
    return numbered_page(
        _listed().where(*conditions).order_by(*order, Procedure.id),
        filters.page,
        filters.per_page,
        count=select(func.count()).select_from(Procedure).where(*conditions),
        row=lambda values: Listed(*values),
    )


def export_columns():
    """The export's columns: the import's (``EXPORT_COLUMNS``), then, on a deployment of several
    units, its canonical level column (``cap_chuan``)."""
    if not units.several_units():
        return EXPORT_COLUMNS
    return (*EXPORT_COLUMNS, import_formats.LEVEL_COLUMN.name)


def export_rows(filters, period):
    """Every procedure matching ``filters`` (code order) as rows of ``export_columns()``."""
    stmt = select(Procedure).where(*filter_conditions(filters, period)).order_by(Procedure.code)
    levels = units.several_units()
    for p in db.session.scalars(stmt).unique():
        reason = p.reason_text or (reason_label_vi(p.reason_code) if p.reason_code else "")
        yield (
            p.code,
            p.name,
            p.field.name,
            p.department.code,
            p.department.name,
            p.level,
            p.eligible_receive,
            p.eligible_return,
            reason,
            p.in_force,
            *((p.unit_level,) if levels else ()),
        )


# Exactly the import's columns (``utils.import_formats``): importing an export changes nothing.
EXPORT_COLUMNS = import_formats.PROCEDURES.names


def reason_label_vi(code):
    """The Vietnamese label of a reason (files are Vietnamese whatever the user's language)."""
    from flask_babel import force_locale

    with force_locale("vi"):
        return reason_label(code)


def history(procedure):
    """The procedure's audit events, newest first."""
    from models import AuditEvent

    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "procedure", AuditEvent.object_id == str(procedure.id))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        )
    )


def fields_with_departments():
    """All fields and departments for filter menus and forms, by name/code."""
    fields = list(db.session.scalars(select(Field).order_by(Field.name_folded)))
    departments = list(db.session.scalars(select(Department).order_by(Department.code)))
    return fields, departments


# --- Changing the catalogue ------------------------------------------------------------------

CONFLICT = _l("Someone else saved this procedure meanwhile.")


def _check_version(procedure, version):
    if version is None or procedure.version != version:
        raise Refusal(CONFLICT, status=409, conflict=procedure)


def validate_eligibility(receive, ret, reason_code, reason_text):
    """The eligibility rule: when either direction is "no", a reason is required; "other" needs
    free text. Returns the normalised ``(receive, ret, reason_code, reason_text)``.

    :raise Refusal: with messages keyed by form field.
    """
    reason_code = (reason_code or "").strip()
    reason_text = nfc(reason_text or "")
    errors = {
        name: _l("Choose yes or no.")
        for name, flag in (("eligible_receive", receive), ("eligible_return", ret))
        if flag is None
    }
    errors |= _broken(("reason_code", rules.reason_listed, reason_code, REASON_CODES))
    if len(reason_text) > 1000:
        errors["reason_text"] = _l("Longer than %(n)s characters.", n=1000)
    if not errors and not (receive and ret):
        errors |= _reason_rules(receive, ret, reason_code, reason_text)
    if errors:
        raise Refusal.of(errors)
    if receive and ret:
        reason_code, reason_text = "", ""
    return receive, ret, reason_code, reason_text


def _broken(*checks):
    """The first of ``checks`` (``(form field, rule of utils.rules, *arguments)``) that is
    broken, as ``{field: message}``; ``{}`` when none is."""
    for name, rule, *args in checks:
        try:
            rule(*args)
        except CellError as e:
            return {name: e.text()}
    return {}


def _reason_rules(receive, ret, reason_code, reason_text):
    """A "no" needs a reason, and "other" its text (``utils.rules``), as ``{field: message}``."""
    return _broken(
        ("reason_code", rules.reason_given, receive, ret, reason_code),
        ("reason_text", rules.reason_described, reason_code, reason_text),
    )


def _apply(procedure, values, user, action):
    """Set ``values`` on ``procedure``; record an audit event when something changed."""
    old = audit.snapshot(procedure, values.keys())
    old, new = audit.diff(old, audit._jsonable(values))
    if not new:
        return False
    for name, value in values.items():
        setattr(procedure, name, value)
    procedure.updated_at = utcnow()
    procedure.updated_by_id = getattr(user, "id", None)
    audit.record(action, "procedure", procedure.id, old, new, user=user)
    return True


def update_eligibility(procedure, user, version, receive, ret, reason_code, reason_text):
    """Set the two flags and the reason of one procedure.

    :raise Refusal (403): the user may not edit it.
    :raise Refusal: invalid values.
    :raise Refusal (409): ``version`` is not the stored version (someone saved meanwhile).
    :return: True when something changed.
    """
    if not can(user, "edit_catalogue", procedure.department_id):
        raise _forbidden()
    receive, ret, reason_code, reason_text = validate_eligibility(
        receive, ret, reason_code, reason_text
    )
    _check_version(procedure, version)
    changed = _apply(
        procedure,
        {
            "eligible_receive": receive,
            "eligible_return": ret,
            "reason_code": reason_code,
            "reason_text": reason_text,
        },
        user,
        "procedure_eligibility",
    )
    db.session.flush()
    return changed


@dataclass
class BulkResult:
    changed: list = field(default_factory=list)  # procedures changed
    unchanged: int = 0


def bulk_update(procedures, user, receive, ret, reason_code, reason_text):
    """Set eligibility on many procedures at once; ``receive``/``ret`` None leaves that flag.

    Refused whole (a 403 ``Refusal``) when the user may not edit one of them; one audit event per
    procedure changed.

    :raise Refusal: nothing to change, or a "no" without a reason.
    """
    reason_code = (reason_code or "").strip()
    reason_text = nfc(reason_text or "")
    errors = {}
    if receive is None and ret is None and not reason_code:
        errors["eligible_receive"] = _l("Choose what to change.")
    errors |= _broken(
        ("reason_code", rules.reason_listed, reason_code, REASON_CODES)
    ) or _reason_rules(receive, ret, reason_code, reason_text)
    if not procedures:
        errors["ids"] = _l("Select at least one procedure.")
    if errors:
        raise Refusal.of(errors)
    if any(not can(user, "edit_catalogue", p.department_id) for p in procedures):
        raise _forbidden()
    result = BulkResult()
    for p in procedures:
        values = _bulk_values(p, receive, ret, reason_code, reason_text)
        if _apply(p, values, user, "procedure_bulk_eligibility"):
            result.changed.append(p)
        else:
            result.unchanged += 1
    db.session.flush()
    return result


def _bulk_values(procedure, receive, ret, reason_code, reason_text):
    """What a bulk update sets on one procedure: ``None`` flags keep its own; a reason is set
    where one is given and a "no" remains, and cleared where both are "yes"."""
    new_receive = procedure.eligible_receive if receive is None else receive
    new_ret = procedure.eligible_return if ret is None else ret
    values = {"eligible_receive": new_receive, "eligible_return": new_ret}
    if new_receive and new_ret:
        values.update(reason_code="", reason_text="")
    elif reason_code:
        values.update(reason_code=reason_code, reason_text=reason_text)
    return values


def procedures_by_ids(ids):
    ids = sorted({int(i) for i in ids})
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Procedure).where(Procedure.id.in_(ids)).order_by(Procedure.code)
        ).unique()
    )


def procedures_matching(filters, period):
    return list(
        db.session.scalars(
            select(Procedure).where(*filter_conditions(filters, period)).order_by(Procedure.code)
        ).unique()
    )


def _check_details(user, code, name, field_id, department_id, level, existing=None):
    code = nfc(code or "")
    name = nfc(name or "")
    errors = _broken(("code", rules.procedure_code, code))
    if (
        "code" not in errors
        and db.session.execute(
            select(Procedure.id).where(
                Procedure.code == code, Procedure.id != getattr(existing, "id", None)
            )
        ).first()
    ):
        errors["code"] = _l("Another procedure has this code.")
    if not name:
        errors["name"] = _l("This field is required.")
    if field_id is None or db.session.get(Field, field_id) is None:
        errors["field_id"] = _l("Choose a field.")
    if department_id is None or db.session.get(Department, department_id) is None:
        errors["department_id"] = _l("Choose a department.")
    if errors:
        raise Refusal.of(errors)
    return code, name, nfc(level or "")[:60]


def create_procedure(
    user,
    code,
    name,
    field_id,
    department_id,
    level,
    receive,
    ret,
    reason_code,
    reason_text,
    unit_level=None,
):
    """Add a procedure to the catalogue (department staff: to their own department only).

    :param unit_level: its canonical level (``utils.units``); by default read from ``level``.
    :raise Refusal (403): another department's.
    :raise Refusal: invalid values.
    """
    if department_id is not None and not can(user, "edit_catalogue", department_id):
        raise _forbidden()
    errors = {}
    try:
        code, name, level = _check_details(user, code, name, field_id, department_id, level)
    except Refusal as e:
        errors.update(e.errors)
    try:
        unit_level = units.check_procedure_level(
            unit_level or units.procedure_level_from_text(level)
        )
    except Refusal as e:
        errors.update(e.errors)
    try:
        receive, ret, reason_code, reason_text = validate_eligibility(
            receive, ret, reason_code, reason_text
        )
    except Refusal as e:
        errors.update(e.errors)
    if errors:
        raise Refusal.of(errors)
    procedure = Procedure(
        code=code,
        name=name,
        name_folded=fold(name),
        field_id=field_id,
        department_id=department_id,
        level=level,
        unit_level=unit_level,
        in_force=True,
        eligible_receive=receive,
        eligible_return=ret,
        reason_code=reason_code,
        reason_text=reason_text,
        updated_by_id=getattr(user, "id", None),
    )
    audit.add_created(procedure, "procedure_create", "procedure", _audited(), user=user)
    units.keep_every_procedure_for_a_lone_unit()
    return procedure


def _audited():
    """The attributes the trail follows: the canonical level too once units appear (a one-unit
    deployment's trail stays as it was)."""
    return AUDITED + ("unit_level",) if units.several_units() else AUDITED


def _canonical_level(procedure, level, unit_level):
    """The canonical level a change of ``procedure``'s details gives it: ``unit_level`` when
    chosen, else the one following its free-text ``level`` (``None``: unchanged).

    :raise Refusal: an unknown ``unit_level``.
    """
    if unit_level:
        return units.check_procedure_level(unit_level)
    return units.following_level(procedure, level)


def update_details(
    procedure, user, version, code, name, field_id, department_id, level, unit_level=None
):
    """Change a procedure's code, name, field, department and level, and its canonical level
    (``unit_level``; by default it follows the free-text level unless it was chosen by hand).

    Department staff edit only their own department's procedures and never move one to another
    department.

    :raise Refusal: 403, 422 or 409 (see ``update_eligibility``).
    """
    if not can(user, "edit_catalogue", procedure.department_id):
        raise _forbidden()
    if department_id is not None and not can(user, "edit_catalogue", department_id):
        raise _forbidden()
    code, name, level = _check_details(
        user, code, name, field_id, department_id, level, existing=procedure
    )
    canonical = _canonical_level(procedure, level, unit_level)
    _check_version(procedure, version)
    values = {
        "code": code,
        "name": name,
        "field_id": field_id,
        "department_id": department_id,
        "level": level,
    }
    if canonical is not None and units.several_units():
        values["unit_level"] = canonical
    changed = _apply(procedure, values, user, "procedure_update")
    if canonical is not None and procedure.unit_level != canonical:  # one unit: not shown
        procedure.unit_level = canonical
    procedure.name_folded = fold(procedure.name)
    db.session.flush()
    units.keep_every_procedure_for_a_lone_unit()
    return changed


def set_in_force(procedure, user, in_force):
    """Retire a procedure (or put it back in force). Procedures are never deleted: dossiers
    and the history refer to them.

    :raise Refusal (403):
    """
    if not can(user, "edit_catalogue", procedure.department_id):
        raise _forbidden()
    changed = _apply(
        procedure,
        {"in_force": bool(in_force)},
        user,
        "procedure_reinstate" if in_force else "procedure_retire",
    )
    db.session.flush()
    return changed


def update_field_note(field_, user, note):
    """The centre's note on a field's postal feasibility."""
    note = nfc(note or "")
    if len(note) > 2000:
        raise Refusal(_l("Longer than %(n)s characters.", n=2000), "postal_note")
    old, new = audit.diff({"postal_note": field_.postal_note}, {"postal_note": note})
    if new:
        field_.postal_note = note
        audit.record("field_note", "field", field_.id, old, new, user=user)
    db.session.flush()
    return bool(new)


# --- Import ----------------------------------------------------------------------------------

# The file's columns, declared with their parsers, help and sample cells in
# ``utils.import_formats`` (which reads the file).
IMPORT_REQUIRED = import_formats.PROCEDURES.required
IMPORT_OPTIONAL = import_formats.PROCEDURES.optional


def _reason_from_cell(text, existing):
    """``(reason_code, reason_text)`` from the file's reason cell.

    A cell naming one of the common reasons (in Vietnamese or English) sets that reason; other
    text is kept as the reason's text, under the procedure's current reason or "other".
    """
    if not text:
        return "", ""
    key = fold_key(text)
    from flask_babel import force_locale

    for code, label in REASONS:
        for locale in ("vi", "en"):
            with force_locale(locale):
                if fold_key(str(label)) == key:
                    return code, ""
    current = existing.reason_code if existing is not None else ""
    return (current or "other"), text


@dataclass
class PreparedProcedures:
    """A procedures file read and checked (``read_procedures_file``), ready to be written."""

    filename: str
    sha256: str
    report: ImportReport
    has: dict = field(default_factory=dict)  # optional column -> present in the file
    rows: list = field(default_factory=list)  # (row number, code, values, bad in its cells)


def import_procedures(filename, data, user=None):
    """Import the procedures file of docs/formats.md: all or nothing, upsert by code.

    Creates the fields and departments it names; absent optional columns leave existing values
    unchanged. A row whose flags (from the file, or stored where a flag column is absent) say "no"
    in a direction needs a reason, as on the edit form; a file without flag columns does not speak
    of eligibility. Department staff may import only their own department's rows. Writes one audit
    event for the import and one per existing procedure it changed. The steps
    (``read_procedures_file``, ``check_procedure_rows``, ``write_procedures``) can run in separate
    transactions: see ``import_checked_first``.

    :return: an ``ImportReport`` (nothing written unless ``report.ok``).
    """
    return PROCEDURE_IMPORT.at_once(filename, data, user)


def import_checked_first(filename, data, user=None):
    """``import_procedures`` for a caller that owns the transaction (the page, the command
    line): the whole file is read and checked with no write lock held, then written in a short
    write transaction that repeats the checks needing the database
    (``utils.transactions.ImportSteps.checked_first``). The caller commits or rolls back."""
    return PROCEDURE_IMPORT.checked_first(filename, data, user)


def read_procedures_file(filename, data):
    """Read and check a procedures file without the database: every cell, and codes appearing
    twice. :return: a ``PreparedProcedures`` whose report lists the bad rows found so far."""
    report = ImportReport()
    prepared = PreparedProcedures(filename, hashlib.sha256(data).hexdigest(), report)
    read = import_formats.PROCEDURES.read(filename, data, report)
    prepared.has = {c: c in read.present for c in IMPORT_OPTIONAL}
    prepared.rows = [
        (row.number, row.values.get("code"), row.values, row.bad) for row in read.rows()
    ]
    return prepared


def check_procedure_rows(prepared, user=None):
    """The checks of every row that read the database (a bad row each where one fails):
    department staff's rows are their own department's; a "no" in either direction has a
    reason, the file's or the stored one. :return: the stored procedures by code, and the
    departments by code."""
    existing = {p.code: p for p in db.session.scalars(select(Procedure)).unique()}
    departments = {d.code.upper(): d for d in db.session.scalars(select(Department))}
    restricted_to = department_scope(user)
    report, has = prepared.report, prepared.has
    # A file without either flag column says nothing about eligibility.
    flags = has["tiep_nhan_bcci"] or has["tra_ket_qua_bcci"]
    for number, code, values, bad in prepared.rows:
        current = existing.get(code) if code else None
        if restricted_to is not None and not _own_row(values, current, departments, restricted_to):
            report.bad(
                number,
                "don_vi",
                CellError(_l("You may import only your own department's procedures.")),
            )
            bad = True
        if not bad and flags:
            try:
                _reason_given(values, current)
            except CellError as e:
                report.bad(number, "ly_do_khong_bcci", e)
    return existing, departments


def _own_row(values, current, departments, department_id):
    """A department's staff may import a row of their department, for a procedure of their
    department or a new one (a row whose department code is bad is reported already)."""
    if not values.get("dept_code"):
        return True
    own = departments.get(values["dept_code"])
    return (
        own is not None
        and own.id == department_id
        and (current is None or current.department_id == department_id)
    )


def _eligible_both_ways(values, current):
    """The row's flags, where the file has no such column the stored ones (no for a new one)."""
    receive = values.get("eligible_receive", current.eligible_receive if current else False)
    ret = values.get("eligible_return", current.eligible_return if current else False)
    return receive and ret


def _reason_given(values, current):
    """The edit form's rule (``rules.reason_given``) on a row: its flags, where the file has no
    such column the stored ones (no for a new one), and its reason, where the file has no reason
    column the one already stored. :raise CellError: a "no" without a reason."""
    receive = values.get("eligible_receive", current.eligible_receive if current else False)
    ret = values.get("eligible_return", current.eligible_return if current else False)
    reason = (
        values["reason"]
        if "reason" in values
        else (current.reason_code if current is not None else "")
    )
    rules.reason_given(bool(receive), bool(ret), reason)


def write_procedures(prepared, user=None):
    """Write a checked file (``read_procedures_file``): the checks reading the database are
    repeated first, in this transaction, and nothing is written if one fails. Adds and flushes;
    the caller commits."""
    report = prepared.report
    existing, departments = check_procedure_rows(prepared, user)
    if not report.ok:
        return report
    parsed = prepared.rows
    fields, new_fields, new_departments = _add_fields_and_departments(parsed, departments)

    now = utcnow()
    for _, code, values, _ in parsed:
        current = existing.get(code)
        target = _target(values, current, fields, departments)
        if current is None:
            procedure = Procedure(
                code=code,
                name_folded=fold(values["name"]),
                updated_at=now,
                updated_by_id=getattr(user, "id", None),
                unit_level=values.get("unit_level")
                or units.procedure_level_from_text(target.get("level", "")),
                **target,
            )
            db.session.add(procedure)
            report.created += 1
        else:
            canonical = values.get("unit_level") or (
                units.following_level(current, target["level"]) if "level" in target else None
            )
            if canonical is not None and units.several_units():
                target["unit_level"] = canonical
            if _apply(current, target, user, "procedure_import_update"):
                current.name_folded = fold(current.name)
                report.updated += 1
            else:
                report.unchanged += 1
            if canonical is not None and current.unit_level != canonical:  # one unit: no trail
                current.unit_level = canonical
    db.session.flush()
    units.keep_every_procedure_for_a_lone_unit()
    audit.record_import(
        "procedure_import",
        "procedures",
        prepared,
        len(parsed),
        user=user,
        new_fields=new_fields,
        new_departments=new_departments,
    )
    db.session.flush()
    return report


def _add_fields_and_departments(parsed, departments):
    """Add the fields and departments the rows name that do not exist yet (``departments`` is
    completed in place). :return: the fields by folded name, and how many of each were added."""
    fields = {fold(f.name): f for f in db.session.scalars(select(Field))}
    new_fields = new_departments = 0
    for _, _code, values, _ in parsed:
        key = fold(values["field_name"])
        if key not in fields:
            fields[key] = Field(name=values["field_name"], name_folded=key)
            db.session.add(fields[key])
            new_fields += 1
        if values["dept_code"] not in departments:
            name = values.get("dept_name") or values["dept_code"]
            departments[values["dept_code"]] = Department(
                code=values["dept_code"], name=name, name_folded=fold(name)
            )
            db.session.add(departments[values["dept_code"]])
            new_departments += 1
    db.session.flush()
    return fields, new_fields, new_departments


def _target(values, current, fields, departments):
    """The attributes a row gives its procedure; absent optional columns give none."""
    target = {
        "name": values["name"],
        "field_id": fields[fold(values["field_name"])].id,
        "department_id": departments[values["dept_code"]].id,
    }
    for name in ("level", "eligible_receive", "eligible_return", "in_force"):
        if name in values:
            target[name] = values[name]
    if "reason" in values:
        target["reason_code"], target["reason_text"] = _reason_from_cell(values["reason"], current)
    if _eligible_both_ways(target, current):
        # Eligible both ways needs no reason, as on the edit form.
        target["reason_code"], target["reason_text"] = "", ""
    return target


# The import's steps (``utils.transactions.ImportSteps``), once the functions above exist.
PROCEDURE_IMPORT = ImportSteps(
    lambda filename, data, _today: read_procedures_file(filename, data),
    check_procedure_rows,
    write_procedures,
)
