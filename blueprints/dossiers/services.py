"""Dossier rules: the source/effective rule of docs/figures.md, the one-stop import, search.

Imports change only the ``*_src`` values; shipments change only the effective ones. The rule lives
in one place, ``effective_values`` (SQL expressions); ``recompute_effective`` applies it to given
dossiers after a shipment changes, and the import applies it in the same statement that writes the
new source values. Services add and flush, never commit.
"""

import hashlib
from contextlib import contextmanager
from functools import lru_cache
from itertools import compress, repeat
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    and_,
    bindparam,
    case,
    exists,
    func,
    literal_column,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table

from extensions import db
from models import AuditEvent, Department, Dossier, Procedure, Shipment, Unit, utcnow
from utils import audit, bulk, import_formats, import_units, reconcile, rules, tally
from utils.errors import Refusal
from utils.tabular import CellError, ImportReport, collector_paused
from utils.text import escape_like, fold, nfc
from utils.transactions import ImportSteps
from utils.units import new_record_unit, taking_records, unit_condition

CHUNK = 1000
# The file's columns, declared with their parsers, help and sample cells in
# ``utils.import_formats`` (which reads the file).
DOSSIER_COLUMNS = import_formats.DOSSIERS.required
DOSSIER_OPTIONAL = import_formats.DOSSIERS.optional
SOURCE_FIELDS = (
    "procedure_id",
    "receive_date_src",
    "receive_channel_src",
    "return_date_src",
    "return_channel_src",
)
EFFECTIVE_FIELDS = ("receive_channel", "receive_date", "return_channel", "return_date")


def _live(direction):
    return and_(
        Shipment.dossier_id == Dossier.id,
        Shipment.direction == direction,
        Shipment.cancelled.is_(False),
    )


def effective_values(source=None):
    """The rule of docs/figures.md ("Source and effective values") as SQL: the effective
    columns as expressions of the dossier's source values and its live (non-cancelled)
    shipments.

    :param source: expressions for the four source values (``receive_channel_src``…); by default
        the stored columns. An import passes the new values as bind parameters, so one UPDATE
        writes the source values and the effective values they give.
    """
    source = source or {
        name: getattr(Dossier, name)
        for name in (
            "receive_channel_src",
            "receive_date_src",
            "return_channel_src",
            "return_date_src",
        )
    }

    def has_live(direction):
        return exists().where(_live(direction))

    def earliest(direction):
        return select(func.min(Shipment.date)).where(_live(direction)).scalar_subquery()

    return {
        "receive_channel": case(
            (has_live("tiep_nhan"), "bcci"), else_=source["receive_channel_src"]
        ),
        "receive_date": func.coalesce(source["receive_date_src"], earliest("tiep_nhan")),
        "return_channel": case(
            (has_live("tra_ket_qua"), "bcci"), else_=source["return_channel_src"]
        ),
        "return_date": func.coalesce(source["return_date_src"], earliest("tra_ket_qua")),
    }


@lru_cache(maxsize=1)
def _recompute_statements():
    """The statements of ``recompute_effective``, built once per process: composing the rule's
    expressions costs more than running them for one dossier (the counter's save)."""
    ids = Dossier.id.in_(bindparam("ids", expanding=True))
    plain = {
        "receive_channel": Dossier.receive_channel_src,
        "receive_date": Dossier.receive_date_src,
        "return_channel": Dossier.return_channel_src,
        "return_date": Dossier.return_date_src,
    }
    # Each UPDATE returns what the tallies count of the dossiers it changed (tally.changing).
    keys = tally.key_columns()
    return (
        select(Shipment.dossier_id)
        .where(Shipment.dossier_id.in_(bindparam("ids", expanding=True)))
        .distinct(),
        update(Dossier)
        .where(ids)
        .values(**plain)
        .returning(*keys)
        .execution_options(synchronize_session=False),
        update(Dossier)
        .where(ids)
        .values(**effective_values())
        .returning(*keys)
        .execution_options(synchronize_session=False),
    )


def recompute_effective(dossier_ids, shipped=None, before=None):
    """Set the effective channel and date of each direction of the given dossiers (section 4).

    Effective channel: ``bcci`` while the dossier has a non-cancelled shipment in that direction,
    else the source channel. Effective date: the source date, or, where the source gave none, the
    earliest non-cancelled shipment's date. One UPDATE per chunk of ids, done by the database.

    :param shipped: the ids known to have a shipment (the caller has just logged one); the
        others are looked up.
    :param before: ``{id: tally.keys_of(dossier)}`` of dossiers the caller read in this
        transaction and that nothing else can change before the update (locked: see
        ``find_dossier``); the others are read again for the tallies.
    """
    ids = sorted({int(i) for i in dossier_ids if i is not None})
    if not ids:
        return 0
    db.session.flush()
    # Core statements on the session's connection (in its transaction): the ORM's per-statement
    # work costs more than the database's for the counter's one dossier.
    connection = db.session.connection()
    shipped_stmt, plain, values = _recompute_statements()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        found = _with_shipments(connection, shipped_stmt, chunk, shipped)
        known = [before[i] for i in chunk if i in before] if before else []
        # Without any shipment the rule reduces to the source values: a cheaper statement.
        with tally.changing(
            chunk, connection, before=known if len(known) == len(chunk) else None
        ) as change:
            for subset, stmt in (
                ([i for i in chunk if i not in found], plain),
                (sorted(found), values),
            ):
                if subset:
                    change.returned(connection.execute(stmt, {"ids": subset}))
    _expire_effective(ids)
    return len(ids)


