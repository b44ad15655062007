"""The published list of postal procedures: content, the public switch, downloads."""

import csv
import io
import json

import pytest

from extensions import db
from tests import factories as f

# The columns of the published list (docs/formats.md, *The published list of postal procedures*).
PUBLISHED_COLUMNS = (
    "ma_tthc ten_tthc linh_vuc don_vi ten_don_vi cap_thuc_hien tiep_nhan_bcci tra_ket_qua_bcci"
).split()


def _settings(enabled):
    f.org_settings(
        parent_agency="UBND THÀNH PHỐ HẠ LONG",
        unit_name="TRUNG TÂM HÀNH CHÍNH CÔNG",
        address="Tầng 1, Trụ sở Liên cơ quan số 3, Hạ Long",
        opening_hours="Sáng 7h30–11h30, chiều 13h30–17h00",
        public_list_enabled=enabled,
    )
    db.session.flush()


@pytest.fixture()
def catalogue():
    """Eligible in force (receive, return, both), ineligible, and eligible but no longer in force."""
    building = f.field("Xây dựng")
    finance = f.field("Tài chính – Kế hoạch")
    procs = {
        "receive": f.procedure("1.000001", "Cấp giấy phép xây dựng", field_=building, receive=True),
        "return": f.procedure("1.000002", "Đăng ký hộ kinh doanh", field_=finance, ret=True),
        "both": f.procedure(
            "1.000003", "Điều chỉnh giấy phép", field_=building, receive=True, ret=True
        ),
        "none": f.procedure("1.000004", "Thủ tục cần có mặt", field_=building),
        "retired": f.procedure(
            "1.000005", "Thủ tục đã bãi bỏ", field_=finance, receive=True, ret=True, in_force=False
        ),
    }
    # A dossier exists, yet no figure about dossiers may appear.
    f.dossier(procs["both"], received=__import__("datetime").date(2024, 3, 1))
    return procs


def _listed_codes(html):
    import re

    return re.findall(r'data-code="([^"]+)"', html)


def test_list_has_exactly_the_eligible_procedures_in_force(client, auth, catalogue):
    _settings(False)
    auth.login("department")
    r = client.get("/publication/postal-procedures")
    assert r.status_code == 200
    assert sorted(_listed_codes(r.text)) == ["1.000001", "1.000002", "1.000003"]
    # By field: Tài chính – Kế hoạch comes before Xây dựng, each with its own heading.
    assert (
        r.text.index("Tài chính – Kế hoạch") < r.text.index("1.000002") < r.text.index("Xây dựng")
    )
    assert "Tầng 1, Trụ sở Liên cơ quan số 3, Hạ Long" in r.text
    assert "Sáng 7h30–11h30, chiều 13h30–17h00" in r.text
    assert "DANH MỤC THỦ TỤC HÀNH CHÍNH" in r.text


def test_public_page_is_refused_while_switched_off(client, catalogue):
    _settings(False)
    assert client.get("/public/postal-procedures").status_code == 404
    assert client.get("/public/postal-procedures.csv").status_code == 404
    assert client.get("/public/postal-procedures.json").status_code == 404


def test_public_page_is_refused_without_settings(client, catalogue):
    assert client.get("/public/postal-procedures").status_code == 404


def test_public_page_refused_when_off_even_for_staff(client, auth, catalogue):
    _settings(False)
    auth.login("admin")
    assert client.get("/public/postal-procedures").status_code == 404


def test_public_page_works_without_login_when_switched_on(client, catalogue):
    _settings(True)
    r = client.get("/public/postal-procedures")
    assert r.status_code == 200
    assert sorted(_listed_codes(r.text)) == ["1.000001", "1.000002", "1.000003"]
    assert "Thủ tục cần có mặt" not in r.text and "Thủ tục đã bãi bỏ" not in r.text
    assert "Tầng 1, Trụ sở Liên cơ quan số 3, Hạ Long" in r.text


def test_csv_download_for_the_portal(client, catalogue):
    _settings(True)
    r = client.get("/public/postal-procedures.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert [row["ma_tthc"] for row in rows] == ["1.000002", "1.000001", "1.000003"]
    both = rows[2]
    assert both["linh_vuc"] == "Xây dựng"
    assert (both["tiep_nhan_bcci"], both["tra_ket_qua_bcci"]) == ("có", "có")
    assert (rows[0]["tiep_nhan_bcci"], rows[0]["tra_ket_qua_bcci"]) == ("không", "có")


def test_csv_neutralises_formulas(client):
    _settings(True)
    f.procedure("1.000009", '=HYPERLINK("http://x")', receive=True)
    r = client.get("/public/postal-procedures.csv")
    rows = list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert rows[0]["ten_tthc"] == '\'=HYPERLINK("http://x")'


def test_json_download_has_only_catalogue_data(client, catalogue):
    _settings(True)
    r = client.get("/public/postal-procedures.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    data = json.loads(r.data)
    assert data["dia_chi"] == "Tầng 1, Trụ sở Liên cơ quan số 3, Hạ Long"
    assert [p["ma_tthc"] for p in data["thu_tuc"]] == ["1.000002", "1.000001", "1.000003"]
    assert list(data["thu_tuc"][0]) == PUBLISHED_COLUMNS
    assert data["thu_tuc"][0]["tra_ket_qua_bcci"] is True
    assert "ho_so" not in r.text and "dossier" not in r.text.lower()


@pytest.mark.parametrize("role", ["admin", "centre", "department", "leader"])
def test_staff_download_even_when_switched_off(client, auth, catalogue, role):
    _settings(False)
    auth.login(role)
    assert client.get("/publication/postal-procedures").status_code == 200
    r = client.get("/public/postal-procedures.csv")
    assert r.status_code == 200
    assert "1.000003" in r.data.decode("utf-8-sig")


def test_unknown_format_is_not_found(client, auth):
    auth.login("centre")
    assert client.get("/public/postal-procedures.xml").status_code == 404


def test_staff_page_needs_login(client):
    r = client.get("/publication/postal-procedures")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_home_panel_links_to_the_list(client, auth):
    auth.login("leader")
    r = client.get("/")
    assert "/publication/postal-procedures" in r.text
