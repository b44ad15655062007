"""``flask privacy purge``: blank citizens' personal data past the retention period."""

import click
from flask_babel import ngettext

from extensions import db

group = click.Group("privacy", help="Citizens' personal data on postal shipments.")


@group.command("purge")
@click.option("--dry-run", is_flag=True, help="Only say how many shipments would be purged.")
def purge_command(dry_run):
    """Blank the name, address and phone of shipments older than the retention period
    (each unit's setting, 24 months by default); every figure stays as it was."""
    from blueprints.postal.services import purge_personal_data
    from utils import units

    # Each unit keeps its citizens' data for its own retention period (its settings).
    every = units.unit_list() if units.several_units() else [None]
    lines = []
    for unit in every:
        cutoff, count = purge_personal_data(dry_run=dry_run, unit=unit)
        prefix = f"{unit.code}: " if unit is not None else ""
        if dry_run:
            message = ngettext(
                "%(num)s shipment dated before %(day)s would be purged.",
                "%(num)s shipments dated before %(day)s would be purged.",
                count,
                day=f"{cutoff:%d/%m/%Y}",
            )
        else:
            message = ngettext(
                "Personal data purged from %(num)s shipment dated before %(day)s.",
                "Personal data purged from %(num)s shipments dated before %(day)s.",
                count,
                day=f"{cutoff:%d/%m/%Y}",
            )
        lines.append(prefix + message)
    if not dry_run:
        db.session.commit()
    for line in lines:
        click.echo(line)
