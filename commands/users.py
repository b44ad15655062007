"""``flask users create``."""
import click
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from blueprints.auth import services
from extensions import db
from commands import CommandError
from models import ROLES
from utils.labels import role_label

group = click.Group("users", help="Users.")

MESSAGES = {
    "invalid_username": _l("the username may hold only letters, digits, '.', '_' and '-'"),
    "invalid_role": _l("unknown role"),
    "department_required": _l("a department user needs --department CODE"),
    "unknown_department": _l("no active department has that code"),
    "username_taken": _l("that username is taken"),
    "password_too_short": _l("the password needs at least %(n)s characters",
                             n=services.MIN_PASSWORD_LENGTH),
}


@group.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--department", "department_code", help="Department code (role department).")
@click.option("--password", required=True, help="At least 10 characters.")
@click.option("--full-name", default="", help="The person's name.")
def create_command(username, role, department_code, password, full_name):
    """Create a user; ROLE is admin, centre, department (needs --department) or leader."""
    try:
        user = services.create_user(username, role, password, department_code, full_name)
    except services.UserError as e:
        db.session.rollback()
        raise CommandError(str(MESSAGES[str(e)])) from None
    db.session.commit()
    click.echo(_("User %(username)s created with the role %(role)s.", username=user.username,
                 role=role_label(role)))
