"""Dossier rules: the source/effective rule of docs/figures.md, the one-stop import, search.

Imports change only the ``*_src`` values; shipments change only the effective ones. The rule lives
in one place, ``effective_values`` (SQL expressions); ``recompute_effective`` applies it to given
dossiers after a shipment changes, and the import applies it in the same statement that writes the
new source values. Services add and flush, never commit.
"""
import hashlib
import time
from contextlib import contextmanager
from functools import lru_cache
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, case, exists, func, or_, select, update
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table

from extensions import db
from models import AuditEvent, Department, Dossier, Procedure, Shipment, utcnow
from utils import audit, bulk, import_formats, tally
from utils.tabular import (CellError, ImportReport, TableError, collector_paused, parse_channel,
                           parse_date, read_table)
from utils.text import escape_like, fold, nfc
from utils.transactions import outside_the_write_lock
from utils.validators import DOSSIER_CODE_RE

CHUNK = 1000
# The file's columns, declared with their help and sample cells in ``utils.import_formats``.
DOSSIER_COLUMNS = import_formats.DOSSIERS.required
DOSSIER_OPTIONAL = import_formats.DOSSIERS.optional
SOURCE_FIELDS = ("procedure_id", "receive_date_src", "receive_channel_src", "return_date_src",
                 "return_channel_src")


class DossierError(ValueError):
    """A rule refused a dossier change; ``str(e)`` is a translated message."""


def _live(direction):
    return and_(Shipment.dossier_id == Dossier.id, Shipment.direction == direction,
                Shipment.cancelled.is_(False))


def effective_values(source=None):
    """The rule of docs/figures.md ("Source and effective values") as SQL: the effective
    columns as expressions of the dossier's source values and its live (non-cancelled)
    shipments.

    :param source: expressions for the four source values (``receive_channel_src``…); by default
        the stored columns. An import passes the new values as bind parameters, so one UPDATE
        writes the source values and the effective values they give.
    """
    source = source or {name: getattr(Dossier, name) for name in
                        ("receive_channel_src", "receive_date_src", "return_channel_src",
                         "return_date_src")}

    def has_live(direction):
        return exists().where(_live(direction))

    def earliest(direction):
        return select(func.min(Shipment.date)).where(_live(direction)).scalar_subquery()

    return {
        "receive_channel": case((has_live("tiep_nhan"), "bcci"), else_=source["receive_channel_src"]),
        "receive_date": func.coalesce(source["receive_date_src"], earliest("tiep_nhan")),
        "return_channel": case((has_live("tra_ket_qua"), "bcci"), else_=source["return_channel_src"]),
        "return_date": func.coalesce(source["return_date_src"], earliest("tra_ket_qua")),
    }


@lru_cache(maxsize=1)
def _recompute_statements():
    """The statements of ``recompute_effective``, built once per process: composing the rule's
    expressions costs more than running them for one dossier (the counter's save)."""
    ids = Dossier.id.in_(bindparam("ids", expanding=True))
    plain = {"receive_channel": Dossier.receive_channel_src,
             "receive_date": Dossier.receive_date_src,
             "return_channel": Dossier.return_channel_src,
             "return_date": Dossier.return_date_src}
    return (
        select(Shipment.dossier_id).where(Shipment.dossier_id.in_(
            bindparam("ids", expanding=True))).distinct(),
        update(Dossier).where(ids).values(**plain).execution_options(synchronize_session=False),
        update(Dossier).where(ids).values(**effective_values())
        .execution_options(synchronize_session=False),
    )


