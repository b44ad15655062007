"""Dossiers: the one-stop import, the source/effective rule, search, the dossier page."""

import io
import re
from datetime import date, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from blueprints.dossiers.services import import_dossiers, recompute_effective
from blueprints.postal.services import cancel_shipment, log_shipment
from extensions import db
from models import AuditEvent, Dossier
from tests import factories as f
from tests.statements import recorded
from utils.dates import vn_today

HEADER = "ma_ho_so,ma_tthc,ngay_tiep_nhan,kenh_tiep_nhan,ngay_tra,kenh_tra\n"


def csv_bytes(*lines, header=HEADER):
    return (header + "\n".join(lines) + "\n").encode("utf-8")


@pytest.fixture()
def proc(app):
    p = f.procedure(code="1.001108", receive=True, ret=True)
    db.session.commit()
    return p


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_import_creates_then_changes_nothing(proc):
    data = csv_bytes(
        "000.17.22.H56-240105-0001,1.001108,05/01/2024,Trực tiếp,9/1/2024 10:30,BCCI",
        "000.17.22.H56-240105-0002,1.001108,2024-01-05,truc_tuyen,,",
    )
    report = import_dossiers("a.csv", data)
    assert report.ok and (report.created, report.updated, report.unchanged) == (2, 0, 0)
    d = db.session.execute(select(Dossier).where(Dossier.code.endswith("0001"))).scalar_one()
    assert (d.receive_channel_src, d.receive_date_src) == ("truc_tiep", date(2024, 1, 5))
    assert (d.return_channel, d.return_date) == ("bcci", date(2024, 1, 9))
    db.session.commit()
    again = import_dossiers("a.csv", data)
    assert again.ok and (again.created, again.updated, again.unchanged) == (0, 0, 2)
    events = (
        db.session.execute(select(AuditEvent).where(AuditEvent.action == "dossier.import"))
        .scalars()
        .all()
    )
    assert (
        len(events) == 2
        and events[0].new_values["sha256"]
        and events[0].new_values["file"] == "a.csv"
    )


def test_bad_rows_in_different_columns_are_all_reported_and_nothing_written(proc):
    future = (vn_today() + timedelta(days=3)).strftime("%d/%m/%Y")
    data = csv_bytes(
        "000.17.22.H56-240105-0001,1.001108,05/01/2024,truc_tiep,,",
        "000.17.22.H56-240105-0002,9.999999,05/01/2024,truc_tiep,,",  # unknown procedure
        f"000.17.22.H56-240105-0003,1.001108,{future},truc_tiep,,",  # future date
        "000.17.22.H56-240105-0004,1.001108,05/01/2024,fax,,",  # bad channel
        "000.17.22.H56-240105-0001,1.001108,06/01/2024,truc_tiep,,",  # duplicate code
        "000.17.22.H56-240105-0005,1.001108,05/01/2024,truc_tiep,31/02/2024,",  # no such date
        "000.17.22.H56-240105-0006,1.001108,05/01/2024,truc_tiep,01/01/2024,bcci",  # return < receive
    )
    report = import_dossiers("bad.csv", data)
    assert not report.ok
    got = {(p.row, p.column) for p in report.problems}
    assert got == {
        (2, "ma_ho_so"),
        (6, "ma_ho_so"),
        (3, "ma_tthc"),
        (4, "ngay_tiep_nhan"),
        (5, "kenh_tiep_nhan"),
        (7, "ngay_tra"),
        (8, "ngay_tra"),
    }
    db.session.rollback()
    assert count(Dossier) == 0


def test_unusual_code_is_a_warning_and_header_found_below_titles(proc):
    data = (
        "Báo cáo hồ sơ;;;\nXuất ngày 01/10/2024;;;\n"
        "Mã hồ sơ;Mã TTHC;Ngày tiếp nhận;Kênh tiếp nhận\nHS-2024/77;1.001108;5/1/2024;Bưu chính công ích\n"
    ).encode("utf-8-sig")
    report = import_dossiers("x.csv", data)
    assert report.ok and report.created == 1
    assert [(w.row, w.column) for w in report.warnings] == [(4, "ma_ho_so")]
    d = db.session.execute(select(Dossier)).scalar_one()
    assert d.receive_channel == "bcci" and d.return_channel is None