def _with_shipments(connection, shipped_stmt, chunk, known=None):
    """The ids of ``chunk`` with a shipment: ``known`` ones, and the others looked up."""
    found = set(known or ()) & set(chunk)
    unknown = [i for i in chunk if i not in found]
    if unknown:
        found |= set(connection.execute(shipped_stmt, {"ids": unknown}).scalars())
    return found


def _expire_effective(ids):
    """Objects already loaded in this session must not keep the values the database replaced:
    only those values are expired (the rest, the procedure among it, stays loaded)."""
    wanted = set(ids)
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Dossier) and obj.id in wanted:
            db.session.expire(obj, EFFECTIVE_FIELDS)


# --- Lookups ---------------------------------------------------------------------------------


@lru_cache(maxsize=2)
def _dossier_by_code(lock=False):
    """``find_dossier``'s statement, built once per process: the dossier with its procedure (and
    the procedure's field and department) and its unit in one statement; ``lock``: the dossier's
    row locked for update (PostgreSQL; on SQLite the write transaction holds the one write lock
    already)."""
    from sqlalchemy.orm import joinedload

    stmt = (
        select(Dossier)
        .options(joinedload(Dossier.procedure), joinedload(Dossier.unit, innerjoin=True))
        .where(Dossier.code == bindparam("code"))
    )
    return stmt.with_for_update(of=Dossier) if lock else stmt


def find_dossier(code, lock=False, unit_id=None):
    """The dossier with this code (trimmed, NFC), with its procedure loaded, or ``None``.

    :param lock: lock the dossier's row until the transaction ends (a save about to change it:
        what is read stays what the database holds).
    :param unit_id: the unit the user is limited to: another unit's dossier is ``None``, as an
        unknown code (codes are unique across the province; ``create_dossier`` refuses the
        clash without showing the dossier)."""
    code = nfc(code or "")
    if not code:
        return None
    found = db.session.execute(_dossier_by_code(lock), {"code": code}).scalar_one_or_none()
    if found is not None and unit_id is not None and found.unit_id != unit_id:
        return None
    return found


def known_dossier(code, unit_id=None):
    """The dossier with this code (of the unit ``unit_id`` when given: another unit's is
    unknown).

    :raise Refusal: no dossier has it (422, on the form's ``dossier_code``).
    """
    try:
        return rules.known_dossier(find_dossier(code, unit_id=unit_id), nfc(code or ""))
    except CellError as e:
        raise Refusal(e.reason, "dossier_code", **e.params) from None


def find_procedure(code):
    code = nfc(code or "")
    if not code:
        return None
    return db.session.execute(select(Procedure).where(Procedure.code == code)).scalar_one_or_none()


def create_dossier(code, procedure, receive_channel, receive_date, user=None, unit_id=None):
    """Create a dossier from the log form (its source: the form), of ``user``'s unit (the
    logged-in user's; the first unit for a user bound to none), or of ``unit_id`` (the unit a
    user who sees every unit picked: ``utils.fields.UnitField``). Audited.

    :raise Refusal: the code exists already (in any unit: codes are unique across the province;
        another unit's dossier is not shown); a deactivated unit.
    """
    code = nfc(code)
    if find_dossier(code) is not None:
        raise Refusal(_l("A dossier with this code exists already."))
    dossier = Dossier(
        code=code,
        unit_id=taking_records(unit_id or new_record_unit(user)),
        procedure_id=procedure.id,
        **Dossier.as_recorded(receive_channel, receive_date),
    )
    db.session.add(dossier)
    db.session.flush()
    audit.record(
        "dossier.create",
        "dossier",
        dossier.id,
        None,
        {
            "code": code,
            "procedure": procedure.code,
            "receive_channel_src": receive_channel,
            "receive_date_src": receive_date,
        },
        user=user,
    )
    return dossier


# --- Search ----------------------------------------------------------------------------------

CODE_SHAPE = "999.99.99.A99-999999-9999"  # DOSSIER_CODE_RE: agency, receive date, serial
DATE_PART_SHAPE = CODE_SHAPE[CODE_SHAPE.index("-") + 1 :]
TOP = "\U0010ffff"  # above every character: ``p <= code < p + TOP`` is "code starts with p"
COUNT_CAP = 1000  # a search's count stops here ("more than 1.000")
FEW = 5000  # up to this many dossiers of the chosen procedures: read through their index


def _fits(text, shape):
    """Whether ``text`` is the start of a string of ``shape`` (9 a digit, A a capital letter,
    anything else itself)."""
    if len(text) > len(shape):
        return False
    for ch, want in zip(text, shape):
        if want == "9":
            if not ("0" <= ch <= "9"):
                return False
        elif want == "A":
            if not ("A" <= ch <= "Z"):
                return False
        elif ch != want:
            return False
    return True


