"""``flask import procedures|dossiers|postal FILE``: the interchange formats of docs/formats.md.

The group lives here; each format's command is defined next to its feature's services
(``commands/import_<format>.py``) and attaches itself to this group.
"""
import functools

import click

group = click.Group("import", help="Import procedures, dossiers or postal shipments (CSV or XLSX).")


def max_rows_option(command):
    """``--max-rows N``: accept files of up to N data rows instead of ``IMPORT_MAX_ROWS``
    (docs/limits.md); the command line may import larger files than the web page."""
    @click.option("--max-rows", type=click.IntRange(min=1), default=None,
                  help="The most data rows the file may hold (default: IMPORT_MAX_ROWS).")
    @functools.wraps(command)
    def wrapper(*args, max_rows=None, **kwargs):
        from utils.tabular import row_limit

        with row_limit(max_rows):
            return command(*args, **kwargs)
    return wrapper


def print_report(report):
    """Print an import's bad rows and warnings; exit non-zero when it was refused."""
    for w in report.warnings:
        click.echo(f"warning: row {w.row}, {w.column}: {w.reason}")
    if not report.ok:
        for p in report.sorted_problems():
            click.echo(f"row {p.row}, {p.column}: {p.reason}", err=True)
        raise click.ClickException(
            f"file refused: {len(report.problems)} bad row(s); nothing was written")
    click.echo(f"imported: {report.created} created, {report.updated} updated, "
               f"{report.unchanged} unchanged")
