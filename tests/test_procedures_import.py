"""Importing the procedures file of docs/formats.md, from the page and the command line."""

import io

from openpyxl import Workbook
from sqlalchemy import func, select

from blueprints.procedures import services
from extensions import db
from models import AuditEvent, Department, Field, Procedure
from tests import factories as f
from tests.statements import recorded

HEADER = "ma_tthc,ten_tthc,linh_vuc,don_vi,ten_don_vi,cap_thuc_hien,tiep_nhan_bcci,tra_ket_qua_bcci,ly_do_khong_bcci,hieu_luc\n"
GOOD = (
    HEADER
    + "1.001108,Đăng ký khai sinh,Tư pháp – Hộ tịch,TP,Phòng Tư pháp,Cấp huyện,x,x,,\n"
    + "1.010708.000.00.00.H56,Cấp giấy phép xây dựng,Xây dựng,QLDT,Phòng Quản lý đô thị,Cấp huyện,,có,Phải đối chiếu bản chính,có\n"
    + "2.000001,Giải quyết khiếu nại,Thanh tra,TTRA,,,không,không,Công dân phải có mặt,0\n"
)


def count(model):
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def by_code(code):
    return db.session.scalars(select(Procedure).where(Procedure.code == code)).unique().one()


def test_import_creates_fields_departments_and_procedures(app):
    report = services.import_procedures("tthc.csv", GOOD.encode())
    assert report.ok, report.problems
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    p = by_code("1.001108")
    assert (p.name, p.field.name, p.department.code, p.department.name, p.level) == (
        "Đăng ký khai sinh",
        "Tư pháp – Hộ tịch",
        "TP",
        "Phòng Tư pháp",
        "Cấp huyện",
    )
    assert (p.eligible_receive, p.eligible_return, p.in_force, p.name_folded) == (
        True,
        True,
        True,
        "dang ky khai sinh",
    )
    q = by_code("1.010708.000.00.00.H56")
    assert (q.eligible_receive, q.eligible_return, q.reason_code, q.reason_text) == (
        False,
        True,
        "originals",
        "",
    )
    r = by_code("2.000001")
    assert r.in_force is False and r.department.name == "TTRA"  # no ten_don_vi: the code
    assert (r.reason_code, r.reason_text) == ("other", "Công dân phải có mặt")
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "procedure_import"))
    assert event.new_values["file"] == "tthc.csv" and len(event.new_values["sha256"]) == 64
    assert event.new_values["created"] == 3 and event.new_values["new_departments"] == 3


def test_same_file_twice_changes_nothing(app):
    assert services.import_procedures("a.csv", GOOD.encode()).ok
    db.session.commit()
    versions = {p.code: p.version for p in db.session.scalars(select(Procedure)).unique()}
    report = services.import_procedures("a.csv", GOOD.encode())
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    db.session.commit()
    assert {p.code: p.version for p in db.session.scalars(select(Procedure)).unique()} == versions
    assert count(AuditEvent) == 2  # the two imports, no per-record change
    assert count(Field) == 3 and count(Department) == 3


def test_update_records_one_event_per_changed_procedure_and_absent_columns_stay(app):
    d = f.department(code="TP", name="Phòng Tư pháp")
    p = f.procedure(
        code="1.001108", name="Tên cũ", department_=d, level="Cấp xã", receive=True, ret=True
    )
    same = f.procedure(
        code="1.001109", name="Không đổi", department_=d, field_=p.field, level="Cấp xã"
    )
    db.session.commit()
    data = (
        "Mã TTHC,Tên TTHC,Lĩnh vực,Đơn vị\n"
        f"1.001108,Tên mới,{p.field.name},TP\n"
        f"1.001109,Không đổi,{p.field.name},TP\n"
    )
    report = services.import_procedures("b.csv", data.encode())
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    db.session.commit()
    p = by_code("1.001108")
    assert (p.name, p.level, p.eligible_receive, p.eligible_return) == (
        "Tên mới",
        "Cấp xã",
        True,
        True,
    )
    assert same.level == "Cấp xã"
    changes = list(
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == "procedure_import_update"))
    )
    assert len(changes) == 1 and changes[0].old_values == {"name": "Tên cũ"}