def code_key():
    """The dossier code as its unique index orders it: byte order on both databases (the
    column's collation is "C" on PostgreSQL, whose default collation may order codes otherwise;
    SQLite compares bytes)."""
    return Dossier.code


def _starts_with(prefix):
    key = code_key()
    return and_(key >= prefix, key < prefix + TOP)


def agencies(limit=100):
    """The agency parts of the dossier codes (``000.17.22.H56``), found by skipping from one to
    the next through the code index (one lookup each, however many dossiers there are)."""
    out, after = [], ""
    key = code_key()
    while len(out) < limit:
        code = db.session.execute(
            select(Dossier.code).where(key > after).order_by(key).limit(1)
        ).scalar()
        if code is None:
            break
        agency = code.split("-", 1)[0]
        out.append(agency)
        after = agency + TOP
    return out


def code_condition(q):
    """Dossiers whose code matches ``q`` by its structure, answered from the code index: the
    start of a code (``000.17``, ``000.17.22.H56-2411``); the start of its date and serial part
    (``241126``, ``241126-00``: within each agency's codes); otherwise the exact code."""
    q = nfc(q).strip().upper()
    if _fits(q, CODE_SHAPE):
        return _starts_with(q)
    if len(q) >= 4 and _fits(q, DATE_PART_SHAPE):
        parts = [_starts_with(f"{agency}-{q}") for agency in agencies()]
        return or_(*parts) if parts else Dossier.id.is_(None)
    return code_key() == q


def unlogged_postal_condition(direction):
    """A dossier whose SOURCE channel in ``direction`` is ``bcci`` with no shipment record in it."""
    src = Dossier.receive_channel_src if direction == "tiep_nhan" else Dossier.return_channel_src
    has_record = exists().where(Shipment.dossier_id == Dossier.id, Shipment.direction == direction)
    # 'bcci' written in the SQL, not bound: the planner then reads the partial index of these
    # dossiers (ix_dossier_src_*_bcci), which only a literal condition matches.
    return and_(src == literal_column("'bcci'"), ~has_record)


@dataclass
class DossierFilters:
    """The dossier list's filters, parsed from the URL (see ``dossiers.list_dossiers``)."""

    q: str = ""
    procedure: str = ""
    direction: str = "tiep_nhan"
    channel: str = ""
    source_channel: str = ""
    period: object = None
    department_id: int | None = None
    field_id: int | None = None
    # Filters the figures' links set (never a code prefix or words): one procedure by id; "by
    # post in either direction in the period" (``postal=yes``, the procedure list's count);
    # "by post per source with no shipment record" (``unlogged=yes``, the reconciliation's).
    procedure_id: int | None = None
    by_post: bool = False
    unlogged: bool = False
    # The unit the user is limited to (``utils.units.unit_scope``); ``None``: every unit, and
    # no unit condition at all.
    unit_id: int | None = None
    # With a unit: only its dossiers of procedures it does not handle (``handled=no``, the
    # count of them its figures give).
    unhandled: bool = False

    @property
    def date_column(self):
        return Dossier.return_date if self.direction == "tra_ket_qua" else Dossier.receive_date

    @property
    def channel_column(self):
        return (
            Dossier.return_channel if self.direction == "tra_ket_qua" else Dossier.receive_channel
        )

    def procedure_conditions(self):
        """The filters on the dossier's procedure, as conditions on ``Procedure``."""
        out = []
        if self.procedure:
            text = escape_like(fold(self.procedure))
            out.append(
                or_(
                    Procedure.code.like(f"{escape_like(self.procedure)}%", escape="\\"),
                    Procedure.name_folded.like(f"%{text}%", escape="\\"),
                )
            )
        if self.procedure_id:
            out.append(Procedure.id == self.procedure_id)
        if self.department_id:
            out.append(Procedure.department_id == self.department_id)
        if self.field_id:
            out.append(Procedure.field_id == self.field_id)
        if self.unhandled and self.unit_id is not None:
            from models import Unit
            from utils.units import handled_by

            out.append(not_(handled_by(db.session.get(Unit, self.unit_id))))
        return out

    def dossier_conditions(self):
        """The filters on the dossier's own columns."""
        out = unit_condition(Dossier.unit_id, self.unit_id)
        receive = self.direction != "tra_ket_qua"
        src_col = Dossier.receive_channel_src if receive else Dossier.return_channel_src
        if self.unlogged:
            out.append(unlogged_postal_condition(self.direction))
        if self.by_post and self.period is not None:
            from utils.figures import postal_either_condition

            out.append(postal_either_condition(self.period))
        if self.q:
            out.append(code_condition(self.q))
        if self.channel:
            out.append(self.channel_column == self.channel)
        if self.source_channel:
            out.append(src_col == self.source_channel)
        if self.period is not None and not self.by_post:
            out.append(self.date_column >= self.period.start)
            out.append(self.date_column <= self.period.end)
        return out

    def conditions(self):
        """Every filter, for a statement joining ``Procedure`` to ``Dossier``."""
        return self.dossier_conditions() + self.procedure_conditions()


