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
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from operator import itemgetter

from flask_babel import lazy_gettext as _l

from utils.text import fold_key, nfc

HEADER_SEARCH_ROWS = 10


class TableError(ValueError):
    """The file as a whole cannot be read (format, encoding, missing columns)."""

    def __init__(self, message, **params):
        super().__init__(str(message))
        self.message = message
        self.params = params

    def text(self):
        return str(self.message) % self.params if self.params else str(self.message)


class CellError(ValueError):
    """One cell is bad; ``reason`` is a (lazy) translatable message."""

    def __init__(self, reason, **params):
        super().__init__(str(reason))
        self.reason = reason
        self.params = params

    def text(self):
        return str(self.reason) % self.params if self.params else str(self.reason)


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
    ``records`` as plain tuples, for imports of many rows.
    """

    header_row: int
    columns: dict  # canonical name -> position
    data: list

    @cached_property
    def rows(self):
        columns = self.columns.items()
        return [Row(number, {c: (values[p] if p < len(values) else None) for c, p in columns})
                for number, values in self.data]

    def records(self, names):
        """``(number, cell, …)`` per data row, with the raw cells of ``names`` in that order (as
        ``Row.cells`` holds them: unstripped text, or a native XLSX value); ``None`` where the
        column is absent or the row is short.
        """
        positions = [self.columns.get(name) for name in names]
        present = [p for p in positions if p is not None]
        if not present:
            return [(number, *([None] * len(names))) for number, _ in self.data]
        width = max(present) + 1
        if len(present) == len(positions):
            pick = itemgetter(*positions)
            if len(positions) == 1:
                return [(number, pick(values)) if len(values) >= width else
                        (number, None) for number, values in self.data]
            return [(number, *(pick(values) if len(values) >= width else
                               [values[p] if p < len(values) else None for p in positions]))
                    for number, values in self.data]
        return [(number, *[values[p] if p is not None and p < len(values) else None
                           for p in positions])
                for number, values in self.data]


def _decode(data):
    for encoding in ("utf-8-sig",):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    raise TableError(_l("The file is not UTF-8 text. Save it as CSV UTF-8 and try again."))


def _csv_rows(data):
    text = _decode(data)
    sample = text[:8192]
    first_lines = sample.splitlines()[:HEADER_SEARCH_ROWS]
    semicolons = sum(line.count(";") for line in first_lines)
    commas = sum(line.count(",") for line in first_lines)
    delimiter = ";" if semicolons > commas else ","
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _xlsx_rows(data):
    from openpyxl import load_workbook
    from zipfile import BadZipFile

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError, OSError):
        raise TableError(_l("The file is not a valid XLSX workbook.")) from None
    sheet = workbook.worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    workbook.close()
    return rows


def _blank(values):
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _data_rows(raw_rows, first, text):
    """``(number, values)`` of the rows from index ``first`` on that hold anything but blanks;
    ``text`` says every cell is a string (CSV), so one joined string tells a blank row."""
    rows = enumerate(raw_rows[first:], start=first + 1)
    if text:
        return [(number, values) for number, values in rows if "".join(values).strip()]
    return [(number, values) for number, values in rows if not _blank(values)]


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
    for index, raw in enumerate(raw_rows[:HEADER_SEARCH_ROWS]):
        columns = {}
        for position, cell in enumerate(raw):
            key = fold_key(cell if isinstance(cell, str) else ("" if cell is None else str(cell)))
            if key in known and known[key] not in columns:
                columns[known[key]] = position
        if all(c in columns for c in required):
            return Table(index + 1, columns, _data_rows(raw_rows, index + 1, text))
    raise TableError(_l("No header row with the required columns (%(columns)s) in the first %(n)s rows."),
                     columns=", ".join(required), n=HEADER_SEARCH_ROWS)


# --- Cell parsers ----------------------------------------------------------------------------

_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T].*)?$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T].*)?$")


def parse_date(value, today=None, required=True):
    """``dd/mm/yyyy`` (leading zeros optional, a trailing time ignored), ISO ``yyyy-mm-dd`` or a
    native XLSX date; a date in the future is refused. Blank gives ``None`` unless required.
    """
    from utils.dates import vn_today

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
    if result > (today or vn_today()):
        raise CellError(_l("The date %(value)s is in the future."), value=result.strftime("%d/%m/%Y"))
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
    if result < 0:
        raise CellError(_l("A fee cannot be negative."))
    return result


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


_CHANNELS = {
    "tructiep": "truc_tiep",
    "tructuyen": "truc_tuyen",
    "bcci": "bcci",
    "buuchinhcongich": "bcci",
    "buuchinh": "bcci",
    "buudien": "bcci",
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


_DIRECTIONS = {"tiepnhan": "tiep_nhan", "traketqua": "tra_ket_qua", "tra": "tra_ket_qua"}


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


def write_csv(columns, rows):
    """UTF-8 CSV with BOM (so spreadsheets read the diacritics), formula cells neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_xlsx(columns, rows, title="Sheet1"):
    """An XLSX workbook; text cells that look like formulas are stored as text, neutralised."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append(list(columns))
    for row in rows:
        sheet.append([_cell(v) for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def export_response(filename_stem, fmt, columns, rows):
    """A download response for ``fmt`` ``csv`` or ``xlsx``; ``ValueError`` for anything else."""
    from flask import Response

    if fmt == "csv":
        body, mimetype = write_csv(columns, rows), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body = write_xlsx(columns, rows)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        raise ValueError(fmt)
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename_stem}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response
