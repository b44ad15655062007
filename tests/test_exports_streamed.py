"""Downloads (CSV, XLSX) are streamed: the rows are read while the answer is sent, in pieces, and
the bytes are those the whole-file writers give (the CSV byte for byte, the XLSX cell for cell)."""

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from blueprints.dossiers import services as dossier_services
from blueprints.postal import services as postal_services
from extensions import db
from tests import factories as f
from utils import tabular


@pytest.fixture()
def rows_made(app):
    proc = f.procedure(code="1.001108", receive=True, ret=True)
    dossiers = [
        f.dossier(
            proc,
            date(2024, 3, 1 + i % 28),
            code=f"000.17.22.H56-2403{1 + i % 28:02d}-{i:04d}",
            returned=date(2024, 4, 1),
            return_channel="bcci",
        )
        for i in range(60)
    ]
    for i, d in enumerate(dossiers):
        f.shipment(
            d,
            "tra_ket_qua",
            when=date(2024, 4, 1),
            recipient_name=f"Nguyễn Văn {i}",
            phone="0912345678",
            address=f"Số {i}, phường Hồng Hà",
            fee=1000 * i,
            tracking_number=f.tracking_number(serial=1000 + i),
        )
    db.session.commit()
    return dossiers


def written(value):
    """A cell as docs/formats.md (*Writing files*) says exports write it: nothing empty, yes/no
    as có/không, dates dd/mm/yyyy, a text a spreadsheet would run as a formula after an
    apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def reference_csv(columns, rows):
    """The CSV a whole-file writer gives: BOM, header, one line per row, cells as written."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([written(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def test_csv_is_written_in_pieces_as_rows_are_read(monkeypatch):
    monkeypatch.setattr(tabular, "STREAM_CHUNK", 200)
    read = []

    def rows():
        for i in range(100):
            read.append(i)
            yield (f"RR{i:09d}VN", "tra_ket_qua", date(2024, 3, 1), "=cmd|x", None, True, i)

    columns = ("a", "b", "c", "d", "e", "f", "g")
    pieces = tabular.iter_csv(columns, rows())
    first = next(pieces)
    assert len(read) < 100  # the first piece leaves before the last row is read
    body = first + b"".join(pieces)
    assert len(read) == 100
    assert body == reference_csv(
        columns,
        [
            (f"RR{i:09d}VN", "tra_ket_qua", date(2024, 3, 1), "=cmd|x", None, True, i)
            for i in range(100)
        ],
    )
    assert tabular.write_csv(columns, []) == reference_csv(columns, [])


def test_xlsx_is_sent_in_pieces_with_every_cell(monkeypatch):
    monkeypatch.setattr(tabular, "STREAM_CHUNK", 1024)
    rows = [(f"RR{i:09d}VN", date(2024, 3, 1), "=1+1", i, None) for i in range(300)]
    pieces = list(tabular.iter_xlsx(("a", "b", "c", "d", "e"), iter(rows)))
    assert len(pieces) > 1 and all(len(p) <= 1024 for p in pieces)
    sheet = load_workbook(io.BytesIO(b"".join(pieces))).active
    got = list(sheet.iter_rows(values_only=True))
    assert got[0] == ("a", "b", "c", "d", "e")
    assert got[1:] == [(f"RR{i:09d}VN", "01/03/2024", "'=1+1", i, None) for i in range(300)]


def test_export_response_streams_within_the_request(app):
    read = []

    def rows():
        for i in range(3):
            read.append(i)
            yield (i, "x")

    with app.test_request_context("/dossiers/export.csv"):
        response = tabular.export_response("ho-so", "csv", ("n", "t"), rows())
    assert response.is_streamed and "Content-Length" not in response.headers
    assert read == []  # nothing read before the answer is sent
    assert b"".join(response.response) == reference_csv(("n", "t"), [(i, "x") for i in range(3)])
    assert response.headers["Content-Disposition"] == 'attachment; filename="ho-so.csv"'


def test_shipment_and_dossier_downloads_are_streamed_and_unchanged(client, auth, rows_made):
    centre = auth.login("centre")
    r = client.get("/shipments/export.csv")
    assert r.status_code == 200 and "Content-Length" not in r.headers
    expected = list(postal_services.export_rows(postal_services.ShipmentFilters()))
    assert len(expected) == 60
    assert r.data == reference_csv(postal_services.EXPORT_COLUMNS, expected)
    assert "0912345678" not in r.data.decode("utf-8-sig")  # masked as before

    r = client.get("/shipments/export.xlsx")
    assert r.status_code == 200 and "Content-Length" not in r.headers
    sheet = load_workbook(io.BytesIO(r.data)).active
    got = list(sheet.iter_rows(values_only=True))
    assert got[0] == postal_services.EXPORT_COLUMNS
    assert [row[0] for row in got[1:]] == [row[0] for row in expected]

    r = client.get("/dossiers/export.csv")
    assert r.status_code == 200 and "Content-Length" not in r.headers
    from blueprints.dossiers.routes import filters_from

    from flask_login import login_user

    with client.application.test_request_context("/dossiers/export.csv"):
        login_user(centre)  # the filters are the logged-in user's (their unit's)
        dossier_rows = list(dossier_services.export_rows(filters_from({})))
    assert len(dossier_rows) == 60
    assert r.data == reference_csv(dossier_services.EXPORT_COLUMNS, dossier_rows)

    r = client.post("/shipments/export-personal.csv", data={"direction": "tra_ket_qua"})
    assert r.status_code == 200 and "Content-Length" not in r.headers
    assert r.data.decode("utf-8-sig").count("0912345678") == 60
