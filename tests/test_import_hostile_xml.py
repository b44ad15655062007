"""XLSX files whose XML declares entities (the "billion laughs") or is malformed: 422 with a
Vietnamese message, never a 500, nothing written; the entity case in a child process with a
memory limit."""

import pytest

from extensions import db
from tests import hostile_files as h
from tests.import_checks import a_procedure, assert_refused, counts, post_file


@pytest.mark.slow
def test_entity_expansion_is_refused(app, client, auth):
    a_procedure()
    auth.login("centre")
    before = counts()

    def request():
        db.engine.dispose(close=False)
        response = post_file(client, "laughs.xlsx", h.billion_laughs())
        return response.status_code, response.get_data(as_text=True)

    (status, body), growth_mb = h.run_in_child(request)
    assert status == 422
    assert "thực thể XML" in body  # "declares XML entities or a DTD, which are refused"
    assert growth_mb < 100
    assert counts() == before


def test_malformed_sheet_xml_is_a_422_not_a_500(app, client, auth):
    a_procedure()
    auth.login("centre")
    assert_refused(client, "cut.xlsx", h.malformed_sheet(), "bị hỏng")  # "the workbook is damaged"


def test_not_a_zip_at_all_is_a_422(app, client, auth):
    a_procedure()
    auth.login("centre")
    assert_refused(client, "fake.xlsx", b"PK\x03\x04 this is not a zip")


def test_defusedxml_is_what_openpyxl_parses_with():
    import openpyxl

    assert openpyxl.DEFUSEDXML, "install defusedxml (requirements.txt) so openpyxl refuses entities"
