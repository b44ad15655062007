"""``flask units create|edit|deactivate|activate|list``: the Units screen's changes on the command
line, through the same services (``utils.units``), audited alike."""

import json

import click
from flask_babel import gettext as _
from sqlalchemy import select

from commands import CommandError, named_unit
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
    _changed(
        lambda: units.create_unit(code, name, level, kind),
        lambda unit: _("Unit %(code)s created: %(name)s.", code=unit.code, name=unit.name),
    )


def _changed(change, message):
    """Run ``change()`` (a service call), commit and print ``message(its result)``; a refusal
    is the command's error, nothing written."""
    try:
        result = change()
    except Refusal as e:
        db.session.rollback()
        raise CommandError(str(e)) from None
    db.session.commit()
    click.echo(message(result))


@group.command("edit")
@click.argument("code")
@click.option("--name", default=None, help="The unit's new name.")
@click.option("--level", default=None, type=click.Choice(UNIT_LEVELS), help="tinh or xa.")
@click.option(
    "--kind",
    default=None,
    type=click.Choice(UNIT_KINDS),
    help="trung_tam (centre), chi_nhanh (branch) or diem (service point).",
)
def edit_command(code, name, level, kind):
    """Rename the unit with code CODE, or change its level or kind (what is not given stays;
    the code stays: files and commands name it)."""
    unit = named_unit(code)
    _changed(
        lambda: units.update_unit(
            unit,
            unit.name if name is None else name,
            level or unit.level,
            kind or unit.kind,
        ),
        lambda _result: _("Unit %(code)s saved.", code=unit.code),
    )


@group.command("deactivate")
@click.argument("code")
def deactivate_command(code):
    """Deactivate the unit with code CODE: it keeps its records and takes no new ones (the
    last active unit stays active)."""
    unit = named_unit(code)
    _changed(
        lambda: units.set_unit_active(unit, False),
        lambda _result: _("Unit %(code)s is deactivated; its records stay.", code=unit.code),
    )


@group.command("activate")
@click.argument("code")
def activate_command(code):
    """Bring the unit with code CODE back."""
    unit = named_unit(code)
    _changed(
        lambda: units.set_unit_active(unit, True),
        lambda _result: _("Unit %(code)s is active again.", code=unit.code),
    )


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
