"""Reading and writing the interchange files of docs/formats.md (CSV and XLSX).

Reading: ``read_table(filename, data, required, optional)`` finds the header row (the first of the
first ten rows holding every required column, matched ignoring case, diacritics, spaces and
underscores), and yields ``Row`` objects whose cells are looked up by canonical column name. Cell
parsers (``parse_date``, ``parse_fee``, ``parse_yes_no``, ``parse_channel``…) raise ``CellError``
with a translatable reason; ``ImportReport`` gathers every bad row so an import can be refused whole.

Writing: ``write_csv`` and ``write_xlsx`` neutralise cells a spreadsheet would run as a formula.
"""

import csv
import gc
import io
import re
import tempfile
import zipfile
import zlib
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from itertools import chain, islice
from operator import itemgetter
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException

from flask_babel import lazy_gettext as _l

from models import Channel, Direction
from utils import formats, rules
from utils.inputs import date_window_message, in_date_window
from utils.rules import CellError  # noqa: F401 (a bad cell: a broken rule, imported from here)
from utils.text import fold_key, nfc

HEADER_SEARCH_ROWS = 10


class TableError(rules.MessageError):
    """The file as a whole cannot be read (format, encoding, missing columns)."""


@dataclass
class Row:
    """One data row: ``number`` is the spreadsheet row number a person sees (header row = its own)."""

    number: int
    cells: dict

    def has(self, column):
        return column in self.cells

    def get(self, column):
        """The cell's value (stripped text, or a native date/number from XLSX); '' when blank."""
        value = self.cells.get(column, "")
        if value is None:
            return ""
        if isinstance(value, str):
            return nfc(value)
        return value


@dataclass
class Problem:
    row: int
    column: str
    reason: str


@dataclass
class ImportReport:
    """Bad rows and warnings of one import; the import writes nothing unless ``ok``."""

    problems: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    read_seconds: float | None = None  # reading and checking, without the write lock
    write_seconds: float | None = None  # the write transaction, as long as it held the lock
    problems_token: str | None = None  # every problem as a CSV (utils.import_problems)

    @property
    def ok(self):
        return not self.problems

    def bad(self, row, column, error):
        reason = error.text() if isinstance(error, (CellError, TableError)) else str(error)
        self.problems.append(Problem(row, column, reason))

    def warn(self, row, column, message):
        self.warnings.append(Problem(row, column, str(message)))

    def sorted_problems(self):
        return sorted(self.problems, key=lambda p: (p.row, p.column))


@dataclass
class Table:
    """A read file: the header's row number, each canonical column's position, and the data rows
    as ``(number, raw values)`` (blank rows left out). ``rows`` gives them as ``Row`` objects;
    ``cells`` one column's cells, for imports of many rows.
    """

    header_row: int
    columns: dict  # canonical name -> position
    data: list

    @cached_property
    def rows(self):
        columns = self.columns.items()
        return [
            Row(number, {c: (values[p] if p < len(values) else None) for c, p in columns})
            for number, values in self.data
        ]

    def cells(self, name):
        """The raw cells of column ``name`` row by row (as ``Row.cells`` holds them: unstripped
        text, or a native XLSX value); ``None`` where the row is short."""
        position, rows = self.columns[name], self._values
        if self._width > position:
            return list(map(itemgetter(position), rows))
        return [values[position] if len(values) > position else None for values in rows]

    @cached_property
    def _values(self):
        return [values for _, values in self.data]

    @cached_property
    def _width(self):
        """The shortest data row's length."""
        return min(map(len, self._values), default=0)


# --- Limits (docs/limits.md) -----------------------------------------------------------------

DEFAULT_MAX_ROWS = 100_000
DEFAULT_XLSX_MAX_MEMBERS = 1000
DEFAULT_XLSX_MAX_UNCOMPRESSED = 200 * 1024 * 1024
DEFAULT_XLSX_MAX_RATIO = 100
_XLSX_RATIO_SLACK = 1024 * 1024  # a tiny workbook's styles and themes unpack far beyond 100×

