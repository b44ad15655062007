"""``flask import procedures FILE``: the procedures file of docs/formats.md."""
from pathlib import Path

import click

from commands.imports import group, max_rows_option, print_report
from extensions import db


@group.command("procedures")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@max_rows_option
def import_procedures_command(path):
    """Import a procedures file (CSV or XLSX): all or nothing, upsert by code."""
    from blueprints.procedures.services import IMPORT_OPTIONAL, IMPORT_REQUIRED, import_procedures
    from utils.tabular import read_ahead

    data = path.read_bytes()  # read and checked as a file before the write transaction begins
    table = read_ahead(path.name, data, IMPORT_REQUIRED, IMPORT_OPTIONAL)
    report = import_procedures(path.name, data, table=table)
    if not report.ok:
        db.session.rollback()
    else:
        db.session.commit()
    print_report(report)
