"""``flask import procedures|dossiers|postal FILE``: the interchange formats of docs/formats.md.

The group lives here; each format's command is defined next to its feature's services
(``commands/import_<format>.py``) and attaches itself to this group.
"""
import click

group = click.Group("import", help="Import procedures, dossiers or postal shipments (CSV or XLSX).")


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
