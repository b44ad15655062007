"""``flask users create``."""

import click
from flask_babel import gettext as _

from blueprints.auth import services
from extensions import db
from commands import CommandError
from models import ROLES
from utils.errors import Refusal
from utils.labels import role_label

group = click.Group("users", help="Users.")


@group.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--department", "department_code", help="Department code (role department).")
@click.option("--password", required=True, help="At least 10 characters.")
@click.option("--full-name", default="", help="The person's name.")
@click.option("--unit", "unit_code", help="Code of the unit the user works for.")
@click.option(
    "--province", "province_wide", is_flag=True, help="The user sees every unit of the province."
)
def create_command(username, role, department_code, password, full_name, unit_code, province_wide):
    """Create a user; ROLE is admin, centre, department (needs --department) or leader. On a
    deployment of several units, give --unit CODE or --province (department staff see every
    unit)."""
    try:
        user = services.create_user(
            username,
            role,
            password,
            department_code,
            full_name,
            unit_code=unit_code,
            province_wide=province_wide,
        )
    except Refusal as e:
        # The rule's one message (the web forms say the same), in the run's language.
        db.session.rollback()
        raise CommandError(str(e)) from None
    db.session.commit()
    click.echo(
        _(
            "User %(username)s created with the role %(role)s.",
            username=user.username,
            role=role_label(role),
        )
    )
