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
    from blueprints.procedures.services import import_checked_first

    # read and checked, rows and all, before the write transaction begins
    report = import_checked_first(path.name, path.read_bytes())
    if not report.ok:
        db.session.rollback()
    else:
        db.session.commit()
    print_report(report)