def test_bad_rows_are_all_reported_and_nothing_written(app):
    data = (
        HEADER
        + "1.001108,Đăng ký khai sinh,Tư pháp – Hộ tịch,TP,,,x,x,,\n"
        + "1.12,Mã sai,Tư pháp – Hộ tịch,TP,,,x,x,,\n"  # row 3: code
        + "1.001109,,Tư pháp – Hộ tịch,TP,,,x,x,,\n"  # row 4: name
        + "1.001110,Cờ sai,Tư pháp – Hộ tịch,TP,,,có lẽ,x,,\n"  # row 5: flag
        + "1.001111,Đơn vị trống,Tư pháp – Hộ tịch,,,,x,x,,\n"  # row 6: department
        + "1.001112,Hiệu lực sai,Tư pháp – Hộ tịch,TP,,,x,x,,maybe\n"
    )  # row 7
    report = services.import_procedures("bad.csv", data.encode())
    assert not report.ok
    assert [(p.row, p.column) for p in report.sorted_problems()] == [
        (3, "ma_tthc"),
        (4, "ten_tthc"),
        (5, "tiep_nhan_bcci"),
        (6, "don_vi"),
        (7, "hieu_luc"),
    ]
    db.session.rollback()
    assert count(Procedure) == count(Field) == count(Department) == count(AuditEvent) == 0


def test_duplicate_code_makes_both_rows_bad(app):
    data = (
        HEADER
        + "1.001108,A,Xây dựng,QLDT,,,x,x,,\n"
        + "1.001109,B,Xây dựng,QLDT,,,x,x,,\n"
        + "1.001108,C,Xây dựng,QLDT,,,x,x,,\n"
    )
    report = services.import_procedures("dup.csv", data.encode())
    assert [(p.row, p.column) for p in report.sorted_problems()] == [(2, "ma_tthc"), (4, "ma_tthc")]
    assert "2, 4" in report.problems[0].reason


def test_missing_required_column(app):
    report = services.import_procedures(
        "x.csv", "ma_tthc,ten_tthc,linh_vuc\n1.001108,A,B\n".encode()
    )
    assert not report.ok and "don_vi" in report.problems[0].reason


def test_bom_semicolons_vietnamese_headers_title_rows_and_x_blank_flags(app):
    data = (
        "\ufeffDANH MỤC THỦ TỤC HÀNH CHÍNH;;;;;\n"
        "Mã TTHC;Tên thủ tục hành chính;Lĩnh Vực;Đơn vị;Tiếp nhận BCCI;Trả kết quả BCCI;Hiệu lực;"
        "Lý do không BCCI\n"
        "1.001108;Đăng ký khai sinh;Tư pháp – Hộ tịch;tp;X;;;Kết quả phải trao trực tiếp\n"
    ).encode("utf-8")
    # "Tên thủ tục hành chính" is not a known header: the required ten_tthc is missing.
    report = services.import_procedures("x.csv", data)
    assert not report.ok
    data = data.replace("Tên thủ tục hành chính".encode(), "Tên TTHC".encode())
    report = services.import_procedures("x.csv", data)
    assert report.ok, report.problems
    p = by_code("1.001108")
    assert (p.eligible_receive, p.eligible_return, p.in_force, p.department.code) == (
        True,
        False,
        True,
        "TP",
    )


