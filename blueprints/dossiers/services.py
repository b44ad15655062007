"""Dossier rules: the source/effective rule of DOMAIN.md section 4, the one-stop import, search.

Imports change only the ``*_src`` values; shipments change only the effective ones. The rule lives
in one place, ``effective_values`` (SQL expressions); ``recompute_effective`` applies it to given
dossiers after a shipment changes, and the import applies it in the same statement that writes the
new source values. Services add and flush, never commit.
"""
import hashlib
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, case, exists, func, or_, select, update

from extensions import db
from models import AuditEvent, Department, Dossier, Procedure, Shipment, utcnow
from utils import audit
from utils.tabular import CellError, ImportReport, TableError, parse_channel, parse_date, read_table
from utils.text import escape_like, fold, nfc
from utils.validators import is_usual_dossier_code

CHUNK = 1000
DOSSIER_COLUMNS = ("ma_ho_so", "ma_tthc", "ngay_tiep_nhan", "kenh_tiep_nhan")
DOSSIER_OPTIONAL = ("ngay_tra", "kenh_tra")
SOURCE_FIELDS = ("procedure_id", "receive_date_src", "receive_channel_src", "return_date_src",
                 "return_channel_src")


class DossierError(ValueError):
    """A rule refused a dossier change; ``str(e)`` is a translated message."""


def _live(direction):
    return and_(Shipment.dossier_id == Dossier.id, Shipment.direction == direction,
                Shipment.cancelled.is_(False))