def test_missing_required_column_refuses_the_file(proc):
    report = import_dossiers("x.csv", b"ma_ho_so,ma_tthc\nA,1.001108\n")
    assert not report.ok and report.problems[0].row == 1


def test_xlsx_with_native_dates(proc):
    wb = Workbook()
    ws = wb.active
    ws.append(["Mã hồ sơ", "Mã TTHC", "Ngày tiếp nhận", "Kênh tiếp nhận", "Ngày trả", "Kênh trả"])
    ws.append(
        [
            "000.17.22.H56-240105-0001",
            "1.001108",
            date(2024, 1, 5),
            "Trực tuyến",
            date(2024, 1, 8),
            "Trực tiếp",
        ]
    )
    out = io.BytesIO()
    wb.save(out)
    report = import_dossiers("x.xlsx", out.getvalue())
    assert report.ok and report.created == 1
    d = db.session.execute(select(Dossier)).scalar_one()
    assert d.return_date == date(2024, 1, 8) and d.receive_channel == "truc_tuyen"


def test_absent_optional_column_leaves_values_and_changes_are_audited(proc):
    import_dossiers(
        "a.csv",
        csv_bytes("000.17.22.H56-240105-0001,1.001108,05/01/2024,truc_tiep,09/01/2024,truc_tiep"),
    )
    db.session.commit()
    report = import_dossiers(
        "b.csv",
        "ma_ho_so,ma_tthc,ngay_tiep_nhan,kenh_tiep_nhan\n"
        "000.17.22.H56-240105-0001,1.001108,05/01/2024,truc_tuyen\n".encode(),
    )
    assert report.ok and report.updated == 1
    d = db.session.execute(select(Dossier)).scalar_one()
    assert d.return_date_src == date(2024, 1, 9) and d.receive_channel == "truc_tuyen"
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "dossier.import_update")
    ).scalar_one()
    assert event.object_id == str(d.id)
    assert event.old_values == {"receive_channel_src": "truc_tiep"}
    assert event.new_values == {"receive_channel_src": "truc_tuyen"}


def test_source_and_effective_rule(proc):
    """A shipment makes the channel bcci, a re-import does not undo it, a cancel recomputes it."""
    line = "000.17.22.H56-240105-0001,1.001108,05/01/2024,truc_tiep,,"
    import_dossiers("a.csv", csv_bytes(line))
    db.session.commit()
    d = db.session.execute(select(Dossier)).scalar_one()
    s = log_shipment(
        tracking_number=f.tracking_number(),
        direction="tra_ket_qua",
        dossier=d,
        date=date(2024, 1, 20),
        recipient_name="Nguyễn Văn An",
        address="phường Hồng Hà",
        phone="0912345678",
    )
    db.session.commit()
    assert (d.return_channel, d.return_date) == ("bcci", date(2024, 1, 20))
    assert d.return_channel_src is None and d.return_date_src is None
    assert d.receive_channel == "truc_tiep"
    # The one-stop export says in person, with a return date: the shipment still makes it bcci,
    # and the source's date wins over the shipment's.
    report = import_dossiers(
        "b.csv",
        csv_bytes("000.17.22.H56-240105-0001,1.001108,05/01/2024,truc_tiep,18/01/2024,truc_tiep"),
    )
    assert report.ok and report.updated == 1
    db.session.commit()
    db.session.refresh(d)
    assert (d.return_channel, d.return_date) == ("bcci", date(2024, 1, 18))
    assert d.return_channel_src == "truc_tiep"
    cancel_shipment(s, "Nhập nhầm")
    db.session.commit()
    db.session.refresh(d)
    assert (d.return_channel, d.return_date) == ("truc_tiep", date(2024, 1, 18))


def test_effective_date_is_earliest_live_shipment_when_source_has_none(proc):
    d = f.dossier(proc, date(2024, 1, 5))
    a = f.shipment(d, "tra_ket_qua", date(2024, 2, 10))
    f.shipment(d, "tra_ket_qua", date(2024, 2, 3), cancelled=True)
    f.shipment(d, "tra_ket_qua", date(2024, 2, 15))
    f.shipment(d, "tiep_nhan", date(2024, 1, 4), cancelled=True)
    recompute_effective([d.id])
    assert (d.return_channel, d.return_date) == ("bcci", date(2024, 2, 10))
    assert (d.receive_channel, d.receive_date) == ("truc_tiep", date(2024, 1, 5))
    a.cancelled = True
    recompute_effective([d.id])
    assert d.return_date == date(2024, 2, 15)


