"""Imports per unit (docs/formats.md, *The unit of each row*): ``import dossiers|postal FILE
--unit CODE``, a ``ma_don_vi`` column naming each row's unit, an unknown unit a bad row with
the file refused whole, a file naming no unit refused on a deployment of several units, dossier
codes unique across the province (another unit's code refused without showing its dossier),
shipments only for their own unit's dossiers; the web import in the user's unit, or the unit a
province-wide user picks."""

import io
import re
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from blueprints.dossiers.services import import_dossiers
from blueprints.postal.services import import_postal
from extensions import db
from models import FIRST_UNIT_ID, AuditEvent, Dossier, Shipment, Unit
from tests import factories as f
from utils import tally, units

DOSSIER_HEADER = ("ma_ho_so", "ma_tthc", "ngay_tiep_nhan", "kenh_tiep_nhan", "ngay_tra", "kenh_tra")
POSTAL_HEADER = ("so_hieu_buu_gui", "chieu", "ma_ho_so", "ngay")


def csv_file(header, *rows):
    return "\n".join(",".join(r) for r in (header, *rows)).encode() + b"\n"


def xlsx_file(header, *rows):
    book = Workbook()
    sheet = book.active
    for row in (header, *rows):
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def dossier_row(code, received="05/01/2024", procedure="1.001108"):
    return (code, procedure, received, "truc_tiep", "", "")


def units_of(model, codes, column):
    rows = db.session.execute(
        select(column, Unit.code).join(Unit, Unit.id == model.unit_id).where(column.in_(codes))
    ).all()
    return dict(rows)


def count(model):
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture()
def province(app):
    """Two units (the first, DV01, and XA-02), a procedure, and a dossier of each unit."""
    second = units.create_unit("XA-02", "Trung tâm xã Hòa An", "xa")
    proc = f.procedure(code="1.001108", receive=True, ret=True)
    mine = f.dossier(proc, date(2024, 1, 5), code="HS-DV01-1")
    theirs = f.dossier(proc, date(2024, 1, 6), code="HS-XA02-1")
    theirs.unit_id = second.id
    db.session.commit()
    return second, mine, theirs


def test_the_command_line_imports_into_the_unit_named_by_unit(runner, province, tmp_path):
    second, _mine, theirs = province
    path = tmp_path / "hs.csv"
    path.write_bytes(csv_file(DOSSIER_HEADER, dossier_row("HS-NEW-1"), dossier_row("HS-NEW-2")))
    r = runner.invoke(args=["import", "dossiers", str(path), "--unit", "XA-02"])
    assert r.exit_code == 0, r.output
    assert units_of(Dossier, ["HS-NEW-1", "HS-NEW-2"], Dossier.code) == {
        "HS-NEW-1": "XA-02",
        "HS-NEW-2": "XA-02",
    }
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "dossier.import")
    ).scalar_one()
    assert event.new_values["unit"] == "XA-02" and event.new_values["created"] == 2
    manifest = tmp_path / "bg.csv"
    manifest.write_bytes(
        csv_file(POSTAL_HEADER, ("RR473124829VN", "tra_ket_qua", "HS-NEW-1", "10/01/2024"))
    )
    r = runner.invoke(args=["import", "postal", str(manifest), "--unit", "XA-02"])
    assert r.exit_code == 0, r.output
    shipment = db.session.execute(select(Shipment)).scalar_one()
    assert shipment.unit_id == second.id  # its dossier's unit
    r = runner.invoke(args=["import", "dossiers", str(path), "--unit", "NOPE"])
    assert r.exit_code != 0 and "NOPE" in r.output
    assert "Không có đơn vị nào mang mã này." in r.output


def test_a_file_naming_no_unit_is_refused_on_a_deployment_of_several(runner, province, tmp_path):
    path = tmp_path / "hs.csv"
    path.write_bytes(csv_file(DOSSIER_HEADER, dossier_row("HS-NEW-1")))
    manifest = tmp_path / "bg.csv"
    manifest.write_bytes(
        csv_file(POSTAL_HEADER, ("RR473124829VN", "tra_ket_qua", "HS-DV01-1", "10/01/2024"))
    )
    before = count(Dossier)
    for kind, file in (("dossiers", path), ("postal", manifest)):
        r = runner.invoke(args=["import", kind, str(file)])
        assert r.exit_code != 0
        assert "Hệ thống có nhiều đơn vị" in r.output and "--unit" in r.output, r.output
    assert (count(Dossier), count(Shipment)) == (before, 0)