def test_a_no_without_a_reason_is_a_bad_row_as_on_the_edit_form(app):
    """Every such row is reported with its line; nothing is written. A stored reason counts where
    the file has no reason column; a file without flag columns does not speak of eligibility."""
    stored = f.procedure(code="1.001200", receive=True, ret=False, reason_code="originals")
    bare = f.procedure(code="1.001201", receive=True, ret=True)
    db.session.commit()
    data = (
        HEADER
        + "1.001108,Cả hai có,Tư pháp – Hộ tịch,TP,,,x,x,,\n"
        + "1.001109,Không nhận thiếu lý do,Tư pháp – Hộ tịch,TP,,,,x,,\n"  # row 3
        + "1.001110,Không trả có lý do,Tư pháp – Hộ tịch,TP,,,x,không,Kết quả phải trao trực tiếp,\n"
        + "1.001111,Cả hai không thiếu lý do,Tư pháp – Hộ tịch,TP,,,không,0,,\n"
    )  # row 5
    report = services.import_procedures("no.csv", data.encode())
    assert [(p.row, p.column) for p in report.sorted_problems()] == [
        (3, "ly_do_khong_bcci"),
        (5, "ly_do_khong_bcci"),
    ]
    assert report.problems[0].reason.startswith("Nêu lý do")
    db.session.rollback()
    assert count(Procedure) == 2 and count(AuditEvent) == 0
    # Without a reason column: a stored reason is enough, none is a bad row.
    data = (
        "ma_tthc,ten_tthc,linh_vuc,don_vi,tiep_nhan_bcci,tra_ket_qua_bcci\n"
        f"{stored.code},A,{stored.field.name},{stored.department.code},x,\n"
        f"{bare.code},B,{bare.field.name},{bare.department.code},,x\n"
    )  # row 3
    report = services.import_procedures("no.csv", data.encode())
    assert [(p.row, p.column) for p in report.sorted_problems()] == [(3, "ly_do_khong_bcci")]
    db.session.rollback()
    # Eligible both ways: a reason in the file is dropped, as the form drops it.
    data = (
        HEADER + f"{stored.code},A,{stored.field.name},{stored.department.code},,,x,x,"
        "Phải đối chiếu bản chính,\n"
    )
    assert services.import_procedures("yes.csv", data.encode()).ok
    assert (by_code(stored.code).reason_code, by_code(stored.code).reason_text) == ("", "")
    # No flag columns: the file does not speak of eligibility.
    data = "ma_tthc,ten_tthc,linh_vuc,don_vi\n1.001300,Mới,Xây dựng,QLDT\n"
    assert services.import_procedures("names.csv", data.encode()).ok


def test_text_is_normalised_to_nfc(app):
    decomposed = "Đăng ký khai sinh".replace("ă", "a\u0306").replace("í", "i\u0301")
    data = (HEADER + f"1.001108,{decomposed},Tư pháp – Hộ tịch,TP,,,x,x,,\n").encode()
    assert services.import_procedures("x.csv", data).ok
    assert by_code("1.001108").name == "Đăng ký khai sinh"
    assert count(Field) == 1


def test_xlsx_import(app):
    wb = Workbook()
    ws = wb.active
    ws.append(["Danh mục"])
    ws.append(
        [
            "MA_TTHC",
            "Tên TTHC",
            "Lĩnh vực",
            "Đơn vị",
            "Tiếp nhận BCCI",
            "Trả kết quả BCCI",
            "Lý do không BCCI",
        ]
    )
    ws.append(
        [
            "1.001108",
            "Đăng ký khai sinh",
            "Tư pháp – Hộ tịch",
            "TP",
            1,
            0,
            "Kết quả phải trao trực tiếp",
        ]
    )
    ws.append(["1.001109", "Cấp bản sao", "Tư pháp – Hộ tịch", "TP", True, True, None])
    buf = io.BytesIO()
    wb.save(buf)
    report = services.import_procedures("tthc.xlsx", buf.getvalue())
    assert report.ok, report.problems
    p = by_code("1.001108")
    assert (p.eligible_receive, p.eligible_return, p.reason_code) == (
        True,
        False,
        "result_in_person",
    )


def test_department_staff_import_only_their_own_rows(app):
    own = f.department(code="TP")
    other = f.department(code="QLDT")
    theirs = f.procedure(code="1.001200", department_=other)
    user = f.user("department", department_=own)
    db.session.commit()
    data = (
        HEADER
        + "1.001108,A,Tư pháp – Hộ tịch,TP,,,x,x,,\n"
        + "1.001109,B,Xây dựng,QLDT,,,x,x,,\n"  # another department's
        + f"{theirs.code},C,Xây dựng,TP,,,x,x,,\n"  # moving theirs into mine
        + "1.001110,D,Xây dựng,MOI,,,x,x,,\n"
    )  # a new department
    report = services.import_procedures("x.csv", data.encode(), user)
    assert [(p.row, p.column) for p in report.sorted_problems()] == [
        (3, "don_vi"),
        (4, "don_vi"),
        (5, "don_vi"),
    ]
    db.session.rollback()
    assert count(Procedure) == 1
    report = services.import_procedures(
        "x.csv", (HEADER + "1.001108,A,Hộ tịch,tp,,,x,x,,\n").encode(), user
    )
    assert report.ok