@dataclass
class DossierPage:
    """A page of the dossier list: its rows and pager (``utils.seek.Page``), and how many
    dossiers match: exact (``capped`` false) or at least ``total`` (a search stops counting)."""

    page: object
    total: int
    capped: bool

    @property
    def rows(self):
        return self.page.rows


def search_dossiers(filters, cursor=None, per_page=50):
    """A page of the dossiers matching ``filters`` (a ``DossierPage``).

    Newest first on the date the filters apply to (``direction``), by code for a code search;
    the page is found from the key in ``cursor`` (``utils.seek``), never by skipping rows.
    Filters on the procedure are resolved to the procedures' ids first (a few hundred rows), so
    the dossiers are read through their own indexes. The count comes from the tallies where they
    hold it (a period, a direction, by post or not, procedures: what the figures link to), else
    it is counted up to ``COUNT_CAP``.
    """
    from sqlalchemy.orm import joinedload

    from utils import seek

    conditions = filters.dossier_conditions()
    ids = _procedure_ids(filters)
    total = _kept_total(filters, ids, conditions)
    if total == 0:
        # A kept number of none (a figure's link to an empty list: no dossier of a procedure the
        # unit does not handle, nothing left to reconcile) is exact: reading the list would walk
        # every dossier of the period through its index to find none.
        return DossierPage(seek.Page([], 1, False, False), 0, False)
    if ids is not None:
        conditions.append(_procedure_condition(ids, total))
    stmt = select(Dossier).where(*conditions).options(joinedload(Dossier.procedure))
    cursor = cursor or seek.Cursor()
    if filters.q:
        page = seek.seek(
            db.session,
            stmt,
            code_key(),
            Dossier.id,
            cursor,
            per_page,
            nullable=False,
            key_of=lambda d: (d.code, d.id),
        )
    else:
        page = seek.seek(db.session, stmt, filters.date_column, Dossier.id, cursor, per_page)
    if total is not None:
        return DossierPage(page, int(total), False)
    n, capped = seek.capped_count(db.session, select(Dossier.id).where(*conditions), COUNT_CAP)
    return DossierPage(page, n, capped)


def _procedure_ids(filters):
    """The ids of the procedures the filters on the procedure leave (``None``: no such filter)."""
    procedure_conditions = filters.procedure_conditions()
    if not procedure_conditions:
        return None
    return list(db.session.execute(select(Procedure.id).where(*procedure_conditions)).scalars())


def _set_filters(filters):
    """The names of the filters on the dossier's own values that are set."""
    named = (
        ("q", filters.q),
        ("source_channel", filters.source_channel),
        ("channel", filters.channel),
        ("period", filters.period is not None),
        ("unlogged", filters.unlogged),
        ("by_post", filters.by_post),
    )
    return {name for name, value in named if value}


def _kept_total(filters, ids, conditions):
    """How many dossiers match, where a kept number holds it (the figures' links), else ``None``.

    :param ids: the procedures' ids (``_procedure_ids``); ``conditions``: the filters on the
        dossier's own values.
    """
    set_filters = _set_filters(filters)
    if not set_filters & {"q", "source_channel", "unlogged", "by_post"}:
        return _tallied_total(filters, ids, conditions)
    if set_filters == {"unlogged"}:
        # The reconciliation's number: kept per unit and procedure (utils.reconcile).
        from utils import reconcile

        return reconcile.unlogged_count(filters.direction, ids, filters.unit_id)
    if set_filters == {"by_post", "period"}:
        # The procedure list's "by post" number, from the tallies as the list counts it (the
        # unit's, for a unit's list).
        from utils import figures

        chosen = (
            ids if ids is not None else list(db.session.execute(select(Procedure.id)).scalars())
        )
        unit = db.session.get(Unit, filters.unit_id) if filters.unit_id is not None else None
        activity = figures.procedure_activity(filters.period, chosen, unit=unit)
        return sum(postal for _, postal in activity.values())
    return None


def _tallied_total(filters, ids, conditions):
    """The dossiers of a period, direction and channel, from the tallies (``None`` where they
    do not hold the number)."""
    from utils import figures

    period, direction, channel = filters.period, filters.direction, filters.channel
    if period is None and not channel:
        direction = "tiep_nhan"  # the whole list: every dossier, counted on its receipt
    condition = Procedure.id.in_(ids) if ids is not None else None
    unit = db.session.get(Unit, filters.unit_id) if filters.unit_id is not None else None
    total = figures.tallied_dossier_count(period, direction, channel, condition, unit=unit)
    if total is None or period is not None:
        return total
    # Dossiers without a date in that direction are in the list, not in the tallies.
    date_col = Dossier.return_date if direction == "tra_ket_qua" else Dossier.receive_date
    undated = [date_col.is_(None), *conditions]
    if ids is not None:
        undated.append(Dossier.procedure_id.in_(ids))
    return (
        total
        + db.session.execute(select(func.count()).select_from(Dossier).where(*undated)).scalar_one()
    )