def test_on_one_unit_neither_unit_nor_column_is_needed(runner, app, tmp_path):
    f.procedure(code="1.001108")
    db.session.commit()
    path = tmp_path / "hs.csv"
    path.write_bytes(csv_file(DOSSIER_HEADER, dossier_row("HS-1")))
    r = runner.invoke(args=["import", "dossiers", str(path)])
    assert r.exit_code == 0, r.output
    path.write_bytes(csv_file((*DOSSIER_HEADER, "ma_don_vi"), (*dossier_row("HS-2"), "DV01")))
    r = runner.invoke(args=["import", "dossiers", str(path), "--unit", "DV01"])
    assert r.exit_code == 0, r.output
    assert units_of(Dossier, ["HS-1", "HS-2"], Dossier.code) == {"HS-1": "DV01", "HS-2": "DV01"}


@pytest.mark.parametrize("make", [csv_file, xlsx_file], ids=["csv", "xlsx"])
def test_a_ma_don_vi_column_decides_each_rows_unit(province, make):
    header = (*DOSSIER_HEADER, "Mã đơn vị")  # headers match ignoring case and diacritics
    data = make(
        header,
        (*dossier_row("HS-A"), "XA-02"),
        (*dossier_row("HS-B"), "DV01"),
        (*dossier_row("HS-C"), "xa-02"),  # a code written in another case
    )
    report = import_dossiers(f"hs.{make.__name__[:-5]}", data)
    assert report.ok, report.problems
    assert units_of(Dossier, ["HS-A", "HS-B", "HS-C"], Dossier.code) == {
        "HS-A": "XA-02",
        "HS-B": "DV01",
        "HS-C": "XA-02",
    }
    assert tally.differences() == []  # each new dossier counted in its own unit
    manifest = make(
        (*POSTAL_HEADER, "ma_don_vi"),
        ("RR473124829VN", "tra_ket_qua", "HS-A", "10/01/2024", "XA-02"),
        ("EB123456785VN", "tra_ket_qua", "HS-B", "10/01/2024", "DV01"),
    )
    report = import_postal(f"bg.{make.__name__[:-5]}", manifest)
    assert report.ok, report.problems
    assert units_of(Shipment, ["RR473124829VN", "EB123456785VN"], Shipment.tracking_number) == {
        "RR473124829VN": "XA-02",
        "EB123456785VN": "DV01",
    }


def test_an_unknown_unit_is_a_bad_row_and_nothing_is_written(province):
    before = count(Dossier)
    data = csv_file(
        (*DOSSIER_HEADER, "ma_don_vi"),
        (*dossier_row("HS-A"), "XA-02"),
        (*dossier_row("HS-B"), "XA-99"),
        (*dossier_row("HS-C", procedure="1.999999"), "DV01"),
        (*dossier_row("HS-D"), ""),  # no unit chosen for the import: the cell must say
    )
    report = import_dossiers("hs.csv", data)
    assert [(p.row, p.column) for p in report.problems] == [
        (3, "ma_don_vi"),
        (4, "ma_tthc"),
        (5, "ma_don_vi"),
    ]
    assert "XA-99" in report.problems[0].reason
    db.session.rollback()
    assert count(Dossier) == before
    # the same file for one unit: the blank cell is that unit's, the other unit's row is bad
    good = csv_file(
        (*DOSSIER_HEADER, "ma_don_vi"),
        (*dossier_row("HS-A"), ""),
        (*dossier_row("HS-B"), "DV01"),
    )
    report = import_dossiers("hs.csv", good, unit=province[0].id)
    assert [(p.row, p.column) for p in report.problems] == [(3, "ma_don_vi")]
    assert "DV01" in report.problems[0].reason and "XA-02" in report.problems[0].reason
    db.session.rollback()
    assert count(Dossier) == before
    manifest = csv_file(
        (*POSTAL_HEADER, "ma_don_vi"),
        ("RR473124829VN", "tra_ket_qua", "HS-DV01-1", "10/01/2024", "DV01"),
        ("EB123456785VN", "tra_ket_qua", "HS-DV01-1", "10/01/2024", "NOPE"),
    )
    report = import_postal("bg.csv", manifest)
    assert [(p.row, p.column) for p in report.problems] == [(3, "ma_don_vi")]
    db.session.rollback()
    assert count(Shipment) == 0