def test_cli_import(runner, proc, tmp_path):
    path = tmp_path / "hs.csv"
    path.write_bytes(csv_bytes("000.17.22.H56-240105-0001,1.001108,05/01/2024,truc_tiep,,"))
    r = runner.invoke(args=["import", "dossiers", str(path)])
    assert r.exit_code == 0 and "1 thêm mới" in r.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        csv_bytes(
            "X-1,1.000000,05/01/2024,truc_tiep,,",
            "X-2,1.001108,xx,truc_tiep,,",
            "X-3,1.001108,05/01/2024,?,,",
        )
    )
    r = runner.invoke(args=["import", "dossiers", str(bad)])
    assert r.exit_code != 0
    assert (
        "dòng 2, cột ma_tthc" in r.output
        and "dòng 3, cột ngay_tiep_nhan" in r.output
        and "dòng 4, cột kenh_tiep_nhan" in r.output
    )
    assert count(Dossier) == 1


def test_import_page_with_and_without_htmx(client, auth, proc):
    auth.login("centre")
    row = "000.17.22.H56-240105-0001,1.001108,05/01/2024,truc_tiep,,"
    r = client.upload("/dossiers/import", csv_bytes(row), "hs.csv", headers={"HX-Request": "true"})
    assert r.status_code == 200 and 'data-testid="import-ok"' in r.text and "<html" not in r.text
    r = client.upload("/dossiers/import", csv_bytes("A,9.000000,05/01/2024,truc_tiep,,"), "hs.csv")
    assert r.status_code == 422 and "<html" in r.text and "ma_tthc" in r.text
    row = "000.17.22.H56-240105-0002,1.001108,05/01/2024,truc_tiep,,"
    r = client.upload("/dossiers/import", csv_bytes(row), "hs.csv")
    assert r.status_code == 303
    assert count(Dossier) == 2


@pytest.mark.parametrize("role", ["leader", "department"])
def test_import_refused_to_other_roles(client, auth, role, proc):
    auth.login(role)
    assert client.get("/dossiers/import").status_code == 403
    assert (
        client.upload(
            "/dossiers/import", csv_bytes("A,1.001108,05/01/2024,truc_tiep,,"), "hs.csv"
        ).status_code
        == 403
    )
    assert count(Dossier) == 0


def test_search_filters_and_export(client, auth, proc):
    other = f.procedure(name="Đăng ký đất đai")
    d1 = f.dossier(
        proc,
        date(2024, 3, 1),
        code="000.17.22.H56-240301-0001",
        returned=date(2024, 3, 5),
        return_channel="bcci",
    )
    f.dossier(other, date(2024, 5, 1), code="000.17.22.H56-240501-0001")
    auth.login("leader")
    r = client.get("/dossiers?procedure=dat dai")
    assert "240501-0001" in r.text and "240301-0001" not in r.text
    r = client.get(
        "/dossiers?direction=tra_ket_qua&channel=bcci&from=2024-03-01&to=2024-03-31",
        headers={"HX-Request": "true"},
    )
    assert "240301-0001" in r.text and "240501-0001" not in r.text and "<html" not in r.text
    r = client.get(f"/dossiers?department={proc.department_id}")
    assert "240301-0001" in r.text and "240501-0001" not in r.text
    assert client.get("/dossiers?from=2024-13-01&to=x").status_code == 400
    r = client.get("/dossiers/export.csv?q=240301")
    text = r.data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith(
        "ma_ho_so,ma_tthc,ngay_tiep_nhan,kenh_tiep_nhan,ngay_tra,kenh_tra"
    )
    assert "000.17.22.H56-240301-0001,1.001108,01/03/2024,truc_tiep,05/03/2024,bcci" in text
    r = client.get(f"/dossiers/{d1.id}")
    assert r.status_code == 200 and d1.code in r.text


def test_department_sees_only_its_own_dossier_page(client, auth, proc):
    d = f.dossier(proc, date(2024, 3, 1))
    auth.login("department", department=proc.department)
    assert client.get(f"/dossiers/{d.id}").status_code == 200
    assert client.get("/dossiers").status_code == 403
    auth.logout()
    auth.login("department")
    assert client.get(f"/dossiers/{d.id}").status_code == 403