def _procedure_condition(ids, total):
    """Dossiers of the procedures ``ids``, written for the plan that finds a page soonest."""
    if total is not None and total > FEW and len(ids) > 1:
        # Many dossiers of several procedures match: reading the date index newest first and
        # keeping those of these procedures finds a page sooner than sorting all of theirs
        # ("+ 0" keeps the planner off the procedure index). One procedure's dossiers come in
        # date order from its own index (procedure, date, channel), however many they are.
        return (Dossier.procedure_id + 0).in_(ids)
    return Dossier.procedure_id.in_(ids)


def export_rows(filters, limit=None, units=None):
    """Rows for the dossier export: the one-stop columns (source values), then effective ones;
    read as the returned iterator is (``utils.tabular.query_rows``: a streamed download).

    :param units: ``{unit id: code}`` (``utils.import_units.export_units``): each row ends with
        its unit's code (``ma_don_vi``); ``None``: no unit column."""
    from utils.tabular import query_rows

    unit = (Dossier.unit_id,) if units is not None else ()
    stmt = (
        select(Dossier.code, Procedure.code, *Dossier.channel_columns(), Department.code, *unit)
        .join(Procedure, Procedure.id == Dossier.procedure_id)
        .join(Department, Department.id == Procedure.department_id)
        .where(*filters.conditions())
        .order_by(code_key())
    )
    if limit:
        stmt = stmt.limit(limit)
    if units is None:
        return query_rows(stmt)
    return query_rows(stmt, lambda row: (*row[:-1], units[row[-1]]))


# The import's columns (``utils.import_formats``), then the effective values and the department.
EXPORT_COLUMNS = import_formats.DOSSIERS.names + (
    "ngay_tiep_nhan_hieu_luc",
    "kenh_tiep_nhan_hieu_luc",
    "ngay_tra_hieu_luc",
    "kenh_tra_hieu_luc",
    "don_vi",
)


def history(dossier):
    """Audit events of the dossier and of its shipments, newest first."""
    shipment_ids = [str(s.id) for s in dossier.shipments]
    cond = and_(AuditEvent.object_type == "dossier", AuditEvent.object_id == str(dossier.id))
    if shipment_ids:
        cond = or_(
            cond, and_(AuditEvent.object_type == "shipment", AuditEvent.object_id.in_(shipment_ids))
        )
    return (
        db.session.execute(
            select(AuditEvent)
            .where(cond)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(200)
        )
        .scalars()
        .all()
    )


# --- The one-stop import ---------------------------------------------------------------------
#
# A one-stop export holds tens of thousands of rows, so the import works on plain tuples: the
# format's column table (``utils.import_formats.DOSSIERS``) reads the file column by column,
# parsing each distinct cell once (a few hundred dates, three channels, three hundred procedure
# codes); existing dossiers are read and new ones written with plain driver SQL (COPY on
# PostgreSQL), each distinct value passed once through its column type, so the database holds
# exactly what a Core statement would have stored.

INSERT_COLUMNS = (
    "code",
    *SOURCE_FIELDS,
    "receive_date",
    "receive_channel",
    "return_date",
    "return_channel",
    "created_at",
    "unit_id",
)
LOOKUP_CHUNK = 1000  # codes per query: under every driver's limit of bound parameters
ARRAY_LOOKUP_CHUNK = 20000  # codes per PostgreSQL query, passed as one array
SQLITE_IMPORT_CACHE_KIB = 65536  # page cache while an import writes: index pages stay in memory
PG_IMPORT_WORK_MEM = "64MB"  # PostgreSQL's working memory while an import counts its rows


class _Processed(dict):
    """``values[v]``: ``v`` through a column type's bind or result processor for the session's
    dialect, each distinct value once; ``None`` stays ``None``."""

    def __init__(self, column, kind):
        super().__init__()
        dialect = db.session.get_bind().dialect
        impl = column.type.dialect_impl(dialect)
        self.process = (
            impl.bind_processor(dialect) if kind == "bind" else impl.result_processor(dialect, None)
        )

    def __missing__(self, value):
        out = self[value] = value if value is None or self.process is None else self.process(value)
        return out


def insert_rows(table, columns, rows):
    """Insert ``rows`` (tuples of values for ``columns``, as the driver takes them: see
    ``_Processed``) in the session's transaction with plain driver SQL: ``COPY`` on PostgreSQL
    (one stream instead of a statement per row), one ``executemany`` elsewhere. The caller
    counts new dossiers into ``utils.tally``.

    A Core ``insert`` runs every parameter of every row through the column type's processor in
    Python; for 100.000 dossiers that costs more than the database's own insert.
    """
    if not rows:
        return
    conn = db.session.connection()
    dialect = conn.dialect
    preparer = dialect.identifier_preparer
    target = f"{preparer.format_table(table)} ({', '.join(preparer.quote(c) for c in columns)})"
    if dialect.name == "postgresql":
        bulk.copy_rows(conn, target, rows)
        return
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(f"INSERT INTO {target} VALUES ({', '.join([mark] * len(columns))})", rows)


