"""The columns of the three import files, declared once (docs/formats.md).

Each column says its header, whether it is required, how a cell is read (``parse``, which raises
``CellError`` with the reason the bad cell is reported with) and under which name the import
carries the value (``key``), plus a human name, what it holds and two example cells. From these
tables come the imports' reading and their report of bad cells (``Format.read``), each import
page's column help, the sample files (``sample_rows``) and the first columns of each export, so
the parser, the help, the samples and the exports cannot drift apart.
"""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from utils import rules
from utils.tabular import (
    CellError,
    TableError,
    parse_channel,
    parse_date,
    parse_direction,
    parse_fee,
    parse_text,
    parse_yes_no,
    read_table,
)
from utils.text import fold, nfc
from utils.validators import DOSSIER_CODE_RE, check_tracking_number, is_vn_phone, normalise_phone


@dataclass(frozen=True)
class Column:
    name: str  # the header as files write it (matched ignoring case, diacritics, spaces, "_")
    label: object  # a human name (lazy, translated)
    meaning: object  # what the cell holds and how it is read (lazy, translated)
    required: bool
    examples: tuple  # one cell per sample row
    key: str = ""  # the value's name in a read row
    # ``parse(cell, today)``: the value of a cell (NFC text trimmed, '' when blank, or a native
    # XLSX value); raises ``CellError`` for a bad cell. Each distinct cell is parsed once.
    parse: object = None
    # ``bulk(cells)``: the whole column's values at once where every cell is plainly good (a
    # column of codes, each one different), or None to parse cell by cell.
    bulk: object = None
    # A good value that does not match ``usual`` (a compiled pattern) is listed with ``warning``.
    usual: object = None
    warning: object = None


@dataclass
class ReadRow:
    """One data row of a read file: ``values`` holds, by each column's ``key``, the value of
    every cell that parsed (columns absent from the file are left out); ``bad`` says a cell or
    a rule of the row was reported."""

    number: int
    values: dict
    bad: bool


@dataclass
class ReadFile:
    """A file read by its format (``Format.read``), column by column: ``numbers`` are the data
    rows' numbers; ``values[key]`` the column's values row by row (``None`` in a bad cell);
    ``present`` the names of the columns the file holds; ``bad`` the indexes of the rows with
    a bad cell or a broken rule (a key repeated in the file is reported, not marked here)."""

    numbers: list = field(default_factory=list)
    values: dict = field(default_factory=dict)
    present: frozenset = frozenset()
    bad: set = field(default_factory=set)
    bad_cells: dict = field(default_factory=dict)  # key -> indexes of its bad cells

    def column(self, key):
        """The values of ``key`` row by row; ``None`` throughout when its column is absent."""
        return self.values.get(key) or [None] * len(self.numbers)

    def good(self, *keys):
        """``(value, …)`` of ``keys`` for each row that is not bad, in file order."""
        rows = zip(*(self.column(k) for k in keys))
        if not self.bad:
            return list(rows)
        return [row for i, row in enumerate(rows) if i not in self.bad]

    def rows(self):
        """Every row as a ``ReadRow`` (for imports of a few thousand rows)."""
        keys = list(self.values)
        out = []
        for i, cells in enumerate(zip(*self.values.values())):
            values = dict(zip(keys, cells))
            for key in keys:
                if i in self.bad_cells.get(key, ()):
                    del values[key]
            out.append(ReadRow(self.numbers[i], values, i in self.bad))
        return out


@dataclass(frozen=True)
class Rule:
    """A check of several cells of one row: broken when ``broken(*values)`` (every value of
    ``keys`` there and good) is true; the row is bad on ``column``, with ``message``."""

    column: str
    keys: tuple
    broken: object
    message: object