def recompute_effective(dossier_ids):
    """Set the effective channel and date of each direction of the given dossiers (section 4).

    Effective channel: ``bcci`` while the dossier has a non-cancelled shipment in that direction,
    else the source channel. Effective date: the source date, or, where the source gave none, the
    earliest non-cancelled shipment's date. One UPDATE per chunk of ids, done by the database.
    """
    ids = sorted({int(i) for i in dossier_ids if i is not None})
    if not ids:
        return 0
    db.session.flush()
    shipped_stmt, plain, values = _recompute_statements()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        shipped = set(db.session.execute(shipped_stmt, {"ids": chunk}).scalars())
        # Without any shipment the rule reduces to the source values: a cheaper statement.
        with tally.changing(chunk):
            for subset, stmt in (([i for i in chunk if i not in shipped], plain),
                                 (sorted(shipped), values)):
                if subset:
                    db.session.execute(stmt, {"ids": subset})
    # Objects already loaded in this session must not keep the values the database replaced.
    wanted = set(ids)
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Dossier) and obj.id in wanted:
            db.session.expire(obj)
    return len(ids)


# --- Lookups ---------------------------------------------------------------------------------

def find_dossier(code):
    """The dossier with this code (trimmed, NFC), or ``None``."""
    code = nfc(code or "")
    if not code:
        return None
    return db.session.execute(select(Dossier).where(Dossier.code == code)).scalar_one_or_none()


def find_procedure(code):
    code = nfc(code or "")
    if not code:
        return None
    return db.session.execute(select(Procedure).where(Procedure.code == code)).scalar_one_or_none()


def create_dossier(code, procedure, receive_channel, receive_date, user=None):
    """Create a dossier from the log form (its source: the form). Audited.

    :raise DossierError: the code exists already.
    """
    code = nfc(code)
    if find_dossier(code) is not None:
        raise DossierError(str(_l("A dossier with this code exists already.")))
    dossier = Dossier(code=code, procedure_id=procedure.id,
                      receive_channel_src=receive_channel, receive_date_src=receive_date,
                      receive_channel=receive_channel, receive_date=receive_date)
    db.session.add(dossier)
    db.session.flush()
    audit.record("dossier.create", "dossier", dossier.id, None,
                 {"code": code, "procedure": procedure.code, "receive_channel_src": receive_channel,
                  "receive_date_src": receive_date}, user=user)
    return dossier


# --- Search ----------------------------------------------------------------------------------

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

    def conditions(self):
        out = []
        receive = self.direction != "tra_ket_qua"
        date_col = Dossier.receive_date if receive else Dossier.return_date
        channel_col = Dossier.receive_channel if receive else Dossier.return_channel
        src_col = Dossier.receive_channel_src if receive else Dossier.return_channel_src
        if self.procedure_id:
            out.append(Dossier.procedure_id == self.procedure_id)
        if self.unlogged:
            from utils.figures import unlogged_postal_condition

            out.append(unlogged_postal_condition(self.direction))
        if self.by_post and self.period is not None:
            from utils.figures import postal_either_condition

            out.append(postal_either_condition(self.period))
        if self.q:
            out.append(Dossier.code.like(f"%{escape_like(self.q)}%", escape="\\"))
        if self.procedure:
            text = escape_like(fold(self.procedure))
            out.append(or_(Procedure.code.like(f"{escape_like(self.procedure)}%", escape="\\"),
                           Procedure.name_folded.like(f"%{text}%", escape="\\")))
        if self.channel:
            out.append(channel_col == self.channel)
        if self.source_channel:
            out.append(src_col == self.source_channel)
        if self.period is not None and not self.by_post:
            out.append(date_col >= self.period.start)
            out.append(date_col <= self.period.end)
        if self.department_id:
            out.append(Procedure.department_id == self.department_id)
        if self.field_id:
            out.append(Procedure.field_id == self.field_id)
        return out


def search_dossiers(filters, page=1, per_page=50):
    """``(dossiers, total)`` matching ``filters``, newest receive date first."""
    conditions = filters.conditions()
    base = select(Dossier).join(Procedure, Procedure.id == Dossier.procedure_id).where(*conditions)
    total = db.session.execute(
        select(func.count()).select_from(Dossier)
        .join(Procedure, Procedure.id == Dossier.procedure_id).where(*conditions)).scalar_one()
    rows = db.session.execute(
        base.order_by(Dossier.receive_date.desc(), Dossier.code.desc())
        .limit(per_page).offset((page - 1) * per_page)).scalars().all()
    return rows, int(total)


