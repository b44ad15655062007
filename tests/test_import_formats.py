"""One column table per import format drives the reading, the report of bad cells, the page's
column help, the sample files and the exports' first columns (docs/formats.md): these tests
check that they agree, and that the rules the tables declare hold for every format alike."""

import pytest

from blueprints.dossiers import services as dossiers
from blueprints.postal import services as postal
from blueprints.procedures import services as procedures
from extensions import db
from utils.import_formats import DOSSIERS, FORMATS, PROCEDURES, SHIPMENTS
from utils.tabular import ImportReport, write_csv

EXPORTS = {
    PROCEDURES: procedures.EXPORT_COLUMNS,
    DOSSIERS: dossiers.EXPORT_COLUMNS,
    SHIPMENTS: postal.PERSONAL_EXPORT_COLUMNS,
}


@pytest.mark.parametrize("spec", list(FORMATS.values()), ids=list(FORMATS))
def test_every_column_the_help_lists_is_parsed_into_a_value_of_its_own(app, spec):
    keys = [c.key for c in spec.columns]
    assert all(keys) and len(set(keys)) == len(keys)
    assert all(callable(c.parse) for c in spec.columns)
    report = ImportReport()
    read = spec.read("sample.csv", write_csv(spec.names, spec.sample_rows()), report)
    assert report.ok and not report.warnings, report.problems
    assert read.present == set(spec.names) and read.numbers == [2, 3]
    for column in spec.columns:
        for example, value in zip(column.examples, read.values[column.key]):
            if example == "":  # what the column's blank means
                assert value == column.parse("", None), column.name
            else:
                assert value not in (None, ""), (column.name, example)


@pytest.mark.parametrize("spec", list(EXPORTS), ids=[s.key for s in EXPORTS])
def test_an_export_begins_with_the_columns_its_import_reads(spec):
    assert EXPORTS[spec][: len(spec.names)] == spec.names


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_each_export_imports_back_changing_nothing(client, auth, fmt):
    """The exports begin with their import's columns: importing one back (the samples'
    procedures, dossiers and shipments) finds every record unchanged; the default shipments
    export, which masks personal data under other names, too."""
    auth.login("admin")
    imports = (
        (PROCEDURES, procedures.import_procedures),
        (DOSSIERS, dossiers.import_dossiers),
        (SHIPMENTS, postal.import_postal),
    )
    for spec, run in imports:
        assert run(f"{spec.key}.csv", write_csv(spec.names, spec.sample_rows())).ok
        db.session.commit()
    exports = (
        (procedures.import_procedures, client.get(f"/procedures/export?format={fmt}")),
        (dossiers.import_dossiers, client.get(f"/dossiers/export.{fmt}")),
        (postal.import_postal, client.post(f"/shipments/export-personal.{fmt}")),
        (postal.import_postal, client.get(f"/shipments/export.{fmt}")),
    )
    for run, response in exports:
        assert response.status_code == 200
        report = run(f"export.{fmt}", response.data)
        assert report.ok, report.problems
        assert (report.created, report.updated, report.unchanged) == (0, 0, 2), (
            response.request.path
        )
        db.session.rollback()


@pytest.mark.parametrize("spec", list(FORMATS.values()), ids=list(FORMATS))
def test_a_row_repeating_a_key_is_bad_on_every_row_naming_them_all(app, spec):
    first = spec.sample_rows()[0]
    rows = [first, first, spec.sample_rows()[1], first]
    report = ImportReport()
    spec.read("twice.csv", write_csv(spec.names, rows), report)
    column = next(c.name for c in spec.columns if c.key == spec.unique[0])
    assert [(p.row, p.column) for p in report.problems] == [(2, column), (3, column), (5, column)]
    assert all("2, 3, 5" in p.reason for p in report.problems)


@pytest.mark.parametrize("spec", list(FORMATS.values()), ids=list(FORMATS))
def test_every_bad_cell_is_reported_under_its_column_in_row_order(app, spec):
    """A blank required cell is bad whichever column it is in; every one is reported, row by
    row and, within a row, in the table's column order."""
    required = [i for i, c in enumerate(spec.columns) if c.required]
    first, last = required[0], required[-1]  # the first is the key's (no row repeats a key)
    blanks = [(0, (last,)), (1, (required[-2],)), (0, (first, last))]
    rows = [
        ["" if i in blank else cell for i, cell in enumerate(spec.sample_rows()[sample])]
        for sample, blank in blanks
    ]
    report = ImportReport()
    read = spec.read("blanks.csv", write_csv(spec.names, rows), report)
    names = [c.name for c in spec.columns]
    assert [(p.row, p.column) for p in report.problems] == [
        (2, names[last]),
        (3, names[required[-2]]),
        (4, names[first]),
        (4, names[last]),
    ]
    assert read.bad == {0, 1, 2} and read.good(spec.columns[0].key) == []


def test_a_column_read_at_once_gives_what_its_cells_give_one_by_one(app):
    """The dossier codes of a large file are read as one column when every cell is plain; a
    cell that is not (blank, too long, not ASCII, a number) sends the column cell by cell, and
    both ways give the same values and the same bad cells."""
    code = DOSSIERS.columns[0]
    plain = [" 000.17.22.H56-240301-0001", "X-1 ", "a" * 60]
    assert code.bulk(plain) == [code.parse(c.strip(), None) for c in plain]
    for odd in ("", "a" * 61, "Hồ-sơ-1", 17):
        assert code.bulk([*plain, odd]) is None
    rows = [[c, "1.001122", "21/09/2024", "BCCI"] for c in (*plain, "", "a" * 61, "Hồ-sơ-1")]
    report = ImportReport()
    read = DOSSIERS.read("codes.csv", write_csv(DOSSIERS.required, rows), report)
    assert read.values["code"] == [*(c.strip() for c in plain), None, None, "Hồ-sơ-1"]
    assert [(p.row, p.column) for p in report.problems] == [(5, "ma_ho_so"), (6, "ma_ho_so")]