@dataclass(frozen=True)
class Format:
    key: str  # the sample file's name stem
    columns: tuple
    unique: tuple = ()  # the value keys identifying a row: a file holding one twice is refused
    duplicate: object = None  # the message for those rows (``value``, ``rows``)
    rules: tuple = ()  # ``rule(values)``: ``(column, message)`` for a bad row, or None
    # An optional column read when the file holds it, outside ``columns`` (the samples and, on a
    # one-unit deployment, the exports and the help leave it out): of a dossier or shipment row
    # its unit, of a procedure row its canonical level.
    unit_column: Column | None = None

    @property
    def required(self):
        return tuple(c.name for c in self.columns if c.required)

    @property
    def optional(self):
        return tuple(c.name for c in self.columns if not c.required)

    @property
    def names(self):
        return tuple(c.name for c in self.columns)

    def sample_rows(self):
        """The sample file's rows: the columns' examples, row by row."""
        count = max(len(c.examples) for c in self.columns)
        return [
            tuple(c.examples[i] if i < len(c.examples) else "" for c in self.columns)
            for i in range(count)
        ]

    def read(self, filename, data, report, today=None):
        """Read a file of this format into a ``ReadFile``, reporting in ``report`` every bad
        cell, every broken rule and every row repeating another's key (in row order, the
        repeated keys last); a file that cannot be read at all is one problem on row 1 and
        gives no rows."""
        extra = (self.unit_column,) if self.unit_column else ()
        columns = (*self.columns, *extra)
        try:
            table = read_table(
                filename, data, self.required, (*self.optional, *(c.name for c in extra))
            )
        except TableError as e:
            report.bad(1, "", e)
            return ReadFile()
        read = ReadFile(
            [number for number, _ in table.data],
            present=frozenset(c.name for c in columns if c.name in table.columns),
        )
        found = len(report.problems)
        for column in columns:
            if column.name in read.present:
                _read_column(read, column, table.cells(column.name), report, today)
        for rule in self.rules:
            _check_rule(read, rule, report)
        report.problems[found:] = sorted(report.problems[found:], key=lambda p: p.row)
        if self.unique:
            _report_repeated(self, read, report)
        return read


class _Cells(dict):
    """``cells[key]``: a cell's value from ``parse``, or the ``CellError`` it raised; each
    distinct cell is parsed once (an export holds a few hundred distinct dates and three
    channels across tens of thousands of rows). Keys are text cells, or ``(type, value)`` for a
    native XLSX value (1, 1.0 and True are one key of a dict, yet different cells)."""

    def __init__(self, parse, today):
        super().__init__()
        self.parse, self.today, self.failed = parse, today, False

    def __missing__(self, key):
        if key.__class__ is str:
            cell = key.strip() if key.isascii() else nfc(key)
        else:
            cell = "" if key[1] is None else key[1]
        try:
            value = self.parse(cell, self.today)
        except CellError as e:
            value, self.failed = e, True
        self[key] = value
        return value


def _keyed(raw):
    return raw if raw.__class__ is str else (raw.__class__, raw)


def _read_column(read, column, raws, report, today):
    """Parse one column of every row into ``read``; report its bad cells."""
    values = read.values[column.key] = column.bulk and column.bulk(raws)
    if values:
        return _warn_unusual(read, column, values, report)
    cells = _Cells(column.parse, today)
    if set(map(type, raws)) - {str}:
        raws = list(map(_keyed, raws))
    values = read.values[column.key] = list(map(cells.__getitem__, raws))
    if cells.failed:
        bad = read.bad_cells[column.key] = set()
        for i, value in enumerate(values):
            if isinstance(value, CellError):
                report.bad(read.numbers[i], column.name, value)
                values[i] = None
                bad.add(i)
        read.bad |= bad
    _warn_unusual(read, column, values, report)


def _warn_unusual(read, column, values, report):
    """A warning for each good value of ``column`` that does not match its usual shape."""
    if column.usual is None:
        return
    match = column.usual.match
    if None in values:  # bad cells
        matches = [True if value is None else match(value) for value in values]
    else:
        matches = list(map(match, values))
    if None not in matches:
        return
    for i, hit in enumerate(matches):
        if hit is None:
            report.warn(read.numbers[i], column.name, str(column.warning) % {"value": values[i]})


def _check_rule(read, rule, report):
    for i, values in enumerate(zip(*(read.column(k) for k in rule.keys))):
        if None not in values and rule.broken(*values):
            report.bad(read.numbers[i], rule.column, rule.message)
            read.bad.add(i)


