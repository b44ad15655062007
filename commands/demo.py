"""``flask demo load``: the demo organisation (refused in production)."""
import click
from flask import current_app

from extensions import db
from utils import demo

group = click.Group("demo", help="The demo organisation.")


@group.command("load")
def load_command():
    """Load the demo organisation; running it twice changes nothing."""
    if not current_app.config["DEMO_ALLOWED"]:
        raise click.ClickException("demo data is refused when APP_ENV=production")
    if demo.load():
        db.session.commit()
        click.echo("Demo organisation loaded.")
    else:
        click.echo("Demo organisation already present: nothing changed.")


@group.command("logins")
def logins_command():
    """Print the demo logins (refused in production)."""
    if not current_app.config["DEMO_ALLOWED"]:
        raise click.ClickException("demo logins are refused when APP_ENV=production")
    click.echo("Demo logins (username / password / role):")
    for username, role, dept, _ in demo.DEMO_USERS:
        suffix = f" ({dept})" if dept else ""
        click.echo(f"  {username:10} {demo.demo_password(username):22} {role}{suffix}")