def insert_new_dossiers(rows):
    """Insert new dossiers (tuples for ``INSERT_COLUMNS``, as ``insert_rows`` takes them) and
    count them into the tallies, the counting done by the database (``tally.count_in``) rather
    than row by row in Python.

    SQLite: the rows go straight into the dossiers; the new ones are those above the highest id
    before (this transaction holds the one write lock, so no other row can appear meanwhile),
    counted into what is left to reconcile with one statement too (``reconcile.inserting_many``).
    PostgreSQL: others may insert dossiers at the same time, so the rows are first copied into a
    scratch table of this session, counted from there and moved into the dossiers by the server.
    """
    if not rows:
        return
    conn = db.session.connection()
    table = Dossier.__table__
    unit = INSERT_COLUMNS.index("unit_id")
    one_unit = len({row[unit] for row in rows}) == 1  # the province's rows are the unit's
    if conn.dialect.name != "postgresql":
        last_id = conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
        with reconcile.inserting_many(conn, last_id):
            insert_rows(table, INSERT_COLUMNS, rows)
        tally.count_in(
            select(*(table.c[k] for k in tally.KEYS)).where(table.c.id > last_id).subquery(),
            one_unit,
        )
        return
    quote = conn.dialect.identifier_preparer.quote
    columns = ", ".join(map(quote, INSERT_COLUMNS))
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS dossier_import ON COMMIT DELETE ROWS AS "
        f"SELECT {columns} FROM {quote(table.name)} WITH NO DATA"
    )
    conn.exec_driver_sql("TRUNCATE dossier_import")
    bulk.copy_rows(conn, f"dossier_import ({columns})", rows)
    # The scratch rows have the tallies' key columns the import writes (a unit left out is the
    # dossiers' default, the first unit: see ``tally.count_in``).
    keys = [k for k in tally.KEYS if k in INSERT_COLUMNS]
    scratch = sql_table("dossier_import", *(sql_column(k, table.c[k].type) for k in keys))
    tally.count_in(scratch, one_unit)
    conn.exec_driver_sql(
        f"INSERT INTO {quote(table.name)} ({columns}) SELECT {columns} FROM dossier_import"
    )


@contextmanager
def _large_page_cache():
    """On SQLite, a larger page cache while an import writes: the default (2 MB) spills the
    pages of the dossiers' indexes and of the tallies to the WAL and reads them back, which
    costs about a quarter of the writing. The connection's own size is restored afterwards.

    On PostgreSQL, more working memory for the import's counting (``tally.count_in``): with the
    default (4 MB) the grouping of 100.000 dossiers' days and the sort of their day counts go
    through files on disk. Set for this transaction only (``set_config(…, true)``), and put back
    to what it was once written (a failure rolls the transaction and the setting back)."""
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        work_mem = conn.exec_driver_sql("SELECT current_setting('work_mem')").scalar()
        conn.exec_driver_sql(f"SELECT set_config('work_mem', '{PG_IMPORT_WORK_MEM}', true)")
        yield  # a failure ends the transaction, and the setting with it
        conn.exec_driver_sql("SELECT set_config('work_mem', %s, true)", (work_mem,))
        return
    if conn.dialect.name != "sqlite":
        yield
        return
    cache_size = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(cache_size)}")


def _existing_by_code(codes):
    """``{code: (id, *SOURCE_FIELDS values, unit id)}`` of the dossiers among ``codes``, read
    in chunks with plain driver SQL."""
    codes = list(codes)
    if not codes:
        return {}
    conn = db.session.connection()
    preparer = conn.dialect.identifier_preparer
    query = (
        f"SELECT {', '.join(preparer.quote(n) for n in ('code', 'id', *SOURCE_FIELDS, 'unit_id'))} "
        f"FROM {preparer.format_table(Dossier.__table__)} WHERE {preparer.quote('code')} "
    )
    if conn.dialect.name == "postgresql":
        # One parameter per chunk: the codes one a line, split into an array by the server
        # (psycopg would adapt an array parameter element by element in Python), or, should a
        # code hold a line break (the import refuses those), an array.
        chunk_size = ARRAY_LOOKUP_CHUNK

        def statement(chunk):
            lines = "\n".join(chunk)
            if lines.count("\n") == len(chunk) - 1:
                return query + "= ANY(string_to_array(%s, E'\\n'))", (lines,)
            return query + "= ANY(%s)", ([*chunk],)
    else:
        chunk_size = LOOKUP_CHUNK
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"

        def statement(chunk):
            return query + f"IN ({', '.join([mark] * len(chunk))})", tuple(chunk)

    dates = _Processed(Dossier.__table__.c.receive_date_src, "result")  # both dates: one type
    out = {}
    for start in range(0, len(codes), chunk_size):
        rows = conn.exec_driver_sql(*statement(codes[start : start + chunk_size])).all()
        for code, id_, proc_id, r_date, r_channel, t_date, t_channel, unit in rows:
            out[code] = (id_, proc_id, dates[r_date], r_channel, dates[t_date], t_channel, unit)
    return out


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