def _report_repeated(spec, read, report):
    """Each row whose key (``spec.unique``) another row holds too is bad, on the key's first
    column, naming every row holding it."""
    column = next(c.name for c in spec.columns if c.key == spec.unique[0])
    if len(spec.unique) > 1:
        keys = [None if None in key else key for key in zip(*map(read.column, spec.unique))]
    else:
        keys = read.column(spec.unique[0])
    blank = keys.count(None)
    if len(set(keys)) - (blank > 0) == len(keys) - blank:
        return  # no key twice (the usual file): nothing to look for
    first_row, repeated = {}, {}
    for number, key in zip(read.numbers, keys):
        if key is None:
            continue
        first = first_row.setdefault(key, number)
        if first != number:
            repeated.setdefault(key, [first]).append(number)
    for key, numbers in sorted(repeated.items(), key=lambda item: item[1][0]):
        for number in numbers:
            value = key[0] if len(spec.unique) > 1 else key
            report.bad(
                number,
                column,
                CellError(spec.duplicate, value=value, rows=", ".join(map(str, numbers))),
            )


# --- Cell parsers: ``parse(cell, today)`` ----------------------------------------------------


def _text(max_length=None, required=False):
    def parse(cell, today):
        return parse_text(cell, required=required, max_length=max_length)

    return parse


def _required_text(max_length=None):
    return _text(max_length, required=True)


def _procedure_code(cell, today):
    return rules.procedure_code(parse_text(cell, required=True, max_length=40))


def _department_code(cell, today):
    return parse_text(cell, required=True, max_length=40).upper()


def _yes_no(cell, today):
    return parse_yes_no(cell)


def _yes_no_blank_yes(cell, today):
    return parse_yes_no(cell, blank=True)


def _date(cell, today):
    return parse_date(cell, today=today)


def _date_or_blank(cell, today):
    return parse_date(cell, today=today, required=False)


def _channel(cell, today):
    return parse_channel(cell)


def _channel_or_blank(cell, today):
    return parse_channel(cell, required=False)


def _direction(cell, today):
    return parse_direction(cell)


def _fee(cell, today):
    return parse_fee(cell)


def _dossier_code(cell, today):
    """A dossier's code as the one-stop file writes it: any non-blank text of at most 60
    characters (an unusual shape is a warning: the column's ``usual``)."""
    code = cell if cell.__class__ is str else nfc(str(cell))
    if not code:
        raise CellError(_l("This column must not be blank."))
    if len(code) > 60:
        raise CellError(_l("Longer than %(n)s characters."), n=60)
    return code


def _before(received, returned):
    return returned < received


def _plain_dossier_codes(raws):
    """``_dossier_code`` of every cell at once, for a column of ASCII text cells none of which
    is blank or longer than 60 characters; None when any cell is otherwise."""
    if set(map(type, raws)) != {str}:
        return None
    codes = list(map(str.strip, raws))
    if all(map(str.isascii, codes)) and all(codes) and max(map(len, codes)) <= 60:
        return codes
    return None


def _procedure_reference(cell, today):
    """The procedure a dossier names; whether it exists is checked against the database."""
    code = cell if cell.__class__ is str else nfc(str(cell))
    if not code:
        raise CellError(_l("This column must not be blank."))
    return code


def _tracking_number(cell, today):
    check = check_tracking_number(str(cell))
    if not check.number:
        raise CellError(_l("This column must not be blank."))
    return rules.tracking_number(check.number).number


def _phone(cell, today):
    phone = parse_text(cell)
    if phone and not is_vn_phone(phone):
        raise CellError(_l("Not a Vietnamese phone number."))
    return normalise_phone(phone) if phone else ""


def _unit_code(cell, today):
    """A unit's code as a file writes it (whether the unit exists is checked against the
    database); blank: the import's unit."""
    return parse_text(cell, max_length=20)


def _canonical_level(cell, today):
    """A procedure's canonical level (``models.PROCEDURE_LEVELS``: ``tinh``, ``xa``, ``ca_hai``),
    read ignoring case, diacritics and spaces ("Cả hai" is ``ca_hai``); blank: none given."""
    from models import PROCEDURE_LEVELS

    text = parse_text(cell, max_length=20)
    if not text:
        return ""
    value = "_".join(fold(text).split())
    if value not in PROCEDURE_LEVELS:
        raise CellError(
            _l("Write the level that carries the procedure out as tinh, xa or ca_hai: %(value)s"),
            value=text,
        )
    return value


# --- The three formats -----------------------------------------------------------------------

_YES_NO = _l("yes or no: có/không, x or blank, 1/0 and yes/no are read too")

