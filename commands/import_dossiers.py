"""``flask import dossiers FILE``: the one-stop system's dossier export (docs/formats.md)."""
import time
from pathlib import Path

import click

from commands.imports import group, max_rows_option, print_report
from extensions import db


@group.command("dossiers")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@max_rows_option
def import_dossiers_command(path):
    """Import dossiers from a CSV or XLSX file; all or nothing, upserted by dossier code."""
    from blueprints.dossiers.services import import_checked_first

    report = import_checked_first(Path(path).name, Path(path).read_bytes())
    if report.ok:
        started = time.perf_counter()
        db.session.commit()
        click.echo(f"read and checked in {report.read_seconds:.2f} s without the write lock; "
                   f"written in {report.write_seconds + time.perf_counter() - started:.2f} s")
    else:
        db.session.rollback()
    print_report(report)