@dataclass
class PreparedImport:
    """A dossier file read and checked (``read_dossier_file``), not yet written.

    ``rows``: ``(code, procedure code, receive date, receive channel, return date, return
    channel)`` of the good rows; ``procedure_rows``: ``(row number, procedure code)`` of every
    row, for the procedure check, which needs the database and so runs separately.

    The unit of each row (``utils.import_units``): ``unit`` is the import's unit id (set before
    the check), ``unit_cells`` the good rows' ``ma_don_vi`` cells (``None``: no such column),
    ``units`` what the check found (one id, or one a good row). ``numbers`` and ``bad`` are
    the file's row numbers and the indexes of its bad rows (``good_numbers``).
    """

    filename: str
    sha256: str
    report: ImportReport
    rows: list
    procedure_rows: list
    has_return_date: bool
    has_return_channel: bool
    numbers: list = field(default_factory=list)
    bad: set = field(default_factory=set)
    unit_cells: list | None = None
    unit: int | None = None
    units: object = None

    def good_numbers(self):
        """The numbers of the good rows, in the order of ``rows``."""
        if not self.bad:
            return self.numbers
        return list(compress(self.numbers, (i not in self.bad for i in range(len(self.numbers)))))


def import_dossiers(filename, data, user=None, today=None, unit=None):
    """Import the one-stop system's dossier export (docs/formats.md); all or nothing.

    Upserts by dossier code, writing only source values, then recomputes the effective values
    of the dossiers it changed. One audit event for the import, one per existing dossier changed.
    The three steps (``read_dossier_file``, ``check_procedures``, ``write_dossiers``) can run in
    separate transactions: the web page and the command line read and check the whole file
    before the write transaction begins (``utils.transactions.outside_the_write_lock``).

    :param unit: the import's unit id (``utils.import_units``): its rows belong to it.
    :return: an ``ImportReport``; when it is not ``ok`` nothing was written.
    """
    return DOSSIER_IMPORT.at_once(filename, data, user, today, unit)


def import_checked_first(filename, data, user=None, today=None, unit=None):
    """``import_dossiers`` for a caller that owns the transaction (the page, the command line):
    the whole file is read and checked with no write lock held (the transaction so far is
    ended first: ``utils.transactions.ImportSteps.checked_first``), then written in a short write
    transaction that repeats the check needing the database. The caller commits or rolls back.
    """
    return DOSSIER_IMPORT.checked_first(filename, data, user, today, unit)


def read_dossier_file(filename, data, today=None):
    """Read and check a dossier file without the database: every cell, and codes appearing
    twice. :return: a ``PreparedImport`` whose report lists the bad rows found so far."""
    with collector_paused():
        return _read_dossier_file(filename, data, today)


def _read_dossier_file(filename, data, today):
    report = ImportReport()
    read = import_formats.DOSSIERS.read(filename, data, report, today)
    # An absent optional column reads as blank cells: not returned yet.
    parsed = read.good(
        "code", "procedure", "receive_date", "receive_channel", "return_date", "return_channel"
    )
    procedures = (code or "" for code in read.column("procedure"))
    return PreparedImport(
        filename,
        hashlib.sha256(data).hexdigest(),
        report,
        parsed,
        list(zip(read.numbers, procedures)),
        "ngay_tra" in read.present,
        "kenh_tra" in read.present,
        read.numbers,
        read.bad,
        [cell for (cell,) in read.good("unit")] if "ma_don_vi" in read.present else None,
    )


def check_procedures(prepared):
    """Every row's procedure exists (a bad row each where it does not); reads the database.
    :return: ``{procedure code: id}`` of the procedures."""
    ids = dict(db.session.execute(select(Procedure.code, Procedure.id)).all())
    codes = {code for _, code in prepared.procedure_rows} - {""}
    if codes <= ids.keys():
        return ids
    unknown = [
        (number, code) for number, code in prepared.procedure_rows if code and code not in ids
    ]
    for number, code in unknown:
        prepared.report.bad(
            number, "ma_tthc", _l("Unknown procedure code: %(code)s") % {"code": code}
        )
    prepared.report.problems.sort(key=lambda p: p.row)  # in file order, as they were found
    return ids


def check_units(prepared, existing=None):
    """The unit of each row (``utils.import_units``), set as ``prepared.units``, and, on a
    deployment of several units, each known dossier code is its row's unit's (a bad row each
    where it is not, saying only that the code belongs to another unit). Reads the database.

    :param existing: ``_existing_by_code`` of the file's codes, read by the write. Without it
        (the check before the write) the codes are checked only in a file refused already, so
        that its report lists every bad row: a good file's are checked by the write, with the
        dossiers it reads anyway in its own transaction, instead of being read twice."""
    if prepared.units is None:
        prepared.units = import_units.rows_units(
            prepared.report, prepared.unit, prepared.good_numbers(), prepared.unit_cells
        )
    if prepared.units is None or not import_units.several_units():
        return
    if existing is None:
        if prepared.report.ok:
            return
        existing = _existing_by_code(row[0] for row in prepared.rows)
    if not existing:  # a file of new dossiers only: no code can be another unit's
        return
    report, found = prepared.report, len(prepared.report.problems)
    units = prepared.units if isinstance(prepared.units, list) else repeat(prepared.units)
    for (code, *_), number, unit_id in zip(prepared.rows, prepared.good_numbers(), units):
        old = existing.get(code)
        if old is not None and unit_id is not None:
            try:
                rules.same_unit(old[-1], unit_id, code)
            except CellError as e:
                report.bad(number, "ma_ho_so", e)
    if len(report.problems) > found:
        report.problems.sort(key=lambda p: p.row)  # in file order, as they were found


