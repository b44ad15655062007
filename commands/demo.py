"""``flask demo load``: the demo organisation (refused in production)."""

import click
from flask_babel import gettext as _
from flask import current_app

from commands import CommandError
from extensions import db
from utils import demo

group = click.Group("demo", help="The demo organisation.")


@group.command("load")
def load_command():
    """Load the demo organisation; running it twice changes nothing."""
    if not current_app.config["DEMO_ALLOWED"]:
        raise CommandError(_("demo data is refused when APP_ENV=production"))
    if demo.load():
        db.session.commit()
        click.echo(_("Demo organisation loaded."))
    else:
        click.echo(_("Demo organisation already present: nothing changed."))


@group.command("logins")
def logins_command():
    """Print the demo logins (refused in production)."""
    if not current_app.config["DEMO_ALLOWED"]:
        raise CommandError(_("demo logins are refused when APP_ENV=production"))
    from utils.labels import role_label

    click.echo(_("Demo logins (username / password / role):"))
    for username, role, dept, _name in demo.DEMO_USERS:
        suffix = f" ({dept})" if dept else ""
        click.echo(f"  {username:10} {demo.demo_password(username):22} {role_label(role)}{suffix}")
