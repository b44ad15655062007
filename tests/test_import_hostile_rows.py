"""Files with too many rows, duplicated columns or no data rows: refused with a message (422 on
the page, a non-zero exit on the command line), nothing written; the row limit is a setting and
the command line may raise it."""

import pytest

from tests import hostile_files as h
from tests.import_checks import a_procedure, counts, post_file

LIMIT = 50


@pytest.fixture()
def small_limit(app):
    app.config["IMPORT_MAX_ROWS"] = LIMIT
    yield LIMIT


def rows(n):
    return [[f"HS-{i:05d}", "1.001108", "01/01/2024", "truc_tiep"] for i in range(n)]


def csv_file(header, data):
    return ("\n".join(",".join(r) for r in [header, *data]) + "\n").encode()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_one_row_past_the_limit_is_refused(app, client, auth, small_limit, kind):
    a_procedure()
    auth.login("centre")
    before = counts()
    data = (
        csv_file(h.DOSSIER_HEADER, rows(LIMIT + 1))
        if kind == "csv"
        else h.xlsx([h.DOSSIER_HEADER, *rows(LIMIT + 1)])
    )
    response = post_file(client, f"many.{kind}", data)
    assert response.status_code == 422
    assert "dòng dữ liệu" in response.text and "50" in response.text
    assert counts() == before


def test_the_limit_itself_is_accepted(app, client, auth, small_limit):
    a_procedure()
    auth.login("centre")
    response = post_file(client, "ok.csv", csv_file(h.DOSSIER_HEADER, rows(LIMIT)))
    assert response.status_code in (200, 303), response.text
    assert counts()[0] == LIMIT


def test_reading_stops_at_the_limit(app, client, auth, small_limit):
    """Rows are streamed: what lies past the limit is never read (here, bytes that are not
    UTF-8, which would otherwise be the reason given)."""
    a_procedure()
    auth.login("centre")
    data = csv_file(h.DOSSIER_HEADER, rows(LIMIT + 3000)) + b"\xff\xfe\xff not utf-8\n"
    response = post_file(client, "many.csv", data)
    assert response.status_code == 422
    assert "dòng dữ liệu" in response.text
    assert "UTF-8" not in response.text


def test_the_command_line_may_raise_the_limit(app, runner, tmp_path, small_limit):
    a_procedure()
    path = tmp_path / "many.csv"
    path.write_bytes(csv_file(h.DOSSIER_HEADER, rows(LIMIT + 1)))
    refused = runner.invoke(args=["import", "dossiers", str(path)])
    assert refused.exit_code != 0
    assert counts()[0] == 0
    accepted = runner.invoke(args=["import", "dossiers", str(path), "--max-rows", str(LIMIT + 1)])
    assert accepted.exit_code == 0, accepted.output
    assert counts()[0] == LIMIT + 1


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_column_named_twice_is_refused(app, client, auth, kind):
    a_procedure()
    auth.login("centre")
    before = counts()
    header = [*h.DOSSIER_HEADER, "Mã hồ sơ"]  # ma_ho_so again, as a person would write it
    data_rows = [[*r, "HS-OTHER"] for r in rows(2)]
    data = csv_file(header, data_rows) if kind == "csv" else h.xlsx([header, *data_rows])
    response = post_file(client, f"twice.{kind}", data)
    assert response.status_code == 422
    assert "ma_ho_so" in response.text and "nhiều lần" in response.text
    assert counts() == before


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_headers_without_rows_are_refused(app, client, auth, kind):
    a_procedure()
    auth.login("centre")
    before = counts()
    data = csv_file(h.DOSSIER_HEADER, []) if kind == "csv" else h.xlsx([h.DOSSIER_HEADER])
    response = post_file(client, f"empty.{kind}", data)
    assert response.status_code == 422
    assert "không có dòng dữ liệu" in response.text
    assert counts() == before


def test_the_procedures_and_postal_imports_share_the_limits(app, client, auth, small_limit):
    auth.login("admin")
    header = ["ma_tthc", "ten_tthc", "linh_vuc", "don_vi"]
    data = csv_file(header, [[f"9.{i:06d}", "Thủ tục", "Lĩnh vực", "PB"] for i in range(LIMIT + 1)])
    response = post_file(client, "p.csv", data, url="/procedures/import")
    assert response.status_code == 422 and "dòng dữ liệu" in response.text
    header = ["so_hieu_buu_gui", "chieu", "ma_ho_so", "ngay"]
    data = csv_file(header, [])
    response = post_file(client, "s.csv", data, url="/shipments/import")
    assert response.status_code == 422 and "không có dòng dữ liệu" in response.text