def effective_values(source=None):
    """The rule of DOMAIN.md section 4 as SQL: the effective columns as expressions of the
    dossier's source values and its live (non-cancelled) shipments.

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
    values = effective_values()
    plain = {"receive_channel": Dossier.receive_channel_src, "receive_date": Dossier.receive_date_src,
             "return_channel": Dossier.return_channel_src, "return_date": Dossier.return_date_src}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        shipped = set(db.session.execute(
            select(Shipment.dossier_id).where(Shipment.dossier_id.in_(chunk)).distinct()).scalars())
        # Without any shipment the rule reduces to the source values: a cheaper statement.
        for subset, assignments in (([i for i in chunk if i not in shipped], plain),
                                    (sorted(shipped), values)):
            if subset:
                db.session.execute(
                    update(Dossier).where(Dossier.id.in_(subset)).values(**assignments)
                    .execution_options(synchronize_session=False))
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

    def conditions(self):
        out = []
        receive = self.direction != "tra_ket_qua"
        date_col = Dossier.receive_date if receive else Dossier.return_date
        channel_col = Dossier.receive_channel if receive else Dossier.return_channel
        src_col = Dossier.receive_channel_src if receive else Dossier.return_channel_src
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
        if self.period is not None:
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

def insert_rows(table, rows):
    """Insert ``rows`` (dicts with the same keys) with one ``executemany`` on the driver's cursor,
    in the session's transaction.

    A Core ``insert`` runs every parameter of every row through the column type's processor in
    Python; for 100.000 dossiers that costs more than the database's own insert. Here each
    distinct value (a few hundred dates, one timestamp) is processed once, by the same processors,
    so the stored values are exactly those a Core insert would store.
    """
    if not rows:
        return
    columns = list(rows[0])
    conn = db.session.connection()
    dialect = conn.dialect
    converters = []
    for name in columns:
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if process is None:
            converters.append(None)
            continue
        memo = {}

        def convert(value, process=process, memo=memo):
            try:
                return memo[value]
            except KeyError:
                memo[value] = out = process(value)
                return out
        converters.append(convert)
    preparer = dialect.identifier_preparer
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (f"INSERT INTO {preparer.format_table(table)} "
           f"({', '.join(preparer.quote(c) for c in columns)}) "
           f"VALUES ({', '.join([mark] * len(columns))})")
    pairs = list(zip(columns, converters))
    conn.exec_driver_sql(sql, [
        tuple(row[c] if f is None or row[c] is None else f(row[c]) for c, f in pairs)
        for row in rows])


def _existing_by_code(codes):
    """``{code: row}`` of the dossiers among ``codes`` (chunked IN queries)."""
    out = {}
    codes = list(codes)
    cols = (Dossier.id, Dossier.code, *(getattr(Dossier, f) for f in SOURCE_FIELDS))
    for start in range(0, len(codes), CHUNK):
        chunk = codes[start:start + CHUNK]
        for row in db.session.execute(select(*cols).where(Dossier.code.in_(chunk))):
            out[row.code] = row
    return out


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _memoised(parsers):
    """``parse(column, raw)`` remembering each distinct raw cell per column: an export holds a
    few hundred distinct dates and three channels across tens of thousands of rows.
    """
    memo = {column: {} for column in parsers}

    def parse(column, raw):
        if isinstance(raw, str):
            raw = raw.strip()
        seen = memo[column]
        try:
            key = (type(raw), raw)
            hit = seen.get(key)
        except TypeError:  # an unhashable cell value: parse it directly
            return parsers[column](raw)
        if hit is None:
            try:
                hit = (True, parsers[column](raw))
            except CellError as e:
                hit = (False, e)
            seen[key] = hit
        if hit[0]:
            return hit[1]
        raise hit[1]

    return parse


def import_dossiers(filename, data, user=None, today=None):
    """Import the one-stop system's dossier export (DOMAIN.md section 6); all or nothing.

    Upserts by dossier code, writing only source values, then recomputes the effective values
    of the dossiers it changed. One audit event for the import, one per existing dossier changed.

    :return: an ``ImportReport``; when it is not ``ok`` nothing was written.
    """
    report = ImportReport()
    try:
        table = read_table(filename, data, DOSSIER_COLUMNS, DOSSIER_OPTIONAL)
    except TableError as e:
        report.bad(1, "", e)
        return report
    has_return_date = "ngay_tra" in table.columns
    has_return_channel = "kenh_tra" in table.columns
    procedures = dict(db.session.execute(select(Procedure.code, Procedure.id)).all())

    parse_cell = _memoised({
        "ngay_tiep_nhan": lambda v: parse_date(v, today=today),
        "kenh_tiep_nhan": parse_channel,
        "ngay_tra": lambda v: parse_date(v, today=today, required=False),
        "kenh_tra": lambda v: parse_channel(v, required=False),
    })
    cell_columns = [c for c in (("ngay_tiep_nhan", "receive_date_src"),
                                ("kenh_tiep_nhan", "receive_channel_src"),
                                ("ngay_tra", "return_date_src"),
                                ("kenh_tra", "return_channel_src")) if c[0] in table.columns]
    parsed = []
    rows_by_code = {}
    for row in table.rows:
        cells = row.cells
        values, bad = {}, False
        code = cells.get("ma_ho_so")
        code = nfc(str(code)) if code not in (None, "") else ""
        if not code:
            report.bad(row.number, "ma_ho_so", _l("This column must not be blank."))
            bad = True
        elif len(code) > 60:
            report.bad(row.number, "ma_ho_so", _l("Longer than %(n)s characters.") % {"n": 60})
            bad = True
        else:
            values["code"] = code
            rows_by_code.setdefault(code, []).append(row.number)
            if not is_usual_dossier_code(code):
                report.warn(row.number, "ma_ho_so",
                            _l("Unusual dossier code shape (accepted): %(code)s") % {"code": code})
        proc_code = cells.get("ma_tthc")
        proc_code = nfc(str(proc_code)) if proc_code not in (None, "") else ""
        if not proc_code:
            report.bad(row.number, "ma_tthc", _l("This column must not be blank."))
            bad = True
        elif proc_code not in procedures:
            report.bad(row.number, "ma_tthc",
                       _l("Unknown procedure code: %(code)s") % {"code": proc_code})
            bad = True
        else:
            values["procedure_id"] = procedures[proc_code]
        for column, key in cell_columns:
            try:
                values[key] = parse_cell(column, cells.get(column))
            except CellError as e:
                report.bad(row.number, column, e)
                bad = True
        received, returned = values.get("receive_date_src"), values.get("return_date_src")
        if received and returned and returned < received:
            report.bad(row.number, "ngay_tra", _l("The return date is before the receive date."))
            bad = True
        if not bad:
            parsed.append((row.number, values))
    for code, numbers in rows_by_code.items():
        if len(numbers) > 1:
            for number in numbers:
                others = ", ".join(str(n) for n in numbers if n != number)
                report.bad(number, "ma_ho_so",
                           _l("Dossier code %(code)s appears twice in the file (also row %(rows)s).")
                           % {"code": code, "rows": others})
    if not report.ok:
        return report

    existing = _existing_by_code(values["code"] for _, values in parsed)
    new_rows, changes, audit_items = [], [], []
    for _, values in parsed:
        old = existing.get(values["code"])
        if old is None:
            row = {
                "code": values["code"], "procedure_id": values["procedure_id"],
                "receive_date_src": values["receive_date_src"],
                "receive_channel_src": values["receive_channel_src"],
                "return_date_src": values.get("return_date_src"),
                "return_channel_src": values.get("return_channel_src"),
            }
            # A new dossier has no shipment yet: its effective values are its source values.
            row.update(receive_date=row["receive_date_src"], receive_channel=row["receive_channel_src"],
                       return_date=row["return_date_src"], return_channel=row["return_channel_src"])
            new_rows.append(row)
            continue
        current = {f: getattr(old, f) for f in SOURCE_FIELDS}
        wanted = dict(current)
        wanted["procedure_id"] = values["procedure_id"]
        wanted["receive_date_src"] = values["receive_date_src"]
        wanted["receive_channel_src"] = values["receive_channel_src"]
        if has_return_date:
            wanted["return_date_src"] = values["return_date_src"]
        if has_return_channel:
            wanted["return_channel_src"] = values["return_channel_src"]
        if wanted == current:
            report.unchanged += 1
            continue
        changes.append({"b_id": old.id, **{f"b_{k}": v for k, v in wanted.items()}})
        keys = [k for k in wanted if wanted[k] != current[k]]
        audit_items.append((old.id, {k: _plain(current[k]) for k in keys},
                            {k: _plain(wanted[k]) for k in keys}))

    if new_rows:
        now = utcnow()
        for row in new_rows:
            row["created_at"] = now
        insert_rows(Dossier.__table__, new_rows)
    if changes:
        # One executemany writes the new source values and the effective values they give
        # (the same rule as ``recompute_effective``, fed with the new values).
        params = {f: bindparam(f"b_{f}", type_=Dossier.__table__.c[f].type) for f in SOURCE_FIELDS}
        db.session.execute(
            update(Dossier.__table__).where(Dossier.__table__.c.id == bindparam("b_id"))
            .values({**params, **effective_values(params)}),
            changes)
    report.created, report.updated = len(new_rows), len(changes)
    audit.record("dossier.import", "import", filename, None, {
        "file": filename, "sha256": hashlib.sha256(data).hexdigest(), "rows": len(parsed),
        "created": report.created, "updated": report.updated, "unchanged": report.unchanged,
        "warnings": len(report.warnings)}, user=user)
    audit.record_many("dossier.import_update", "dossier", audit_items, user=user, jsonable=True)
    db.session.flush()
    return report