def export_rows(filters, limit=None):
    """Rows for the dossier export: the one-stop columns (source values), then effective ones."""
    stmt = (select(Dossier.code, Procedure.code, Dossier.receive_date_src, Dossier.receive_channel_src,
                   Dossier.return_date_src, Dossier.return_channel_src, Dossier.receive_date,
                   Dossier.receive_channel, Dossier.return_date, Dossier.return_channel,
                   Department.code)
            .join(Procedure, Procedure.id == Dossier.procedure_id)
            .join(Department, Department.id == Procedure.department_id)
            .where(*filters.conditions()).order_by(Dossier.code))
    if limit:
        stmt = stmt.limit(limit)
    return db.session.execute(stmt).all()


EXPORT_COLUMNS = ("ma_ho_so", "ma_tthc", "ngay_tiep_nhan", "kenh_tiep_nhan", "ngay_tra", "kenh_tra",
                  "ngay_tiep_nhan_hieu_luc", "kenh_tiep_nhan_hieu_luc", "ngay_tra_hieu_luc",
                  "kenh_tra_hieu_luc", "don_vi")


def history(dossier):
    """Audit events of the dossier and of its shipments, newest first."""
    shipment_ids = [str(s.id) for s in dossier.shipments]
    cond = and_(AuditEvent.object_type == "dossier", AuditEvent.object_id == str(dossier.id))
    if shipment_ids:
        cond = or_(cond, and_(AuditEvent.object_type == "shipment",
                              AuditEvent.object_id.in_(shipment_ids)))
    return db.session.execute(
        select(AuditEvent).where(cond).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(200)).scalars().all()


# --- The one-stop import ---------------------------------------------------------------------
#
# A one-stop export holds tens of thousands of rows, so the import works on plain tuples: the
# cells come from ``Table.records``; each distinct cell (a few hundred dates, three channels,
# three hundred procedure codes) is parsed once; existing dossiers are read and new ones written
# with plain driver SQL (COPY on PostgreSQL), each distinct value passed once through its column
# type, so the database holds exactly what a Core statement would have stored.

IMPORT_CELLS = (*DOSSIER_COLUMNS, *DOSSIER_OPTIONAL)
INSERT_COLUMNS = ("code", *SOURCE_FIELDS, "receive_date", "receive_channel", "return_date",
                  "return_channel", "created_at")
LOOKUP_CHUNK = 1000  # codes per query: under every driver's limit of bound parameters
ARRAY_LOOKUP_CHUNK = 20000  # codes per PostgreSQL query, passed as one array
SQLITE_IMPORT_CACHE_KIB = 65536  # page cache while an import writes: index pages stay in memory


class _Cells(dict):
    """``cells[raw]``: ``(True, value)`` or ``(False, CellError)`` from ``parse`` of the stripped
    cell; each distinct cell is parsed once (an export holds a few hundred distinct dates and
    three channels across tens of thousands of rows)."""

    def __init__(self, parse):
        super().__init__()
        self.parse = parse

    def __missing__(self, raw):
        if raw.__class__ is str:
            key, cell = raw, raw.strip()
        else:  # 1, 1.0 and True are one key of a dict, yet different cells
            key, cell = (raw.__class__, raw), raw
            if key in self:
                return self[key]
        try:
            hit = (True, self.parse(cell))
        except CellError as e:
            hit = (False, e)
        self[key] = hit
        return hit