# The unit a dossier or shipment row belongs to, on a deployment of several units
# (docs/formats.md, *The unit of each row*).
UNIT_COLUMN = Column(
    "ma_don_vi",
    _l("Unit code"),
    _l(
        "The code of the unit the row belongs to; blank: the unit chosen for the import. "
        "An unknown code is a bad row."
    ),
    False,
    ("DV01", "DV01"),
    key="unit",
    parse=_unit_code,
)

# The canonical level of a procedure row (docs/units.md, *Which procedures a unit handles*).
LEVEL_COLUMN = Column(
    "cap_chuan",
    _l("Level of the units that carry it out"),
    _l(
        "tinh (the province's units), xa (communes, wards and special zones) or ca_hai (both); "
        "blank: read from cap_thuc_hien, as without the column."
    ),
    False,
    ("xa", "ca_hai"),
    key="unit_level",
    parse=_canonical_level,
)

PROCEDURES = Format(
    "mau-thu-tuc",
    (
        Column(
            "ma_tthc",
            _l("Procedure code"),
            _l(
                "The national database's code, such as 1.001122; a known code updates that procedure, "
                "a new one adds it."
            ),
            True,
            ("1.001122", "1.000894"),
            key="code",
            parse=_procedure_code,
        ),
        Column(
            "ten_tthc",
            _l("Procedure name"),
            _l("The procedure's full name."),
            True,
            ("Đăng ký khai sinh", "Cấp giấy phép xây dựng nhà ở riêng lẻ"),
            key="name",
            parse=_required_text(),
        ),
        Column(
            "linh_vuc",
            _l("Field"),
            _l("The field's name; a field that does not exist yet is created."),
            True,
            ("Hộ tịch", "Xây dựng"),
            key="field_name",
            parse=_required_text(200),
        ),
        Column(
            "don_vi",
            _l("Department code"),
            _l("The code of the department that handles it; a new code creates the department."),
            True,
            ("TP", "QLDT"),
            key="dept_code",
            parse=_department_code,
        ),
        Column(
            "ten_don_vi",
            _l("Department name"),
            _l("The name of a department the file creates (its code when blank)."),
            False,
            ("Phòng Tư pháp", "Phòng Quản lý đô thị"),
            key="dept_name",
            parse=_text(200),
        ),
        Column(
            "cap_thuc_hien",
            _l("Level"),
            _l("The level that handles it (free text)."),
            False,
            ("Cấp xã", "Cấp huyện"),
            key="level",
            parse=_text(60),
        ),
        Column(
            "tiep_nhan_bcci",
            _l("Receive by post"),
            _l(
                "Whether the dossier may be sent in by post: %(yes_no)s; blank is no.",
                yes_no=_YES_NO,
            ),
            False,
            ("có", "có"),
            key="eligible_receive",
            parse=_yes_no,
        ),
        Column(
            "tra_ket_qua_bcci",
            _l("Return by post"),
            _l(
                "Whether the result may be sent out by post: %(yes_no)s; blank is no.",
                yes_no=_YES_NO,
            ),
            False,
            ("có", "không"),
            key="eligible_return",
            parse=_yes_no,
        ),
        Column(
            "ly_do_khong_bcci",
            _l("Reason when not by post"),
            _l(
                "Needed when either direction says no: one of the edit form's reasons, or free text."
            ),
            False,
            ("", "Phải đối chiếu bản chính"),
            key="reason",
            parse=_text(1000),
        ),
        Column(
            "hieu_luc",
            _l("In force"),
            _l("Whether the procedure is in force: %(yes_no)s; blank is yes.", yes_no=_YES_NO),
            False,
            ("có", ""),
            key="in_force",
            parse=_yes_no_blank_yes,
        ),
    ),
    unique=("code",),
    duplicate=_l("The code %(value)s appears more than once in the file (rows %(rows)s)."),
    unit_column=LEVEL_COLUMN,
)

