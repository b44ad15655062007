"""``flask tally check|rebuild``: the dossier tallies the figures read (``utils.tally``), the
counts the reconciliation reads (``utils.reconcile``) and the shipment counts the shipment list's
totals read (``utils.shipment_tally``)."""

import click
from flask_babel import gettext as _
from flask_babel import ngettext

from extensions import db
from utils.transactions import read_only

group = click.Group("tally", help="The dossier counts per day and month that the figures read.")


@group.command("check")
@read_only
def check_command():
    """Compare the tallies with a count over every dossier; exit 1 when they differ."""
    from utils import reconcile, shipment_tally, tally

    found = tally.differences()
    unreconciled = reconcile.differences()
    shipments = shipment_tally.differences()
    if not found and not unreconciled and not shipments:
        click.echo(_("The tallies equal the dossiers."))
        return
    for table, when, _unit_id, procedure_id, stored, counted in found:
        click.echo(
            _(
                "%(table)s %(day)s procedure %(procedure)s: stored %(stored)s, counted %(counted)s",
                table=table,
                day=when.isoformat(),
                procedure=procedure_id,
                stored=stored,
                counted=counted,
            )
        )
    for (unit_id, procedure_id), stored, counted in unreconciled:
        click.echo(
            _(
                "%(table)s %(day)s procedure %(procedure)s: stored %(stored)s, counted %(counted)s",
                table=f"reconcile_tally unit={unit_id}",
                day="-",
                procedure=procedure_id,
                stored=" ".join(map(str, stored)),
                counted=" ".join(map(str, counted)),
            )
        )
    for table, when, key, stored, counted in shipments:
        click.echo(
            _(
                "%(table)s %(day)s procedure %(procedure)s: stored %(stored)s, counted %(counted)s",
                table=table,
                day=when.isoformat(),
                procedure=" ".join(map(str, key)),
                stored=" ".join(map(str, stored)),
                counted=" ".join(map(str, counted)),
            )
        )
    click.echo(
        _("The tallies differ from the dossiers: run `flask --app app tally rebuild`."), err=True
    )
    raise SystemExit(1)


@group.command("rebuild")
def rebuild_command():
    """Recount the tallies from the dossiers (after restoring data changed outside the app)."""
    from utils import reconcile, shipment_tally, tally

    sizes = tally.rebuild()
    reconcile.rebuild()
    sizes.update(shipment_tally.rebuild())
    db.session.commit()
    click.echo(
        ", ".join(
            ngettext("%(table)s: %(num)s row", "%(table)s: %(num)s rows", n, table=name)
            for name, n in sizes.items()
        )
    )