def many_rows(count, day=date(2024, 1, 5)):
    """``count`` well-formed one-stop rows, every fourth with a return."""
    rows = []
    for i in range(count):
        returned = f"{(day + timedelta(days=3)):%d/%m/%Y}" if i % 4 == 0 else ""
        rows.append(
            f"000.17.22.H56-{day:%y%m%d}-{i:04d},1.001108,{day:%d/%m/%Y},"
            f"{'truc_tuyen' if i % 2 else 'truc_tiep'},{returned},{'bcci' if returned else ''}"
        )
    return rows


def stored_dossiers():
    return db.session.execute(
        select(Dossier.code, Dossier.procedure_id, *Dossier.channel_columns()).order_by(
            Dossier.code
        )
    ).all()


def test_large_file_with_bad_rows_anywhere_writes_nothing_and_reports_each(proc):
    rows = many_rows(3000)
    rows[1500] = rows[1500].replace("1.001108", "9.999999")
    rows.append("000.17.22.H56-240105-9999,1.001108,05/01/2024")  # short row, last in the file
    report = import_dossiers("big.csv", csv_bytes(*rows))
    assert not report.ok
    assert [(p.row, p.column) for p in report.sorted_problems()] == [
        (1502, "ma_tthc"),
        (3002, "kenh_tiep_nhan"),
    ]
    assert report.problems[0].reason.endswith(": 9.999999")
    db.session.rollback()
    assert count(Dossier) == 0 and count(AuditEvent) == 0


def test_large_reimport_changes_only_the_changed_rows(proc):
    rows = many_rows(3000)
    report = import_dossiers("big.csv", csv_bytes(*rows))
    assert report.ok and report.created == 3000
    db.session.commit()
    first = stored_dossiers()
    assert first[4][2:] == (
        date(2024, 1, 5),
        "truc_tiep",
        date(2024, 1, 8),
        "bcci",
        date(2024, 1, 5),
        "truc_tiep",
        date(2024, 1, 8),
        "bcci",
    )
    again = import_dossiers("big.csv", csv_bytes(*rows))
    assert again.ok and (again.created, again.updated, again.unchanged) == (0, 0, 3000)
    db.session.commit()
    assert stored_dossiers() == first
    rows[7] = rows[7].replace("truc_tuyen,", "bcci,")
    rows[2999] = "X" + rows[2999]  # an unusual code shape: a new dossier, with a warning
    changed = import_dossiers("big.csv", csv_bytes(*rows))
    assert changed.ok and (changed.created, changed.updated, changed.unchanged) == (1, 1, 2998)
    assert [(w.row, w.column) for w in changed.warnings] == [(3001, "ma_ho_so")]
    db.session.commit()
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "dossier.import_update")
    ).scalar_one()
    assert (event.old_values, event.new_values) == (
        {"receive_channel_src": "truc_tuyen"},
        {"receive_channel_src": "bcci"},
    )
    assert count(Dossier) == 3001


def test_xlsx_cells_of_equal_value_and_different_type_are_told_apart(proc):
    wb = Workbook()
    ws = wb.active
    ws.append(["ma_ho_so", "ma_tthc", "ngay_tiep_nhan", "kenh_tiep_nhan"])
    ws.append(["000.17.22.H56-240105-0001", "1.001108", date(2024, 1, 5), 1])
    ws.append(["000.17.22.H56-240105-0002", "1.001108", date(2024, 1, 5), True])
    out = io.BytesIO()
    wb.save(out)
    report = import_dossiers("x.xlsx", out.getvalue())
    problems = report.sorted_problems()
    assert [(p.row, p.column) for p in problems] == [(2, "kenh_tiep_nhan"), (3, "kenh_tiep_nhan")]
    assert ": 1 (" in problems[0].reason and ": True (" in problems[1].reason


