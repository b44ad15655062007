"""The columns of the three import files, declared once (docs/formats.md).

Each import reads its required and optional columns from here (``Format.required``,
``Format.optional``); each import page lists them with a human name and what they mean; and the
sample files offered on those pages are written from the same definitions (``sample_rows``), so
the help, the samples and what the import reads cannot drift apart.
"""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Column:
    name: str  # the header as files write it
    label: object  # a human name (lazy, translated)
    meaning: object  # what the cell holds and how it is read (lazy, translated)
    required: bool
    examples: tuple  # one cell per sample row


@dataclass(frozen=True)
class Format:
    key: str  # the sample file's name stem
    columns: tuple

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
        return [tuple(c.examples[i] if i < len(c.examples) else "" for c in self.columns)
                for i in range(count)]


_YES_NO = _l("yes or no: có/không, x or blank, 1/0 and yes/no are read too")

PROCEDURES = Format("mau-thu-tuc", (
    Column("ma_tthc", _l("Procedure code"),
           _l("The national database's code, such as 1.001122; a known code updates that procedure, "
              "a new one adds it."), True, ("1.001122", "1.000894")),
    Column("ten_tthc", _l("Procedure name"), _l("The procedure's full name."), True,
           ("Đăng ký khai sinh", "Cấp giấy phép xây dựng nhà ở riêng lẻ")),
    Column("linh_vuc", _l("Field"),
           _l("The field's name; a field that does not exist yet is created."), True,
           ("Hộ tịch", "Xây dựng")),
    Column("don_vi", _l("Department code"),
           _l("The code of the department that handles it; a new code creates the department."),
           True, ("TP", "QLDT")),
    Column("ten_don_vi", _l("Department name"),
           _l("The name of a department the file creates (its code when blank)."), False,
           ("Phòng Tư pháp", "Phòng Quản lý đô thị")),
    Column("cap_thuc_hien", _l("Level"), _l("The level that handles it (free text)."), False,
           ("Cấp xã", "Cấp huyện")),
    Column("tiep_nhan_bcci", _l("Receive by post"),
           _l("Whether the dossier may be sent in by post: %(yes_no)s; blank is no.", yes_no=_YES_NO),
           False, ("có", "có")),
    Column("tra_ket_qua_bcci", _l("Return by post"),
           _l("Whether the result may be sent out by post: %(yes_no)s; blank is no.", yes_no=_YES_NO),
           False, ("có", "không")),
    Column("ly_do_khong_bcci", _l("Reason when not by post"),
           _l("Needed when either direction says no: one of the edit form's reasons, or free text."),
           False, ("", "Phải đối chiếu bản chính")),
    Column("hieu_luc", _l("In force"),
           _l("Whether the procedure is in force: %(yes_no)s; blank is yes.", yes_no=_YES_NO), False,
           ("có", "")),
))

DOSSIERS = Format("mau-ho-so", (
    Column("ma_ho_so", _l("Dossier code"),
           _l("The one-stop system's code; a known code updates that dossier, a new one adds it."),
           True, ("000.00.22.H56-240921-0001", "000.00.22.H56-240921-0002")),
    Column("ma_tthc", _l("Procedure code"),
           _l("The code of a procedure in the catalogue; an unknown code is a bad row."), True,
           ("1.001122", "1.000894")),
    Column("ngay_tiep_nhan", _l("Receive date"),
           _l("dd/mm/yyyy (yyyy-mm-dd and spreadsheet dates are read too); not in the future."),
           True, ("21/09/2024", "21/09/2024")),
    Column("kenh_tiep_nhan", _l("Receive channel"),
           _l("Trực tiếp, Trực tuyến or BCCI (by post)."), True, ("Trực tiếp", "BCCI")),
    Column("ngay_tra", _l("Return date"),
           _l("dd/mm/yyyy; blank while the result is not returned; not before the receive date."),
           False, ("25/09/2024", "")),
    Column("kenh_tra", _l("Return channel"),
           _l("Trực tiếp, Trực tuyến or BCCI; blank while the result is not returned."), False,
           ("BCCI", "")),
))

SHIPMENTS = Format("mau-buu-gui", (
    Column("so_hieu_buu_gui", _l("Tracking number"),
           _l("The postal item number: two letters, nine digits, two letters, such as "
              "EB123456785VN; a wrong check digit is accepted with a warning."), True,
           ("EB123456785VN", "RR473124829VN")),
    Column("chieu", _l("Direction"),
           _l("tiep_nhan for a dossier sent in by post, tra_ket_qua for a result sent out."), True,
           ("tra_ket_qua", "tiep_nhan")),
    Column("ma_ho_so", _l("Dossier code"),
           _l("The code of a dossier already imported or logged; an unknown code is a bad row."),
           True, ("000.00.22.H56-240921-0001", "000.00.22.H56-240921-0002")),
    Column("ngay", _l("Date"), _l("The day the item was handed over, dd/mm/yyyy; not in the future."),
           True, ("25/09/2024", "21/09/2024")),
    Column("ho_ten", _l("Sender or recipient"),
           _l("The citizen's name (personal data: shown masked in every list)."), False,
           ("Nguyễn Văn An", "Trần Thị Bình")),
    Column("dia_chi", _l("Address"), _l("The citizen's address (personal data)."), False,
           ("12 Lê Lợi, phường Hồng Gai, Hạ Long", "")),
    Column("dien_thoai", _l("Phone"), _l("A Vietnamese phone number (personal data)."), False,
           ("0912345678", "")),
    Column("cuoc_phi", _l("Fee"), _l("The postage in whole đồng, such as 25.000 or 25000."), False,
           ("25.000", "")),
))

FORMATS = {f.key: f for f in (PROCEDURES, DOSSIERS, SHIPMENTS)}
