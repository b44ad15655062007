"""``flask units create`` and ``flask units list``."""

import json

import click
from flask_babel import gettext as _
from sqlalchemy import select

from commands import CommandError
from extensions import db
from models import UNIT_KINDS, UNIT_LEVELS, Unit, UnitKind
from utils import units
from utils.errors import Refusal

group = click.Group("units", help="Units (service centres, branches, service points).")


@group.command("create")
@click.argument("code")
@click.argument("name")
@click.option("--level", required=True, type=click.Choice(UNIT_LEVELS), help="tinh or xa.")
@click.option(
    "--kind",
    default=UnitKind.CENTRE.value,
    show_default=True,
    type=click.Choice(UNIT_KINDS),
    help="trung_tam (centre), chi_nhanh (branch) or diem (service point).",
)
def create_command(code, name, level, kind):
    """Create a unit with code CODE and name NAME."""
    try:
        unit = units.create_unit(code, name, level, kind)
    except Refusal as e:
        db.session.rollback()
        raise CommandError(str(e)) from None
    db.session.commit()
    click.echo(_("Unit %(code)s created: %(name)s.", code=unit.code, name=unit.name))


@group.command("list")
def list_command():
    """Print the units as JSON: code, name, level, kind, active."""
    rows = db.session.execute(select(Unit).order_by(Unit.code)).scalars()
    click.echo(
        json.dumps(
            [
                {
                    "code": u.code,
                    "name": u.name,
                    "level": u.level,
                    "kind": u.kind,
                    "active": u.active,
                }
                for u in rows
            ],
            ensure_ascii=False,
            indent=2,
        )
    )