_row_limit = ContextVar("import_row_limit", default=None)


@contextmanager
def row_limit(rows):
    """Within the block, files may hold up to ``rows`` data rows (the command line's
    ``--max-rows``); ``None`` keeps the configured limit."""
    token = _row_limit.set(rows)
    try:
        yield
    finally:
        _row_limit.reset(token)


def _setting(name, default):
    from flask import current_app, has_app_context

    return current_app.config.get(name, default) if has_app_context() else default


def max_rows():
    """The most data rows one file may hold: ``row_limit``'s, else ``IMPORT_MAX_ROWS``."""
    return _row_limit.get() or int(_setting("IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


def _too_many_rows():
    return TableError(
        _l(
            "The file has more than %(max)s data rows, the most one import accepts. "
            "Split it into smaller files."
        ),
        max=formats.number(max_rows()),
    )


def _decoded_lines(data):
    """The CSV's text, decoded as it is read (UTF-8, with or without BOM)."""
    stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    try:
        yield from stream
    except UnicodeDecodeError:
        raise TableError(
            _l("The file is not UTF-8 text. Save it as CSV UTF-8 and try again.")
        ) from None


def _csv_rows(data):
    try:
        sample = data[:8192].decode("utf-8-sig", errors="ignore")
    except UnicodeDecodeError:  # pragma: no cover - errors are ignored
        sample = ""
    first_lines = sample.splitlines()[:HEADER_SEARCH_ROWS]
    semicolons = sum(line.count(";") for line in first_lines)
    commas = sum(line.count(",") for line in first_lines)
    delimiter = ";" if semicolons > commas else ","
    try:
        yield from csv.reader(_decoded_lines(data), delimiter=delimiter)
    except csv.Error:
        raise TableError(
            _l("The CSV file cannot be read: a field is malformed or too long.")
        ) from None


def check_xlsx_archive(data):
    """Refuse an XLSX whose zip would unpack beyond the limits, before anything parses it.

    Every member is decompressed and its bytes counted as they come (the sizes a zip's headers
    state are never trusted); reading stops as soon as the total passes the smaller of
    ``IMPORT_XLSX_MAX_UNCOMPRESSED`` and ``IMPORT_XLSX_MAX_RATIO`` times the file's own size.
    Memory stays at one chunk whatever the file holds.
    """
    limit_members = int(_setting("IMPORT_XLSX_MAX_MEMBERS", DEFAULT_XLSX_MAX_MEMBERS))
    limit_total = int(_setting("IMPORT_XLSX_MAX_UNCOMPRESSED", DEFAULT_XLSX_MAX_UNCOMPRESSED))
    ratio = int(_setting("IMPORT_XLSX_MAX_RATIO", DEFAULT_XLSX_MAX_RATIO))
    budget = min(limit_total, ratio * len(data) + _XLSX_RATIO_SLACK)
    invalid = TableError(_l("The file is not a valid XLSX workbook."))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise invalid from None
    with archive:
        members = archive.infolist()
        if len(members) > limit_members:
            raise TableError(
                _l("The XLSX workbook holds %(n)s parts; at most %(max)s are accepted."),
                n=len(members),
                max=limit_members,
            )
        total = 0
        for member in members:
            try:
                with archive.open(member) as stream:
                    while chunk := stream.read(65536):
                        total += len(chunk)
                        if total > budget:
                            raise TableError(
                                _l(
                                    "The XLSX workbook unpacks to more than %(mb)s MB (at most %(ratio)s "
                                    "times its own size and %(max)s MB are accepted): it was refused "
                                    "before being read."
                                ),
                                mb=budget // (1024 * 1024),
                                ratio=ratio,
                                max=limit_total // (1024 * 1024),
                            )
            except TableError:
                raise
            except (
                zipfile.BadZipFile,
                NotImplementedError,
                RuntimeError,
                ValueError,
                OSError,
                EOFError,
                zlib.error,
            ):
                raise TableError(
                    _l(
                        "The XLSX workbook is damaged: a part's content does not match "
                        "the size or checksum its zip headers state."
                    )
                ) from None


def _xlsx_rows(data):
    import openpyxl
    from openpyxl import load_workbook

    if not openpyxl.DEFUSEDXML:  # openpyxl parses with defusedxml only when it can import it
        raise TableError(
            _l(
                "XLSX files cannot be read safely on this server (defusedxml is "
                "missing); import a CSV file instead."
            )
        )
    check_xlsx_archive(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            for row in sheet.iter_rows(values_only=True):
                yield list(row)
        finally:
            workbook.close()
    except (
        DefusedXmlException,
        ParseError,
        SyntaxError,
        zipfile.BadZipFile,
        KeyError,
        IndexError,
        ValueError,
        TypeError,
        AttributeError,
        OSError,
        EOFError,
        zlib.error,
    ) as e:
        raise _xlsx_error(e) from None


def _xlsx_error(error):
    """The ``TableError`` for what went wrong reading a workbook (openpyxl wraps the XML
    parser's errors in a ``ValueError``: the chain of causes tells)."""
    seen = error
    while seen is not None:
        if isinstance(seen, DefusedXmlException):
            return TableError(
                _l(
                    "The XLSX workbook declares XML entities or a DTD, which are "
                    "refused: save it again from a spreadsheet program."
                )
            )
        if isinstance(seen, (ParseError, SyntaxError)):
            return TableError(_l("The XLSX workbook is damaged: its XML cannot be read."))
        seen = seen.__cause__ or seen.__context__
    return TableError(_l("The file is not a valid XLSX workbook."))


def _blank(values):
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


@contextmanager
def collector_paused():
    """Pause Python's cyclic garbage collector while a large file's rows are built and used.

    The collector walks every live container each time enough new ones were allocated: reading
    and checking a file of 100.000 rows allocates hundreds of thousands of lists and tuples that
    hold no reference cycles, and the collector's passes over them cost about a tenth of an
    import. Reference counting still frees everything; the collector resumes afterwards (unless
    it was off already, or an outer block paused it).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_table(filename, data, required, optional=()):
    """Read a CSV or XLSX file.

    :param required: canonical column names that must be present (e.g. ``"ma_tthc"``).
    :param optional: canonical names of optional columns.
    :raise TableError: unknown format, bad encoding, or no header row with every required column.
    """
    with collector_paused():
        return _read_table(filename, data, required, optional)


def _read_table(filename, data, required, optional):
    name = (filename or "").lower()
    text = name.endswith(".csv")
    if name.endswith(".xlsx"):
        raw_rows = _xlsx_rows(data)
    elif text:
        raw_rows = _csv_rows(data)
    else:
        raise TableError(_l("Only .csv and .xlsx files can be imported."))
    known = {fold_key(c): c for c in (*required, *optional)}
    head = list(islice(raw_rows, HEADER_SEARCH_ROWS))
    for index, raw in enumerate(head):
        columns, twice = {}, []
        for position, cell in enumerate(raw):
            key = fold_key(cell if isinstance(cell, str) else ("" if cell is None else str(cell)))
            if key in known:
                if known[key] in columns:
                    twice.append(known[key])
                else:
                    columns[known[key]] = position
        if all(c in columns for c in required):
            if twice:
                raise TableError(
                    _l(
                        "Column %(column)s appears more than once in the header row "
                        "(row %(row)s): keep one."
                    ),
                    column=twice[0],
                    row=index + 1,
                )
            rows = _data_rows(chain(head[index + 1 :], raw_rows), index + 1, text)
            if not rows:
                raise TableError(_l("The file has a header row but no data rows."))
            _check_control_characters(columns, rows, text, data)
            return Table(index + 1, columns, rows)
    raise TableError(
        _l("No header row with the required columns (%(columns)s) in the first %(n)s rows."),
        columns=", ".join(required),
        n=HEADER_SEARCH_ROWS,
    )


def _data_rows(raw_rows, first, text):
    """``(number, values)`` of the rows after the header (``first`` rows precede them) that hold
    anything but blanks; ``text`` says every cell is a string (CSV), so one joined string tells a
    blank row. Refused as soon as the data rows pass ``max_rows()`` (or the rows read, blank ones
    included, pass twice that)."""
    limit = max_rows()
    out = []
    append = out.append
    read_limit = 2 * limit + first
    number = first
    for number, values in enumerate(raw_rows, start=first + 1):
        if ("".join(values).strip()) if text else not _blank(values):
            append((number, values))
            if len(out) > limit:
                raise _too_many_rows()
        elif number > read_limit:
            raise _too_many_rows()
    return out


# Columns holding codes: no tab or line break either (docs/limits.md).
CODE_COLUMNS = frozenset({"ma_ho_so", "ma_tthc", "so_hieu_buu_gui", "don_vi", "chieu"})
# Control characters no cell may hold (tab and line breaks aside: a spreadsheet cell may wrap).
_CELL_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CODE_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


# What ``_no_control_characters`` looks for in a CSV file's bytes: the one-byte control characters
# of ``_CELL_CONTROL``, a tab and a quote (every other byte is deleted, at C speed); and the
# two-byte ones, U+0080-U+009F (C2 80-9F in UTF-8; C2 is never a continuation byte).
_CSV_SUSPECT = b"".join(
    bytes([b]) for b in range(256) if b in b'\t"\x7f' or (b < 0x20 and b not in b"\r\n")
)
_CSV_NOT_SUSPECT = bytes(b for b in range(256) if b not in _CSV_SUSPECT)
_CSV_C1 = re.compile(rb"\xc2[\x80-\x9f]")


def _no_control_characters(data):
    """Whether no cell of a CSV file (its UTF-8 bytes) can hold a control character, read from
    the bytes at once: none of ``_CELL_CONTROL``'s, no tab, and no quote (only a quoted cell can
    hold a line break). Otherwise ``_refuse_control_characters`` looks row by row."""
    if data.translate(None, _CSV_NOT_SUSPECT):
        return False
    return b"\xc2" not in data or not _CSV_C1.search(data)


def _check_control_characters(columns, rows, text, data):
    """``_refuse_control_characters``, after a look at a CSV file's bytes (``data``) at once,
    which answers for the usual file: none anywhere (``_no_control_characters``)."""
    if not (text and _no_control_characters(data)):
        _refuse_control_characters(columns, rows, text)


def _refuse_control_characters(columns, rows, text):
    """A ``TableError`` naming the first cell of a read column that holds NUL or another control
    character (or, in a code column, a tab or line break), and how many others do: PostgreSQL
    refuses NUL outright and SQLite would store it silently. A whole row is searched at once; only
    a row with a hit is looked at cell by cell."""
    wanted = sorted(columns.items(), key=itemgetter(1))
    search = (
        _CODE_CONTROL.search if any(c in CODE_COLUMNS for c in columns) else _CELL_CONTROL.search
    )
    found = []
    for number, values in rows:
        joined = "".join(values) if text else "".join(v for v in values if v.__class__ is str)
        if not search(joined):
            continue
        for column, position in wanted:
            cell = values[position] if position < len(values) else None
            if not isinstance(cell, str):
                continue
            pattern = _CODE_CONTROL if column in CODE_COLUMNS else _CELL_CONTROL
            hit = pattern.search(cell)
            if hit:
                found.append((number, column, hit.group()))
    if not found:
        return
    number, column, char = found[0]
    if char == "\t":
        raise TableError(
            _l(
                "Row %(row)s, column %(column)s: a code cannot contain a tab "
                "(%(others)s other cells hold control characters). Remove them and "
                "import again."
            ),
            row=number,
            column=column,
            others=len(found) - 1,
        )
    raise TableError(
        _l(
            "Row %(row)s, column %(column)s holds a control character (%(char)s) that "
            "cannot be stored (%(others)s other cells too). Remove them and import "
            "again."
        ),
        row=number,
        column=column,
        char=f"U+{ord(char):04X}",
        others=len(found) - 1,
    )


# --- Cell parsers ----------------------------------------------------------------------------

_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T].*)?$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T].*)?$")


def parse_date(value, today=None, required=True):
    """``dd/mm/yyyy`` (leading zeros optional, a trailing time ignored), ISO ``yyyy-mm-dd`` or a
    native XLSX date; a date in the future, or outside the supported window (``DATE_WINDOW``),
    is refused. Blank gives ``None`` unless required.
    """
    if isinstance(value, datetime):
        result = value.date()
    elif isinstance(value, date):
        result = value
    else:
        text = str(value or "").strip()
        if not text:
            if required:
                raise CellError(_l("A date is required."))
            return None
        match = _DMY.match(text)
        try:
            if match:
                result = date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
            else:
                match = _ISO.match(text)
                if not match:
                    raise CellError(_l("Not a date in dd/mm/yyyy form: %(value)s"), value=text)
                result = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            raise CellError(_l("Not a real calendar date: %(value)s"), value=text) from None
    rules.not_in_future(result, today)
    if not in_date_window(result):  # the window every date of the product lies in (DATE_WINDOW)
        raise CellError(date_window_message())
    return result


def parse_fee(value):
    """Whole đồng: ``1.024.000``, ``1024000`` or ``1 024 000``; blank gives ``None``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise CellError(_l("Not an amount in đồng: %(value)s"), value=value)
    if isinstance(value, int):
        result = value
    elif isinstance(value, float):
        if value != int(value):
            raise CellError(_l("A fee is a whole number of đồng: %(value)s"), value=value)
        result = int(value)
    else:
        text = str(value).strip().replace("\u00a0", " ")
        text = re.sub(r"\s*(đồng|đ|vnd|vnđ)$", "", text, flags=re.IGNORECASE)
        if not re.fullmatch(r"\d{1,3}([. ]\d{3})*|\d+", text):
            raise CellError(_l("Not an amount in đồng: %(value)s"), value=value)
        result = int(text.replace(".", "").replace(" ", ""))
    return rules.fee(result)


_YES = {"co", "x", "1", "yes", "true", "dung"}
_NO = {"khong", "", "0", "no", "false", "sai"}


def parse_yes_no(value, blank=False):
    """``có/không``, ``x``/blank, ``1/0``, ``yes/no`` (case and diacritics ignored)."""
    if value is True or value is False:
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    key = fold_key(value if value is not None else "")
    if key == "":
        return blank
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise CellError(_l("Expected yes or no (có/không, x, 1/0): %(value)s"), value=value)


# The words files use for each channel and direction (folded), to the enums' plain values.
_CHANNELS = {
    "tructiep": Channel.IN_PERSON.value,
    "tructuyen": Channel.ONLINE.value,
    "bcci": Channel.POST.value,
    "buuchinhcongich": Channel.POST.value,
    "buuchinh": Channel.POST.value,
    "buudien": Channel.POST.value,
}


def parse_channel(value, required=True):
    """A channel code or its Vietnamese label; blank gives ``None`` unless required."""
    key = fold_key(value if value is not None else "")
    if not key:
        if required:
            raise CellError(_l("A channel is required."))
        return None
    key = re.sub(r"\(bcci\)$", "", key)
    if key in _CHANNELS:
        return _CHANNELS[key]
    raise CellError(_l("Unknown channel: %(value)s (Trực tiếp, Trực tuyến or BCCI)"), value=value)


_DIRECTIONS = {
    "tiepnhan": Direction.RECEIVE.value,
    "traketqua": Direction.RETURN.value,
    "tra": Direction.RETURN.value,
}


def parse_direction(value):
    """``tiep_nhan`` or ``tra_ket_qua`` (or their Vietnamese spelling)."""
    key = fold_key(value if value is not None else "")
    if key in _DIRECTIONS:
        return _DIRECTIONS[key]
    raise CellError(_l("Unknown direction: %(value)s (tiep_nhan or tra_ket_qua)"), value=value)


def parse_text(value, required=False, max_length=None):
    text = nfc(str(value)) if value not in (None, "") else ""
    if isinstance(value, float) and value == int(value):
        text = str(int(value))
    if required and not text:
        raise CellError(_l("This column must not be blank."))
    if max_length and len(text) > max_length:
        raise CellError(_l("Longer than %(n)s characters."), n=max_length)
    return text


# --- Writing ---------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A cell a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return neutralise(value) if isinstance(value, str) else value


STREAM_CHUNK = 64 * 1024  # bytes (about) per piece of a streamed download
XLSX_SPOOL_BYTES = 8 * 1024 * 1024  # an XLSX built larger than this is kept on disk, not in memory


def iter_csv(columns, rows):
    """``write_csv``'s bytes in pieces of about ``STREAM_CHUNK``, each row read as it comes (a
    download streams the first piece before the last row is read)."""
    out = io.StringIO()
    writer = csv.writer(out)
    out.write("\ufeff")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
        if out.tell() >= STREAM_CHUNK:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")


def write_csv(columns, rows):
    """UTF-8 CSV with BOM (so spreadsheets read the diacritics), formula cells neutralised."""
    return b"".join(iter_csv(columns, rows))


def iter_xlsx(columns, rows, title="Sheet1"):
    """``write_xlsx``'s workbook in pieces of ``STREAM_CHUNK``: the rows go to openpyxl's
    write-only sheet (kept in a temporary file), the workbook to a spooled temporary file (on
    disk beyond ``XLSX_SPOOL_BYTES``), which is then read back piece by piece. A ZIP file is
    complete only once its last row is written, so the first piece comes after the last row."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append(list(columns))
    for row in rows:
        sheet.append([_cell(v) for v in row])
    with tempfile.SpooledTemporaryFile(max_size=XLSX_SPOOL_BYTES) as out:
        workbook.save(out)
        out.seek(0)
        while chunk := out.read(STREAM_CHUNK):
            yield chunk


def write_xlsx(columns, rows, title="Sheet1"):
    """An XLSX workbook; text cells that look like formulas are stored as text, neutralised."""
    return b"".join(iter_xlsx(columns, rows, title))


def query_rows(stmt, convert=None, batch=2000):
    """The rows of ``stmt`` (each passed through ``convert``) for a streamed download, read as
    the download is sent, ``batch`` at a time (a server-side cursor on PostgreSQL): on a
    connection of its own, opened when the first row is wanted and closed after the last one or
    when the download is abandoned. Needs no request context while it is read; an abandoned
    download that never started holds nothing."""
    from extensions import db

    engine = db.engine

    def rows():
        with engine.connect() as conn:
            for row in conn.execution_options(yield_per=batch).execute(stmt):
                yield convert(row) if convert is not None else row

    return rows()


def export_response(filename_stem, fmt, columns, rows):
    """A download response for ``fmt`` ``csv`` or ``xlsx``, streamed: ``rows`` (a list, or
    ``query_rows`` for a query's rows) is read while the answer is sent, so memory stays bounded
    whatever the number of rows. ``ValueError`` for another format."""
    from flask import Response

    if fmt == "csv":
        body, mimetype = iter_csv(columns, rows), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body = iter_xlsx(columns, rows)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        raise ValueError(fmt)
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename_stem}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response
