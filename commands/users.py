"""``flask users create``."""
import click

from blueprints.auth import services
from extensions import db
from models import ROLES

group = click.Group("users", help="Users.")

MESSAGES = {
    "invalid_username": "the username may hold only letters, digits, '.', '_' and '-'",
    "invalid_role": "unknown role",
    "department_required": "a department user needs --department CODE",
    "unknown_department": "no active department has that code",
    "username_taken": "that username is taken",
    "password_too_short": f"the password needs at least {services.MIN_PASSWORD_LENGTH} characters",
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
        raise click.ClickException(MESSAGES[str(e)]) from None
    db.session.commit()
    click.echo(f"User {user.username} created with role {role}.")
