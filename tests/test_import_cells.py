"""Import cells with NUL or other control characters are refused with a message naming the row
and column, before anything reaches the database (PostgreSQL refuses NUL outright; SQLite would
store it silently), in CSV and XLSX, for every import; codes refuse tabs and line breaks too."""

from datetime import date

import pytest
from sqlalchemy import func, select

from blueprints.dossiers.services import import_dossiers
from blueprints.postal.services import import_postal
from blueprints.procedures.services import import_procedures
from extensions import db
from models import Dossier, Procedure, Shipment
from tests import factories as f
from tests.hostile_files import xlsx
from tests.test_dossiers import csv_bytes
from tests.test_postal import manifest
from tests.test_procedures_import import HEADER as PROCEDURE_HEADER


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture()
def proc(app):
    p = f.procedure(code="1.001108", receive=True, ret=True)
    db.session.commit()
    return p


@pytest.mark.parametrize(
    "cell, char",
    [("HS-1\x00", "U+0000"), ("HS\x1b-2", "U+001B"), ("HS\x85-3", "U+0085"), ("HS\x7f", "U+007F")],
)
def test_a_dossier_code_with_a_control_character_is_refused(proc, cell, char):
    report = import_dossiers(
        "x.csv",
        csv_bytes(
            "000.17.22.H56-240105-0001,1.001108,05/01/2024,truc_tiep,,",
            f'"{cell}",1.001108,05/01/2024,truc_tiep,,',
        ),
    )
    assert not report.ok
    reason = report.problems[0].reason
    assert "3" in reason and "ma_ho_so" in reason and char in reason
    assert count(Dossier) == 0


def test_codes_refuse_tabs_and_line_breaks(proc):
    for cell in ("HS\t1", "HS\n1", "HS\r1"):
        report = import_dossiers("x.csv", csv_bytes(f'"{cell}",1.001108,05/01/2024,truc_tiep,,'))
        assert not report.ok, repr(cell)
    assert count(Dossier) == 0


def test_an_xlsx_cell_with_a_c1_character_is_refused(proc):
    data = xlsx(
        [
            ["ma_ho_so", "ma_tthc", "ngay_tiep_nhan", "kenh_tiep_nhan"],
            ["000.17.22.H56-240105-0001", "1.001108\x9f", "05/01/2024", "truc_tiep"],
        ]
    )
    report = import_dossiers("x.xlsx", data)
    assert (
        not report.ok
        and "ma_tthc" in report.problems[0].reason
        and "U+009F" in report.problems[0].reason
    )
    assert count(Dossier) == 0


def test_a_manifest_with_nul_in_a_name_is_refused_but_line_breaks_in_an_address_pass(app):
    p = f.procedure(code="1.001108", ret=True)
    d = f.dossier(p, date(2024, 3, 1))
    db.session.commit()
    bad = import_postal(
        "m.csv", manifest(f'EB123456785VN,tra_ket_qua,{d.code},10/03/2024,"Nguyễn\x00 An",,,')
    )
    assert not bad.ok and "ho_ten" in bad.problems[0].reason and "U+0000" in bad.problems[0].reason
    assert count(Shipment) == 0
    ok = import_postal(
        "m.csv",
        manifest(f'EB123456785VN,tra_ket_qua,{d.code},10/03/2024,Nguyễn An,"Số 3\nHạ Long",,'),
    )
    assert ok.ok, ok.problems
    assert db.session.scalar(select(Shipment.address)) == "Số 3\nHạ Long"


def test_a_procedure_name_with_nul_is_refused(app):
    data = (
        PROCEDURE_HEADER
        + "1.001108,Đăng ký\x00 khai sinh,Tư pháp,TP,Phòng Tư pháp,Cấp huyện,x,x,,\n"
    ).encode()
    report = import_procedures("tthc.csv", data)
    assert not report.ok and "ten_tthc" in report.problems[0].reason
    assert count(Procedure) == 0


def test_the_import_page_says_which_cell(client, auth, proc):
    auth.login("centre")
    r = client.upload(
        "/dossiers/import", csv_bytes('"HS\x00",1.001108,05/01/2024,truc_tiep,,'), "hs.csv"
    )
    assert r.status_code == 422 and "U+0000" in r.text and "ma_ho_so" in r.text
    assert count(Dossier) == 0