class _Processed(dict):
    """``values[v]``: ``v`` through a column type's bind or result processor for the session's
    dialect, each distinct value once; ``None`` stays ``None``."""

    def __init__(self, column, kind):
        super().__init__()
        dialect = db.session.get_bind().dialect
        impl = column.type.dialect_impl(dialect)
        self.process = (impl.bind_processor(dialect) if kind == "bind"
                        else impl.result_processor(dialect, None))

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
    before (this transaction holds the one write lock, so no other row can appear meanwhile).
    PostgreSQL: others may insert dossiers at the same time, so the rows are first copied into a
    scratch table of this session, counted from there and moved into the dossiers by the server.
    """
    if not rows:
        return
    conn = db.session.connection()
    table = Dossier.__table__
    if conn.dialect.name != "postgresql":
        last_id = conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
        insert_rows(table, INSERT_COLUMNS, rows)
        tally.count_in(select(*(table.c[k] for k in tally.KEYS))
                       .where(table.c.id > last_id).subquery())
        return
    quote = conn.dialect.identifier_preparer.quote
    columns = ", ".join(map(quote, INSERT_COLUMNS))
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS dossier_import ON COMMIT DELETE ROWS AS "
        f"SELECT {columns} FROM {quote(table.name)} WITH NO DATA")
    conn.exec_driver_sql("TRUNCATE dossier_import")
    bulk.copy_rows(conn, f"dossier_import ({columns})", rows)
    scratch = sql_table("dossier_import", *(sql_column(k, table.c[k].type) for k in tally.KEYS))
    tally.count_in(scratch)
    conn.exec_driver_sql(f"INSERT INTO {quote(table.name)} ({columns}) "
                         f"SELECT {columns} FROM dossier_import")


@contextmanager
def _large_page_cache():
    """On SQLite, a larger page cache while an import writes: the default (2 MB) spills the
    pages of the dossiers' indexes and of the tallies to the WAL and reads them back, which
    costs about a quarter of the writing. The connection's own size is restored afterwards."""
    conn = db.session.connection()
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
    """``{code: (id, *SOURCE_FIELDS values)}`` of the dossiers among ``codes``, read in chunks
    with plain driver SQL."""
    codes = list(codes)
    if not codes:
        return {}
    conn = db.session.connection()
    preparer = conn.dialect.identifier_preparer
    query = (f"SELECT {', '.join(preparer.quote(n) for n in ('code', 'id', *SOURCE_FIELDS))} "
             f"FROM {preparer.format_table(Dossier.__table__)} WHERE {preparer.quote('code')} ")
    if conn.dialect.name == "postgresql":
        # One array parameter per chunk: a statement psycopg need not re-parse for each chunk.
        chunk_size = ARRAY_LOOKUP_CHUNK

        def statement(chunk):
            return query + "= ANY(%s)", ([*chunk],)
    else:
        chunk_size = LOOKUP_CHUNK
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"

        def statement(chunk):
            return query + f"IN ({', '.join([mark] * len(chunk))})", tuple(chunk)
    dates = _Processed(Dossier.__table__.c.receive_date_src, "result")  # both dates: one type
    out = {}
    for start in range(0, len(codes), chunk_size):
        rows = conn.exec_driver_sql(*statement(codes[start:start + chunk_size])).all()
        for code, id_, proc_id, r_date, r_channel, t_date, t_channel in rows:
            out[code] = (id_, proc_id, dates[r_date], r_channel, dates[t_date], t_channel)
    return out


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


class _Codes(dict):
    """``codes[raw]``: the procedure code a cell names (NFC text, ``""`` when blank); each
    distinct cell normalised once."""

    def __missing__(self, raw):
        key = raw if raw.__class__ is str else (raw.__class__, raw)
        if key is not raw and key in self:
            return self[key]
        code = self[key] = nfc(str(raw)) if raw not in (None, "") else ""
        return code


@dataclass
class PreparedImport:
    """A dossier file read and checked (``read_dossier_file``), not yet written.

    ``rows``: ``(code, procedure code, receive date, receive channel, return date, return
    channel)`` of the good rows; ``procedure_rows``: ``(row number, procedure code)`` of every
    row, for the procedure check, which needs the database and so runs separately.
    """

    filename: str
    sha256: str
    report: ImportReport
    rows: list
    procedure_rows: list
    has_return_date: bool
    has_return_channel: bool


def import_dossiers(filename, data, user=None, today=None):
    """Import the one-stop system's dossier export (docs/formats.md); all or nothing.

    Upserts by dossier code, writing only source values, then recomputes the effective values
    of the dossiers it changed. One audit event for the import, one per existing dossier changed.
    The three steps (``read_dossier_file``, ``check_procedures``, ``write_dossiers``) can run in
    separate transactions: the web page and the command line read and check the whole file
    before the write transaction begins (``utils.transactions.outside_the_write_lock``).

    :return: an ``ImportReport``; when it is not ``ok`` nothing was written.
    """
    prepared = read_dossier_file(filename, data, today)
    check_procedures(prepared)
    if not prepared.report.ok:
        return prepared.report
    return write_dossiers(prepared, user)