def test_another_units_dossier_code_is_refused_without_showing_it(province):
    second, mine, theirs = province
    before = db.session.execute(select(Dossier.__table__).where(Dossier.id == theirs.id)).one()
    data = csv_file(
        DOSSIER_HEADER,
        dossier_row("HS-NEW-1"),
        dossier_row("HS-XA02-1", received="07/01/2024"),
        dossier_row("HS-DV01-1", received="08/01/2024"),
    )
    report = import_dossiers("hs.csv", data, unit=FIRST_UNIT_ID)
    assert [(p.row, p.column) for p in report.problems] == [(3, "ma_ho_so")]
    reason = report.problems[0].reason
    assert reason == "Mã hồ sơ HS-XA02-1 thuộc về một đơn vị khác."
    for secret in ("XA-02", "Hòa An", "1.001108", "06/01/2024", "2024-01-06"):
        assert secret not in reason
    db.session.rollback()
    after = db.session.execute(select(Dossier.__table__).where(Dossier.id == theirs.id)).one()
    assert after == before and db.session.get(Dossier, mine.id).receive_date == date(2024, 1, 5)
    assert count(Dossier) == 2
    # the owning unit updates it as before
    again = csv_file(DOSSIER_HEADER, dossier_row("HS-XA02-1", received="07/01/2024"))
    report = import_dossiers("hs.csv", again, unit=second.id)
    assert report.ok and report.updated == 1, report.problems


@pytest.mark.parametrize("checked_first", [False, True])
def test_an_import_reads_the_files_dossiers_once(province, checked_first):
    """On several units a known dossier code must be its row's unit's. A good file's codes are
    checked by the write, with the dossiers it reads in its own transaction: once, whether the
    import runs at once or is checked before the write lock (the page, the command line). A file
    refused for another reason is checked before, so that its report lists every bad row."""
    from blueprints.dossiers.services import import_checked_first
    from tests.statements import recorded

    second, mine, theirs = province
    run = import_checked_first if checked_first else import_dossiers

    def imported(*rows):
        with recorded() as statements:
            report = run("hs.csv", csv_file(DOSSIER_HEADER, *rows), unit=FIRST_UNIT_ID)
        return report, [s for s in statements if "FROM dossier WHERE code" in s]

    report, reads = imported(
        dossier_row("HS-NEW-1"), dossier_row("HS-DV01-1", received="08/01/2024")
    )
    assert report.ok and (report.created, report.updated) == (1, 1), report.problems
    assert len(reads) == 1
    db.session.commit()
    assert db.session.get(Dossier, mine.id).receive_date == date(2024, 1, 8)
    report, reads = imported(dossier_row("HS-XA02-1", received="07/01/2024"))
    assert [(p.row, p.column) for p in report.problems] == [(2, "ma_ho_so")] and len(reads) == 1
    db.session.rollback()
    report, reads = imported(
        dossier_row("HS-XA02-1", received="07/01/2024"), dossier_row("HS-NEW-2", received="x")
    )
    assert [(p.row, p.column) for p in report.problems] == [
        (2, "ma_ho_so"),
        (3, "ngay_tiep_nhan"),
    ]
    assert len(reads) == 1
    db.session.rollback()
    assert db.session.get(Dossier, theirs.id).receive_date != date(2024, 1, 7)


def test_a_shipment_must_name_a_dossier_of_its_own_unit(province):
    second, mine, theirs = province
    manifest = csv_file(
        POSTAL_HEADER,
        ("RR473124829VN", "tra_ket_qua", "HS-XA02-1", "10/01/2024"),
        ("EB123456785VN", "tra_ket_qua", "HS-DV01-1", "10/01/2024"),
    )
    report = import_postal("bg.csv", manifest, unit=FIRST_UNIT_ID)
    assert [(p.row, p.column) for p in report.problems] == [(2, "ma_ho_so")]
    assert report.problems[0].reason == "Mã hồ sơ HS-XA02-1 thuộc về một đơn vị khác."
    db.session.rollback()
    assert count(Shipment) == 0
    theirs_only = csv_file(
        POSTAL_HEADER, ("RR473124829VN", "tra_ket_qua", "HS-XA02-1", "10/01/2024")
    )
    report = import_postal("bg.csv", theirs_only, unit=second.id)
    assert report.ok, report.problems
    assert {s.unit_id for s in db.session.execute(select(Shipment)).scalars()} == {second.id}