def check_dossier_file(prepared):
    """The checks of a read file that need the database: every row's procedure exists, its
    unit too and, in a file refused already, its dossier code is not another unit's (the write
    checks a good file's: ``check_units``). :return: ``{procedure code: id}``."""
    ids = check_procedures(prepared)
    check_units(prepared)
    return ids


def write_dossiers(prepared, user=None):
    """Write a checked file (``read_dossier_file``): the procedure check is repeated first, in
    this transaction, and nothing is written if it fails. Adds and flushes; the caller commits.
    """
    with collector_paused():
        return _write_dossiers(prepared, user)


def _write_dossiers(prepared, user):
    report = prepared.report
    ids = check_procedures(prepared)
    if not report.ok:
        return report
    existing = _existing_by_code(row[0] for row in prepared.rows)
    check_units(prepared, existing)
    if not report.ok:
        return report
    parsed = [(code, ids[proc], *rest) for code, proc, *rest in prepared.rows]
    new_rows, changes, audit_items = _sort_rows(prepared, parsed, existing)
    _write_rows(new_rows, changes)
    report.created, report.updated = len(new_rows), len(changes)
    audit.record_import(
        "dossier.import",
        prepared.filename,
        prepared,
        len(parsed),
        user=user,
        warnings=len(report.warnings),
        **import_units.audited(prepared.unit),
    )
    audit.record_many("dossier.import_update", "dossier", audit_items, user=user, jsonable=True)
    db.session.flush()
    return report


def _sort_rows(prepared, parsed, existing):
    """The file's rows sorted into new dossiers (rows to insert, in their unit), changed ones
    (the update's parameters and their audit items) and unchanged ones (counted in the report).
    A file without return columns keeps the stored return values. ``existing``:
    ``_existing_by_code`` of the file's codes (each one its row's unit's: ``check_units``)."""
    has_return_date, has_return_channel = prepared.has_return_date, prepared.has_return_channel
    units = prepared.units if isinstance(prepared.units, list) else repeat(prepared.units)
    columns = Dossier.__table__.c
    dates = _Processed(columns.receive_date_src, "bind")  # the four date columns: one type
    now = _Processed(columns.created_at, "bind")[utcnow()]
    new_rows, changes, audit_items = [], [], []
    for (code, proc_id, r_date, r_channel, t_date, t_channel), unit_id in zip(parsed, units):
        old = existing.get(code)
        if old is None:
            # A new dossier has no shipment yet: its effective values are its source values.
            r_value, t_value = dates[r_date], dates[t_date]
            new_rows.append(
                (
                    code,
                    proc_id,
                    r_value,
                    r_channel,
                    t_value,
                    t_channel,
                    r_value,
                    r_channel,
                    t_value,
                    t_channel,
                    now,
                    unit_id,
                )
            )
            continue
        dossier_id, *current, _unit = old
        wanted = [
            proc_id,
            r_date,
            r_channel,
            t_date if has_return_date else current[3],
            t_channel if has_return_channel else current[4],
        ]
        if wanted == current:
            prepared.report.unchanged += 1
            continue
        changes.append(
            {
                "b_id": dossier_id,
                **{f"b_{name}": value for name, value in zip(SOURCE_FIELDS, wanted)},
            }
        )
        keys = [i for i, name in enumerate(SOURCE_FIELDS) if wanted[i] != current[i]]
        audit_items.append(
            (
                dossier_id,
                {SOURCE_FIELDS[i]: _plain(current[i]) for i in keys},
                {SOURCE_FIELDS[i]: _plain(wanted[i]) for i in keys},
            )
        )
    return new_rows, changes, audit_items


def _write_rows(new_rows, changes):
    """Insert the new dossiers and update the changed ones, their tallies following."""
    columns = Dossier.__table__.c
    with _large_page_cache():
        insert_new_dossiers(new_rows)
        if changes:
            # One executemany writes the new source values and the effective values they give
            # (the same rule as ``recompute_effective``, fed with the new values).
            params = {f: bindparam(f"b_{f}", type_=columns[f].type) for f in SOURCE_FIELDS}
            with tally.changing(change["b_id"] for change in changes):
                db.session.execute(
                    update(Dossier.__table__)
                    .where(columns.id == bindparam("b_id"))
                    .values({**params, **effective_values(params)}),
                    changes,
                )


# The import's steps (``utils.transactions.ImportSteps``), once the functions above exist.
DOSSIER_IMPORT = ImportSteps(
    read_dossier_file, lambda prepared, _user: check_dossier_file(prepared), write_dossiers
)
