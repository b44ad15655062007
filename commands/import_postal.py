"""``flask import postal FILE``: a postal manifest of shipments (docs/formats.md)."""

from pathlib import Path

import click

from commands.imports import group, max_rows_option, print_report, unit_option
from extensions import db


@group.command("postal")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@max_rows_option
@unit_option
def import_postal_command(path, unit=None):
    """Import postal shipments from a CSV or XLSX manifest; all or nothing, upserted by
    tracking number and direction."""
    from blueprints.postal.services import import_checked_first

    # read and checked, rows and all, before the write transaction begins
    report = import_checked_first(Path(path).name, Path(path).read_bytes(), unit=unit)
    if report.ok:
        db.session.commit()
    else:
        db.session.rollback()
    print_report(report)