def test_codes_with_backslashes_are_stored_as_written_and_tabs_refused(proc):
    codes = ["\\N", "HS\\2024\\7", "HS-9\\"]
    report = import_dossiers(
        "x.csv", csv_bytes(*(f'"{c}",1.001108,05/01/2024,truc_tiep,,' for c in codes))
    )
    assert report.ok and report.created == 3
    db.session.commit()
    assert sorted(db.session.execute(select(Dossier.code)).scalars()) == sorted(codes)
    assert (
        import_dossiers(
            "x.csv", csv_bytes(*(f'"{c}",1.001108,05/01/2024,truc_tiep,,' for c in codes))
        ).unchanged
        == 3
    )
    # A code with a tab (docs/limits.md: codes hold no control character at all) is refused.
    tabbed = import_dossiers("x.csv", csv_bytes('"HS\t8",1.001108,05/01/2024,truc_tiep,,'))
    assert not tabbed.ok and "tab" in tabbed.problems[0].reason
    assert db.session.scalar(select(func.count()).select_from(Dossier)) == 3


def test_an_import_over_many_days_keeps_the_tallies_equal_to_the_dossiers(proc):
    from utils import tally

    other = f.procedure(code="1.001109")
    db.session.commit()
    start = date(2020, 1, 1)
    rows = []
    for i in range(1500):  # more tally rows than one statement per row would write
        day = start + timedelta(days=i)
        rows.append(
            f"000.17.22.H56-{day:%y%m%d}-0001,{'1.001108' if i % 3 else '1.001109'},"
            f"{day:%d/%m/%Y},{'bcci' if i % 7 == 0 else 'truc_tiep'},"
            f"{(day + timedelta(days=4)):%d/%m/%Y},{'bcci' if i % 5 == 0 else 'truc_tuyen'}"
        )
    assert import_dossiers("many-days.csv", csv_bytes(*rows)).created == 1500
    db.session.commit()
    assert tally.differences() == []
    rows[10] = rows[10].replace(",1.001108,", ",1.001109,")
    again = import_dossiers("many-days.csv", csv_bytes(*rows))
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1499)
    db.session.commit()
    assert tally.differences() == [] and other.id


def test_a_procedure_with_dossiers_cannot_be_deleted_or_renumbered(app, proc):
    """The database refuses it: SQLite's foreign key, PostgreSQL's guard on the procedures
    (``utils.triggers.PROCEDURE_GUARD``, which replaced the foreign key there)."""
    from sqlalchemy import delete, update
    from sqlalchemy.exc import IntegrityError

    from models import Procedure

    f.dossier(proc, date(2024, 3, 5), code="GUARD-1")
    unused = f.procedure(code="1.000099")
    db.session.commit()
    for statement in (
        delete(Procedure).where(Procedure.id == proc.id),
        update(Procedure).where(Procedure.id == proc.id).values(id=proc.id + 1000),
    ):
        with pytest.raises(IntegrityError):
            db.session.execute(statement)
        db.session.rollback()
    db.session.execute(update(Procedure).where(Procedure.id == unused.id).values(id=5000))
    db.session.execute(delete(Procedure).where(Procedure.id == 5000))
    db.session.commit()
    assert f.stored_dossier("GUARD-1").procedure_id == proc.id


def test_a_list_whose_kept_number_is_none_reads_no_dossier(client, auth, proc):
    """A figure's link to an empty list (a kept number of 0: a period without dossiers, nothing
    left to reconcile) shows no row without reading the dossiers; a list with dossiers reads
    them."""
    f.dossier(proc, date(2024, 3, 1), code="000.17.22.H56-240301-0001", channel="bcci")
    db.session.commit()
    auth.login("leader")

    def listed(url):
        with recorded() as statements:
            r = client.get(url, headers={"HX-Request": "true"})
        assert r.status_code == 200
        reads = [s for s in statements if re.search(r"FROM dossier\b.*\bLIMIT\b", s, re.S)]
        return r.text, reads

    for url in (
        "/dossiers?from=2024-04-01&to=2024-06-30",
        "/dossiers?unlogged=yes&direction=tra_ket_qua",
    ):
        text, reads = listed(url)
        assert "0 hồ sơ" in text and "240301-0001" not in text and not reads, (url, reads)
    text, reads = listed("/dossiers?from=2024-03-01&to=2024-03-31")
    assert "1 hồ sơ" in text and "240301-0001" in text and reads
    text, reads = listed("/dossiers?unlogged=yes&direction=tiep_nhan")
    assert "1 hồ sơ" in text and "240301-0001" in text and reads
