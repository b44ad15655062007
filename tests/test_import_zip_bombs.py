"""XLSX files whose zip unpacks far beyond what they weigh, or whose zip headers lie about the
sizes: refused (422, a Vietnamese message) before anything parses them, in a child process whose
memory is limited, with nothing written."""

import pytest

from extensions import db
from tests import hostile_files as h
from tests.import_checks import a_procedure, assert_refused, counts, post_file

pytestmark = pytest.mark.slow


def _post_in_child(client, name, data):
    def request():
        db.engine.dispose(close=False)  # the child opens connections of its own
        response = post_file(client, name, data)
        return response.status_code, response.get_data(as_text=True)

    return h.run_in_child(request)


def test_a_shared_string_bomb_is_refused_before_it_is_unpacked(app, client, auth):
    a_procedure()
    auth.login("centre")
    before = counts()
    bomb = h.shared_string_bomb(unpacked_mb=200)
    assert len(bomb) < 400 * 1024  # a few hundred KB on disk
    (status, body), growth_mb = _post_in_child(client, "bomb.xlsx", bomb)
    assert status == 422
    assert "giải nén" in body  # "unpacks to more than … MB": refused before being read
    assert growth_mb < 100, f"the worker grew by {growth_mb:.0f} MB"
    assert counts() == before


def test_a_zip_whose_headers_understate_a_part_is_refused(app, client, auth):
    a_procedure()
    auth.login("centre")
    before = counts()
    liar = h.shared_string_bomb(unpacked_mb=200, stated_size=1000)
    (status, body), growth_mb = _post_in_child(client, "liar.xlsx", liar)
    assert status == 422
    assert "tổng kiểm" in body  # the part's content does not match its stated size or checksum
    assert growth_mb < 100
    assert counts() == before


def test_a_zip_whose_headers_overstate_a_part_is_measured_by_its_content(app, client, auth):
    """Headers claiming a huge size do not make a small workbook refused, and do not help a
    large one through: what counts is what comes out while decompressing."""
    a_procedure()
    auth.login("centre")
    before = counts()
    liar = h.shared_string_bomb(unpacked_mb=200, stated_size=2**32 - 1)
    (status, body), growth_mb = _post_in_child(client, "liar.xlsx", liar)
    assert status == 422
    assert "giải nén" in body
    assert growth_mb < 100
    assert counts() == before


def test_too_many_zip_members_are_refused(app, client, auth):
    a_procedure()
    auth.login("centre")
    parts = h.members(h.xlsx([h.DOSSIER_HEADER, ["HS-1", "1.001108", "01/01/2024", "truc_tiep"]]))
    parts.update({f"xl/media/image{i}.bin": b"" for i in range(1001)})
    assert_refused(
        client, "many.xlsx", h.rezip(parts), "thành phần"
    )  # "holds N parts; at most 1000"


def test_a_small_genuine_workbook_still_imports(app, client, auth):
    a_procedure()
    auth.login("centre")
    data = h.xlsx([h.DOSSIER_HEADER, ["HS-1", "1.001108", "01/01/2024", "truc_tiep"]])
    response = post_file(
        client,
        "ok.xlsx",
        data,
    )
    assert response.status_code in (200, 303), response.text
    assert counts()[0] == 1