def import_checked_first(filename, data, user=None, today=None):
    """``import_dossiers`` for a caller that owns the transaction (the page, the command line):
    the whole file is read and checked with no write lock held (the transaction so far is
    ended first: ``utils.transactions.outside_the_write_lock``), then written in a short write
    transaction that repeats the check needing the database. The caller commits or rolls back.
    """
    def read_and_check():
        prepared = read_dossier_file(filename, data, today)
        check_procedures(prepared)
        return prepared

    started = time.perf_counter()
    prepared = outside_the_write_lock(read_and_check)
    prepared.report.read_seconds = time.perf_counter() - started
    if not prepared.report.ok:
        return prepared.report
    started = time.perf_counter()
    report = write_dossiers(prepared, user)
    report.write_seconds = time.perf_counter() - started  # the caller adds its commit
    return report


def read_dossier_file(filename, data, today=None):
    """Read and check a dossier file without the database: every cell, and codes appearing
    twice. :return: a ``PreparedImport`` whose report lists the bad rows found so far."""
    with collector_paused():
        return _read_dossier_file(filename, data, today)


def _read_dossier_file(filename, data, today):
    report = ImportReport()
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        table = read_table(filename, data, DOSSIER_COLUMNS, DOSSIER_OPTIONAL)
    except TableError as e:
        report.bad(1, "", e)
        return PreparedImport(filename, sha256, report, [], [], False, False)
    has_return_date = "ngay_tra" in table.columns
    has_return_channel = "kenh_tra" in table.columns
    procedure_codes = _Codes()
    # An absent optional column reads as blank cells, which these parsers accept.
    receive_dates = _Cells(lambda v: parse_date(v, today=today))
    receive_channels = _Cells(parse_channel)
    return_dates = _Cells(lambda v: parse_date(v, today=today, required=False))
    return_channels = _Cells(lambda v: parse_channel(v, required=False))
    usual_code = DOSSIER_CODE_RE.match

    parsed = []  # (code, procedure code, receive date, receive channel, return date, return channel)
    procedure_rows = []  # (row number, procedure code) of every row
    first_row = {}  # code -> the first row holding it
    repeated = {}  # code -> every row holding it, when more than one
    for number, code, proc, r_date, r_channel, t_date, t_channel in table.records(IMPORT_CELLS):
        bad = False
        if code.__class__ is str and code.isascii():
            code = code.strip()  # what nfc() gives for ASCII text, without the call
        else:
            code = nfc(str(code)) if code not in (None, "") else ""
        if not code:
            report.bad(number, "ma_ho_so", _l("This column must not be blank."))
            bad = True
        elif len(code) > 60:
            report.bad(number, "ma_ho_so", _l("Longer than %(n)s characters.") % {"n": 60})
            bad = True
        else:
            first = first_row.setdefault(code, number)
            if first != number:
                repeated.setdefault(code, [first]).append(number)
            if not usual_code(code):
                report.warn(number, "ma_ho_so",
                            _l("Unusual dossier code shape (accepted): %(code)s") % {"code": code})
        proc_code = procedure_codes[proc]
        procedure_rows.append((number, proc_code))
        if not proc_code:
            report.bad(number, "ma_tthc", _l("This column must not be blank."))
            bad = True
        ok, r_date = receive_dates[r_date]
        if not ok:
            report.bad(number, "ngay_tiep_nhan", r_date)
            bad, r_date = True, None
        ok, r_channel = receive_channels[r_channel]
        if not ok:
            report.bad(number, "kenh_tiep_nhan", r_channel)
            bad = True
        ok, t_date = return_dates[t_date]
        if not ok:
            report.bad(number, "ngay_tra", t_date)
            bad, t_date = True, None
        ok, t_channel = return_channels[t_channel]
        if not ok:
            report.bad(number, "kenh_tra", t_channel)
            bad = True
        if r_date and t_date and t_date < r_date:
            report.bad(number, "ngay_tra", _l("The return date is before the receive date."))
            bad = True
        if not bad:
            parsed.append((code, proc_code, r_date, r_channel, t_date, t_channel))
    for code, numbers in sorted(repeated.items(), key=lambda item: item[1][0]):
        for number in numbers:
            others = ", ".join(str(n) for n in numbers if n != number)
            report.bad(number, "ma_ho_so",
                       _l("Dossier code %(code)s appears twice in the file (also row %(rows)s).")
                       % {"code": code, "rows": others})
    return PreparedImport(filename, sha256, report, parsed, procedure_rows, has_return_date,
                          has_return_channel)


