"""``flask privacy purge``: blank citizens' personal data past the retention period."""

import click
from flask_babel import ngettext

from extensions import db

group = click.Group("privacy", help="Citizens' personal data on postal shipments.")


@group.command("purge")
@click.option("--dry-run", is_flag=True, help="Only say how many shipments would be purged.")
def purge_command(dry_run):
    """Blank the name, address and phone of shipments older than the retention period
    (organisation setting, 24 months by default); every figure stays as it was."""
    from blueprints.postal.services import purge_personal_data

    cutoff, count = purge_personal_data(dry_run=dry_run)
    if dry_run:
        click.echo(
            ngettext(
                "%(num)s shipment dated before %(day)s would be purged.",
                "%(num)s shipments dated before %(day)s would be purged.",
                count,
                day=f"{cutoff:%d/%m/%Y}",
            )
        )
        return
    db.session.commit()
    click.echo(
        ngettext(
            "Personal data purged from %(num)s shipment dated before %(day)s.",
            "Personal data purged from %(num)s shipments dated before %(day)s.",
            count,
            day=f"{cutoff:%d/%m/%Y}",
        )
    )
