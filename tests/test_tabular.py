"""docs/formats.md: reading CSV and XLSX, cell parsers, formula neutralisation."""

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook

from utils import tabular as t

TODAY = date(2026, 11, 25)


def test_csv_with_bom_semicolons_title_rows_and_vietnamese_headers(app):
    data = (
        "\ufeffDANH MỤC TTHC;;\nNgày xuất: 01/10/2024;;\n"
        "Mã TTHC;Tên TTHC;Lĩnh vực;Đơn vị\n1.001108;Đăng ký khai sinh;Tư pháp – Hộ tịch;TP\n\n"
        "1.001109;Cấp bản sao;Tư pháp – Hộ tịch;TP\n"
    ).encode("utf-8")
    table = t.read_table("x.csv", data, ["ma_tthc", "ten_tthc", "linh_vuc", "don_vi"])
    assert table.header_row == 3
    assert [r.number for r in table.rows] == [4, 6]
    assert table.rows[0].get("ten_tthc") == "Đăng ký khai sinh"


def test_missing_required_column(app):
    with pytest.raises(t.TableError) as e:
        t.read_table("x.csv", b"ma_tthc,ten_tthc\n1.001108,A\n", ["ma_tthc", "ten_tthc", "don_vi"])
    assert "don_vi" in e.value.text()


def test_unknown_extension(app):
    with pytest.raises(t.TableError):
        t.read_table("x.txt", b"a", ["a"])


def test_xlsx_native_dates(app):
    wb = Workbook()
    ws = wb.active
    ws.append(["Báo cáo hồ sơ"])
    ws.append(["Mã hồ sơ", "Ngày tiếp nhận"])
    ws.append(["000.00.22.H56-240101-0001", datetime(2024, 1, 2, 8, 30)])
    buf = io.BytesIO()
    wb.save(buf)
    table = t.read_table("x.xlsx", buf.getvalue(), ["ma_ho_so", "ngay_tiep_nhan"])
    assert table.rows[0].number == 3
    assert t.parse_date(table.rows[0].get("ngay_tiep_nhan"), TODAY) == date(2024, 1, 2)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("21/09/2024", date(2024, 9, 21)),
        ("1/2/2024", date(2024, 2, 1)),
        ("05/01/2025 14:30", date(2025, 1, 5)),
        ("2024-09-21", date(2024, 9, 21)),
        (date(2024, 3, 3), date(2024, 3, 3)),
    ],
)
def test_parse_date(app, value, expected):
    assert t.parse_date(value, TODAY) == expected


@pytest.mark.parametrize("value", ["31/02/2024", "2024/09/21", "hôm qua", "01/01/2030", ""])
def test_parse_date_refuses(app, value):
    with pytest.raises(t.CellError):
        t.parse_date(value, TODAY)


@pytest.mark.parametrize("value", ["31/12/1999", "1/1/0001", "1999-06-30", date(1900, 1, 1)])
def test_parse_date_refuses_dates_outside_the_window(app, value):
    with pytest.raises(t.CellError) as refused:
        t.parse_date(value, TODAY)
    assert "01/01/2000" in refused.value.text() and "31/12/2099" in refused.value.text()


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1.024.000", 1024000),
        ("1024000", 1024000),
        ("1 024 000", 1024000),
        (25000, 25000),
        ("", None),
        ("30.000 đ", 30000),
    ],
)
def test_parse_fee(app, value, expected):
    assert t.parse_fee(value) == expected


@pytest.mark.parametrize("value", ["1,5", "-3", "abc", "1.02.000"])
def test_parse_fee_refuses(app, value):
    with pytest.raises(t.CellError):
        t.parse_fee(value)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("có", True),
        ("Có", True),
        (" KHÔNG ", False),
        ("x", True),
        ("X", True),
        ("", False),
        ("1", True),
        ("0", False),
        ("yes", True),
        ("No", False),
        (1, True),
    ],
)
def test_parse_yes_no(app, value, expected):
    assert t.parse_yes_no(value) is expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ("truc_tiep", "truc_tiep"),
        ("Trực tiếp", "truc_tiep"),
        ("TRỰC TUYẾN", "truc_tuyen"),
        ("Bưu chính công ích", "bcci"),
        ("BCCI", "bcci"),
        (" bcci ", "bcci"),
    ],
)
def test_parse_channel(app, value, expected):
    assert t.parse_channel(value) == expected


def test_parse_channel_refuses(app):
    with pytest.raises(t.CellError):
        t.parse_channel("fax")
    assert t.parse_channel("", required=False) is None


def test_parse_direction(app):
    assert t.parse_direction("Tiếp nhận") == "tiep_nhan"
    assert t.parse_direction("tra_ket_qua") == "tra_ket_qua"
    with pytest.raises(t.CellError):
        t.parse_direction("đi")


@pytest.mark.parametrize("value", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=x"])
def test_formula_cells_are_neutralised(value):
    assert t.neutralise(value).startswith("'")
    csv_text = t.write_csv(["a"], [[value]]).decode("utf-8-sig")
    assert (
        "'" + value.strip("\t")[:1] in csv_text
        or csv_text.splitlines()[1].startswith("\"'")
        or csv_text.splitlines()[1].startswith("'")
    )
    wb = load_workbook(io.BytesIO(t.write_xlsx(["a"], [[value]])))
    assert wb.active["A2"].value.startswith("'")
    assert wb.active["A2"].data_type == "s"
