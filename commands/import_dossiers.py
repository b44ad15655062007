"""``flask import dossiers FILE``: the one-stop system's dossier export (docs/formats.md)."""

import time
from pathlib import Path

import click
from flask_babel import gettext as _

from commands.imports import group, max_rows_option, print_report, unit_option
from extensions import db


@group.command("dossiers")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@max_rows_option
@unit_option
def import_dossiers_command(path, unit=None):
    """Import dossiers from a CSV or XLSX file; all or nothing, upserted by dossier code."""
    from blueprints.dossiers.services import import_checked_first

    report = import_checked_first(Path(path).name, Path(path).read_bytes(), unit=unit)
    if report.ok:
        started = time.perf_counter()
        db.session.commit()
        click.echo(
            _(
                "read and checked in %(read)s s without the write lock; written in %(write)s s",
                read=f"{report.read_seconds:.2f}",
                write=f"{report.write_seconds + time.perf_counter() - started:.2f}",
            )
        )
    else:
        db.session.rollback()
    print_report(report)
