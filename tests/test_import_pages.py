"""The three import pages share one layout, list every column the import reads with a human name
and its meaning, and offer sample files (CSV and XLSX) written from the same column definitions;
the samples import as they are."""

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from blueprints.dossiers import services as dossiers
from blueprints.postal import services as postal
from blueprints.procedures import services as procedures
from extensions import db
from utils.import_formats import DOSSIERS, PROCEDURES, SHIPMENTS

PAGES = {
    "/procedures/import": (PROCEDURES, procedures.IMPORT_REQUIRED, procedures.IMPORT_OPTIONAL),
    "/dossiers/import": (DOSSIERS, dossiers.DOSSIER_COLUMNS, dossiers.DOSSIER_OPTIONAL),
    "/shipments/import": (SHIPMENTS, postal.IMPORT_COLUMNS, postal.IMPORT_OPTIONAL),
}


def test_the_imports_read_the_declared_columns():
    for spec, required, optional in PAGES.values():
        assert (spec.required, spec.optional) == (required, optional)
        assert required and all(c.label and c.meaning and c.examples for c in spec.columns)


@pytest.mark.parametrize("url", list(PAGES))
def test_each_page_lists_its_columns_in_one_layout(client, auth, url):
    spec = PAGES[url][0]
    auth.login("centre")
    page = client.get(url).text
    layout = page[page.index('<div class="row g-3 mb-3 import-layout">') :]
    assert layout.index('class="card card-body upload-form"') < layout.index(
        'data-testid="import-columns"'
    )
    rows = re.findall(r'<tr data-column="([^"]+)">(.*?)</tr>', page, re.S)
    assert [name for name, _ in rows] == list(spec.names)
    with client.application.test_request_context():
        from flask_babel import force_locale

        with force_locale("vi"):
            for (name, cells), column in zip(rows, spec.columns):
                assert (
                    str(column.label) in cells and str(column.meaning).split("%")[0][:20] in cells
                )
                assert ("bắt buộc" in cells) == column.required, name
    for fmt in ("xlsx", "csv"):
        assert f'href="/imports/sample/{spec.key}.{fmt}"' in page


def _sample(client, spec, fmt):
    r = client.get(f"/imports/sample/{spec.key}.{fmt}")
    assert (
        r.status_code == 200 and f'filename="{spec.key}.{fmt}"' in r.headers["Content-Disposition"]
    )
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    else:
        rows = [
            ["" if v is None else str(v) for v in row]
            for row in load_workbook(io.BytesIO(r.data)).active.iter_rows(values_only=True)
        ]
    return r.data, rows


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_samples_hold_the_columns_and_import_as_they_are(client, auth, fmt):
    auth.login("admin")
    files = {}
    for spec in (PROCEDURES, DOSSIERS, SHIPMENTS):
        data, rows = _sample(client, spec, fmt)
        assert rows[0] == list(spec.names) and rows[1:] == [list(r) for r in spec.sample_rows()]
        files[spec] = data
    # the procedures sample names the procedures the dossiers sample uses, and so on down
    report = procedures.import_procedures(f"mau.{fmt}", files[PROCEDURES])
    assert report.ok, report.problems
    report = dossiers.import_dossiers(f"mau.{fmt}", files[DOSSIERS])
    assert report.ok, report.problems
    report = postal.import_postal(f"mau.{fmt}", files[SHIPMENTS])
    assert report.ok, report.problems
    assert report.created == 2 and not report.warnings
    db.session.rollback()


def test_an_unknown_sample_is_404(client, auth):
    auth.login("leader")
    assert client.get("/imports/sample/mau-ho-so.pdf").status_code == 404
    assert client.get("/imports/sample/nothing.csv").status_code == 404
    assert client.get("/imports/sample/mau-ho-so.csv").status_code == 200