def test_import_page(client, auth):
    auth.login("centre")
    assert client.get("/procedures/import").status_code == 200
    r = client.upload("/procedures/import", GOOD, "tthc.csv")
    assert r.status_code == 303
    assert count(Procedure) == 3
    bad = HEADER + "1.12,,X,,,,có lẽ,,,\n"
    r = client.upload("/procedures/import", bad, "bad.csv")
    assert r.status_code == 422 and 'data-testid="import-refused"' in r.text
    for column in ("ma_tthc", "ten_tthc", "don_vi", "tiep_nhan_bcci"):
        assert f"<code>{column}</code>" in r.text
    r = client.post("/procedures/import", data={}, content_type="multipart/form-data")
    assert r.status_code == 422 and "Hãy chọn tệp cần nhập." in r.text


def test_import_page_department_refused_file(client, auth):
    own = f.department(code="TP")
    f.department(code="QLDT")
    auth.login("department", department=own)
    data = HEADER + "1.001108,A,Tư pháp – Hộ tịch,QLDT,,,,,,\n"
    r = client.upload("/procedures/import", data, "x.csv")
    assert r.status_code == 422 and "Chỉ được nhập thủ tục của đơn vị mình." in r.text
    assert count(Procedure) == 0


def test_cli_import(runner, tmp_path):
    path = tmp_path / "tthc.csv"
    path.write_text(GOOD, encoding="utf-8")
    r = runner.invoke(args=["import", "procedures", str(path)])
    assert r.exit_code == 0, r.output
    assert "3 thêm mới, 0 thay đổi, 0 không đổi" in r.output
    r = runner.invoke(args=["import", "procedures", str(path)])
    assert "0 thêm mới, 0 thay đổi, 3 không đổi" in r.output
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "1.12,,X,,,,,,,\n", encoding="utf-8")
    r = runner.invoke(args=["import", "procedures", str(bad)])
    assert r.exit_code != 0
    assert (
        "dòng 2, cột ma_tthc" in r.output
        and "dòng 2, cột ten_tthc" in r.output
        and "dòng 2, cột don_vi" in r.output
    )
    assert "không ghi gì" in r.output


def test_import_write_repeats_the_database_checks(app):
    """Checked with no write lock, a file is checked again against the database when it is
    written: a procedure moved meanwhile to another department refuses department staff's file."""
    own = f.department(code="TP")
    other = f.department(code="QLDT")
    mine = f.procedure(code="1.001200", department_=own)
    user = f.user("department", department_=own)
    db.session.commit()
    prepared = services.read_procedures_file(
        "x.csv", (HEADER + f"{mine.code},C,Hộ tịch,TP,,,x,x,,\n").encode()
    )
    services.check_procedure_rows(prepared, user)
    assert prepared.report.ok
    mine.department_id = other.id
    db.session.flush()
    report = services.write_procedures(prepared, user)
    assert [(p.row, p.column) for p in report.problems] == [(2, "don_vi")]
    assert by_code("1.001200").name != "C"


def test_import_is_bulk_not_per_row(app):
    """A 300-row import runs a handful of SELECTs, not one per row."""
    rows = "".join(
        f"1.{n:06d},Thủ tục {n},Lĩnh vực {n % 7},D{n % 5},,,x,,Lý do,\n" for n in range(300)
    )
    with recorded() as statements:
        report = services.import_procedures("big.csv", (HEADER + rows).encode())
    assert report.ok and report.created == 300
    assert sum(s.lstrip().upper().startswith("SELECT") for s in statements) <= 5


def test_the_benchmark_catalogue_imports_with_its_reasons(app):
    from bench import common

    rows = common.procedure_rows()
    assert any(r["tiep_nhan_bcci"] == "không" for r in rows)
    report = services.import_procedures("bench.csv", common.to_csv(common.PROCEDURE_COLUMNS, rows))
    assert report.ok, report.sorted_problems()[:5]
    assert report.created == len(rows)