# --- The web import --------------------------------------------------------------------------

PICKER = 'data-testid="import-unit"'


def picker_options(page):
    select_ = page[page.index(PICKER) : page.index("</select>", page.index(PICKER))]
    return re.findall(r'<option value="([^"]*)"', select_)


@pytest.mark.parametrize("url", ["/dossiers/import", "/shipments/import"])
def test_only_province_wide_users_get_the_unit_picker(client, auth, app, url):
    auth.login("admin")
    page = client.get(url).text
    assert PICKER not in page and 'data-column="ma_don_vi"' not in page  # one unit: none
    second = units.create_unit("XA-02", "Trung tâm xã Hòa An", "xa")
    db.session.commit()
    page = client.get(url).text  # the admin, unbound, was bound to the first unit
    assert PICKER not in page and 'data-column="ma_don_vi"' in page
    auth.logout()
    auth.login(user=f.user("centre", unit_id=second.id))
    assert PICKER not in client.get(url).text
    auth.logout()
    auth.login(user=f.user("admin", province_wide=True))
    page = client.get(url).text
    assert picker_options(page) == ["", str(FIRST_UNIT_ID), str(second.id)]
    assert 'data-column="ma_don_vi"' in page


def test_a_unit_bound_users_import_goes_to_his_unit_whatever_he_posts(client, auth, province):
    second, _mine, _theirs = province
    auth.login(user=f.user("centre", unit_id=second.id))
    data = csv_file(DOSSIER_HEADER, dossier_row("HS-WEB-1"))
    r = client.post(
        "/dossiers/import",
        data={"file": (io.BytesIO(data), "hs.csv"), "unit": str(FIRST_UNIT_ID)},
        content_type="multipart/form-data",
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200, r.text
    assert units_of(Dossier, ["HS-WEB-1"], Dossier.code) == {"HS-WEB-1": "XA-02"}
    # a row naming another unit is bad, and so is another unit's dossier code
    data = csv_file(
        (*DOSSIER_HEADER, "ma_don_vi"),
        (*dossier_row("HS-WEB-2"), "DV01"),
        (*dossier_row("HS-DV01-1"), ""),
    )
    r = client.upload("/dossiers/import", data, "hs.csv", headers={"HX-Request": "true"})
    assert r.status_code == 422
    assert "Đơn vị DV01 không phải đơn vị của lần nhập này (XA-02)." in r.text
    assert "Mã hồ sơ HS-DV01-1 thuộc về một đơn vị khác." in r.text
    manifest = csv_file(POSTAL_HEADER, ("RR473124829VN", "tra_ket_qua", "HS-WEB-1", "10/01/2024"))
    r = client.post(
        "/shipments/import",
        data={"file": (io.BytesIO(manifest), "bg.csv"), "unit": str(FIRST_UNIT_ID)},
        content_type="multipart/form-data",
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200, r.text
    assert units_of(Shipment, ["RR473124829VN"], Shipment.tracking_number) == {
        "RR473124829VN": "XA-02"
    }


def test_a_province_wide_user_picks_the_unit_or_lets_the_file_say(client, auth, province):
    second, _mine, _theirs = province
    auth.login(user=f.user("admin", province_wide=True))
    data = csv_file(DOSSIER_HEADER, dossier_row("HS-WEB-1"))
    r = client.upload("/dossiers/import", data, "hs.csv", headers={"HX-Request": "true"})
    assert r.status_code == 422 and "Hệ thống có nhiều đơn vị" in r.text
    r = client.post(
        "/dossiers/import",
        data={"file": (io.BytesIO(data), "hs.csv"), "unit": "999"},
        content_type="multipart/form-data",
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 422 and "Không có đơn vị nào mang mã này." in r.text
    assert count(Dossier) == 2
    r = client.post(
        "/dossiers/import",
        data={"file": (io.BytesIO(data), "hs.csv"), "unit": str(second.id)},
        content_type="multipart/form-data",
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200, r.text
    data = csv_file((*DOSSIER_HEADER, "ma_don_vi"), (*dossier_row("HS-WEB-2"), "DV01"))
    r = client.upload("/dossiers/import", data, "hs.csv", headers={"HX-Request": "true"})
    assert r.status_code == 200, r.text
    assert units_of(Dossier, ["HS-WEB-1", "HS-WEB-2"], Dossier.code) == {
        "HS-WEB-1": "XA-02",
        "HS-WEB-2": "DV01",
    }


@pytest.mark.browser
def test_in_a_browser_a_province_wide_user_picks_the_unit_a_unit_user_sees_no_picker(
    page, province, tmp_path
):
    from playwright.sync_api import expect

    from tests.conftest import HtmxWatch, artifact_path, browser_login

    second, _mine, _theirs = province
    centre = f.user("centre", unit_id=second.id)
    admin = f.user("admin", province_wide=True)
    db.session.commit()
    browser_login(page, centre)
    page.goto("/dossiers/import")
    expect(page.get_by_test_id("import-columns")).to_contain_text("ma_don_vi")
    expect(page.get_by_test_id("import-unit")).to_have_count(0)
    page.context.clear_cookies()
    browser_login(page, admin)
    page.goto("/dossiers/import")
    watch = HtmxWatch(page)
    path = tmp_path / "hs.csv"
    path.write_bytes(csv_file(DOSSIER_HEADER, dossier_row("HS-WEB-1")))
    page.get_by_label("Đơn vị").select_option(label="XA-02 · Trung tâm xã Hòa An")
    page.screenshot(path=artifact_path("import-unit-picker.png"))
    page.set_input_files("input[name=file]", str(path))
    page.get_by_role("button", name="Nhập tệp").click()
    expect(page.get_by_test_id("import-ok")).to_be_visible()
    watch.settled()
    assert watch.page_did_not_reload()
    db.session.rollback()  # read what the server committed
    assert units_of(Dossier, ["HS-WEB-1"], Dossier.code) == {"HS-WEB-1": "XA-02"}


@pytest.mark.sqlite_only
def test_the_command_line_reads_its_unit_and_file_without_the_write_lock(
    runner, province, tmp_path
):
    """`--unit` is looked up as the file is checked, without the write lock: while another
    process holds it, a refused file gets its whole report at once."""
    from tests.test_busy import another_writer, short_lock_wait

    path = tmp_path / "hs.csv"
    path.write_bytes(csv_file(DOSSIER_HEADER, dossier_row("HS-NEW-1", procedure="9.999999")))
    with short_lock_wait(), another_writer():
        r = runner.invoke(args=["import", "dossiers", str(path), "--unit", "XA-02"])
    assert r.exit_code != 0 and "dòng 2, cột ma_tthc" in r.output, r.output


def header_of(response):
    return response.data.decode("utf-8-sig").splitlines()[0].split(",")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_on_several_units_the_exports_name_each_rows_unit_and_import_back(
    client, auth, province, fmt
):
    """Each export of dossiers and shipments ends with ma_don_vi on a deployment of several
    units (none on one unit: see test_import_formats), so a province-wide export imports back
    with no unit chosen, every row into its own unit, changing nothing."""
    second, _mine, _theirs = province
    auth.login(user=f.user("admin", province_wide=True))
    manifest = csv_file(
        (*POSTAL_HEADER, "ma_don_vi"),
        ("RR473124829VN", "tra_ket_qua", "HS-XA02-1", "10/01/2024", "XA-02"),
        ("EB123456785VN", "tra_ket_qua", "HS-DV01-1", "10/01/2024", "DV01"),
    )
    assert import_postal("bg.csv", manifest).ok
    db.session.commit()
    exports = (
        (import_dossiers, client.get(f"/dossiers/export.{fmt}")),
        (import_postal, client.post(f"/shipments/export-personal.{fmt}")),
        (import_postal, client.get(f"/shipments/export.{fmt}")),
    )
    for run, response in exports:
        assert response.status_code == 200
        if fmt == "csv":
            assert header_of(response)[-1] == "ma_don_vi"
        report = run(f"export.{fmt}", response.data)
        assert report.ok, report.problems
        assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
        db.session.rollback()


def test_on_one_unit_the_exports_have_no_unit_column(client, auth, app):
    auth.login("admin")
    for response in (
        client.get("/dossiers/export.csv"),
        client.get("/shipments/export.csv"),
        client.post("/shipments/export-personal.csv"),
    ):
        assert response.status_code == 200 and "ma_don_vi" not in header_of(response)