DOSSIERS = Format(
    "mau-ho-so",
    (
        Column(
            "ma_ho_so",
            _l("Dossier code"),
            _l("The one-stop system's code; a known code updates that dossier, a new one adds it."),
            True,
            ("000.00.22.H56-240921-0001", "000.00.22.H56-240921-0002"),
            key="code",
            parse=_dossier_code,
            bulk=_plain_dossier_codes,
            usual=DOSSIER_CODE_RE,
            warning=_l("Unusual dossier code shape (accepted): %(value)s"),
        ),
        Column(
            "ma_tthc",
            _l("Procedure code"),
            _l("The code of a procedure in the catalogue; an unknown code is a bad row."),
            True,
            ("1.001122", "1.000894"),
            key="procedure",
            parse=_procedure_reference,
        ),
        Column(
            "ngay_tiep_nhan",
            _l("Receive date"),
            _l("dd/mm/yyyy (yyyy-mm-dd and spreadsheet dates are read too); not in the future."),
            True,
            ("21/09/2024", "21/09/2024"),
            key="receive_date",
            parse=_date,
        ),
        Column(
            "kenh_tiep_nhan",
            _l("Receive channel"),
            _l("Trực tiếp, Trực tuyến or BCCI (by post)."),
            True,
            ("Trực tiếp", "BCCI"),
            key="receive_channel",
            parse=_channel,
        ),
        Column(
            "ngay_tra",
            _l("Return date"),
            _l("dd/mm/yyyy; blank while the result is not returned; not before the receive date."),
            False,
            ("25/09/2024", ""),
            key="return_date",
            parse=_date_or_blank,
        ),
        Column(
            "kenh_tra",
            _l("Return channel"),
            _l("Trực tiếp, Trực tuyến or BCCI; blank while the result is not returned."),
            False,
            ("BCCI", ""),
            key="return_channel",
            parse=_channel_or_blank,
        ),
    ),
    unique=("code",),
    duplicate=_l("Dossier code %(value)s appears more than once in the file (rows %(rows)s)."),
    unit_column=UNIT_COLUMN,
    rules=(
        Rule(
            "ngay_tra",
            ("receive_date", "return_date"),
            _before,
            _l("The return date is before the receive date."),
        ),
    ),
)

SHIPMENTS = Format(
    "mau-buu-gui",
    (
        Column(
            "so_hieu_buu_gui",
            _l("Tracking number"),
            _l(
                "The postal item number: two letters, nine digits, two letters, such as "
                "EB123456785VN; a wrong check digit is accepted with a warning."
            ),
            True,
            ("EB123456785VN", "RR473124829VN"),
            key="tracking_number",
            parse=_tracking_number,
        ),
        Column(
            "chieu",
            _l("Direction"),
            _l("tiep_nhan for a dossier sent in by post, tra_ket_qua for a result sent out."),
            True,
            ("tra_ket_qua", "tiep_nhan"),
            key="direction",
            parse=_direction,
        ),
        Column(
            "ma_ho_so",
            _l("Dossier code"),
            _l("The code of a dossier already imported or logged; an unknown code is a bad row."),
            True,
            ("000.00.22.H56-240921-0001", "000.00.22.H56-240921-0002"),
            key="code",
            parse=_required_text(),
        ),
        Column(
            "ngay",
            _l("Date"),
            _l("The day the item was handed over, dd/mm/yyyy; not in the future."),
            True,
            ("25/09/2024", "21/09/2024"),
            key="date",
            parse=_date,
        ),
        Column(
            "ho_ten",
            _l("Sender or recipient"),
            _l("The citizen's name (personal data: shown masked in every list)."),
            False,
            ("Nguyễn Văn An", "Trần Thị Bình"),
            key="recipient_name",
            parse=_text(200),
        ),
        Column(
            "dia_chi",
            _l("Address"),
            _l("The citizen's address (personal data)."),
            False,
            ("12 Lê Lợi, phường Hồng Gai, Hạ Long", ""),
            key="address",
            parse=_text(400),
        ),
        Column(
            "dien_thoai",
            _l("Phone"),
            _l("A Vietnamese phone number (personal data)."),
            False,
            ("0912345678", ""),
            key="phone",
            parse=_phone,
        ),
        Column(
            "cuoc_phi",
            _l("Fee"),
            _l("The postage in whole đồng, such as 25.000 or 25000."),
            False,
            ("25.000", ""),
            key="fee",
            parse=_fee,
        ),
    ),
    unique=("tracking_number", "direction"),
    duplicate=_l(
        "Tracking number %(value)s appears more than once in this direction in the file "
        "(rows %(rows)s)."
    ),
    unit_column=UNIT_COLUMN,
)

FORMATS = {f.key: f for f in (PROCEDURES, DOSSIERS, SHIPMENTS)}