def check_procedures(prepared):
    """Every row's procedure exists (a bad row each where it does not); reads the database.
    :return: ``{procedure code: id}`` of the procedures."""
    ids = dict(db.session.execute(select(Procedure.code, Procedure.id)).all())
    codes = {code for _, code in prepared.procedure_rows} - {""}
    if codes <= ids.keys():
        return ids
    unknown = [(number, code) for number, code in prepared.procedure_rows
               if code and code not in ids]
    for number, code in unknown:
        prepared.report.bad(number, "ma_tthc",
                            _l("Unknown procedure code: %(code)s") % {"code": code})
    prepared.report.problems.sort(key=lambda p: p.row)  # in file order, as they were found
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
    filename, has_return_date = prepared.filename, prepared.has_return_date
    has_return_channel = prepared.has_return_channel
    parsed = [(code, ids[proc], *rest) for code, proc, *rest in prepared.rows]
    existing = _existing_by_code(row[0] for row in parsed)
    columns = Dossier.__table__.c
    dates = _Processed(columns.receive_date_src, "bind")  # the four date columns: one type
    now = _Processed(columns.created_at, "bind")[utcnow()]
    new_rows, changes, audit_items = [], [], []
    for code, proc_id, r_date, r_channel, t_date, t_channel in parsed:
        old = existing.get(code)
        if old is None:
            # A new dossier has no shipment yet: its effective values are its source values.
            r_value, t_value = dates[r_date], dates[t_date]
            new_rows.append((code, proc_id, r_value, r_channel, t_value, t_channel,
                             r_value, r_channel, t_value, t_channel, now))
            continue
        dossier_id, *current = old
        wanted = [proc_id, r_date, r_channel,
                  t_date if has_return_date else current[3],
                  t_channel if has_return_channel else current[4]]
        if wanted == current:
            report.unchanged += 1
            continue
        changes.append({"b_id": dossier_id,
                        **{f"b_{name}": value for name, value in zip(SOURCE_FIELDS, wanted)}})
        keys = [i for i, name in enumerate(SOURCE_FIELDS) if wanted[i] != current[i]]
        audit_items.append((dossier_id, {SOURCE_FIELDS[i]: _plain(current[i]) for i in keys},
                            {SOURCE_FIELDS[i]: _plain(wanted[i]) for i in keys}))

    with _large_page_cache():
        insert_new_dossiers(new_rows)
        if changes:
            # One executemany writes the new source values and the effective values they give
            # (the same rule as ``recompute_effective``, fed with the new values).
            params = {f: bindparam(f"b_{f}", type_=columns[f].type) for f in SOURCE_FIELDS}
            with tally.changing(change["b_id"] for change in changes):
                db.session.execute(
                    update(Dossier.__table__).where(columns.id == bindparam("b_id"))
                    .values({**params, **effective_values(params)}),
                    changes)
    report.created, report.updated = len(new_rows), len(changes)
    audit.record("dossier.import", "import", filename, None, {
        "file": filename, "sha256": prepared.sha256, "rows": len(parsed),
        "created": report.created, "updated": report.updated, "unchanged": report.unchanged,
        "warnings": len(report.warnings)}, user=user)
    audit.record_many("dossier.import_update", "dossier", audit_items, user=user, jsonable=True)
    db.session.flush()
    return report
