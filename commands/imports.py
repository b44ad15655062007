"""``flask import procedures|dossiers|postal FILE``: the interchange formats of docs/formats.md.

The group lives here; each format's command is defined next to its feature's services
(``commands/import_<format>.py``) and attaches itself to this group.
"""

import functools

import click
from flask_babel import gettext as _
from flask_babel import ngettext

from commands import CommandError
from utils.formats import number

group = click.Group("import", help="Import procedures, dossiers or postal shipments (CSV or XLSX).")


def max_rows_option(command):
    """``--max-rows N``: accept files of up to N data rows instead of ``IMPORT_MAX_ROWS``
    (docs/limits.md); the command line may import larger files than the web page."""

    @click.option(
        "--max-rows",
        type=click.IntRange(min=1),
        default=None,
        help="The most data rows the file may hold (default: IMPORT_MAX_ROWS).",
    )
    @functools.wraps(command)
    def wrapper(*args, max_rows=None, **kwargs):
        from utils.tabular import row_limit

        with row_limit(max_rows):
            return command(*args, **kwargs)

    return wrapper


def unit_option(command):
    """``--unit CODE``: the rows belong to that unit (a ``ma_don_vi`` column may name each
    row's instead; docs/formats.md). The command is called with ``unit``, the unit's id or
    ``None``; an unknown code, or a deactivated unit's, stops it before the file is read."""

    @click.option(
        "--unit",
        "unit_code",
        default=None,
        metavar="CODE",
        help="The unit the rows belong to (needed on a deployment of several units unless "
        "the file has a ma_don_vi column).",
    )
    @functools.wraps(command)
    def wrapper(*args, unit_code=None, **kwargs):
        from extensions import db
        from utils.errors import Refusal
        from utils.transactions import reading
        from utils.units import taking_records, unit_by_code

        unit = None
        if unit_code is not None:
            # Only read (as the file's checks do): no write lock is waited for here.
            with reading():
                try:
                    unit = taking_records(unit_by_code(unit_code).id)
                except Refusal as e:
                    raise CommandError(f"--unit {unit_code}: {e}") from None
                finally:
                    db.session.rollback()
        return command(*args, unit=unit, **kwargs)

    return wrapper


def _where(row, column):
    if column:
        return _("row %(row)s, column %(column)s", row=row, column=column)
    return _("row %(row)s", row=row)


def print_report(report):
    """Print an import's bad rows and warnings in the run's language; exit non-zero when it
    was refused."""
    for w in report.warnings:
        click.echo(
            _("warning: %(where)s: %(reason)s", where=_where(w.row, w.column), reason=w.reason)
        )
    if not report.ok:
        for p in report.sorted_problems():
            click.echo(
                _("%(where)s: %(reason)s", where=_where(p.row, p.column), reason=p.reason), err=True
            )
        raise CommandError(
            ngettext(
                "file refused: %(num)s bad row; nothing was written",
                "file refused: %(num)s bad rows; nothing was written",
                len(report.problems),
            )
        )
    click.echo(
        _(
            "imported: %(created)s added, %(updated)s changed, %(unchanged)s unchanged",
            created=number(report.created),
            updated=number(report.updated),
            unchanged=number(report.unchanged),
        )
    )
