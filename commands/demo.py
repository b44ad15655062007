"""``flask demo load``: the demo organisation, or with ``--province`` the province demo
(refused in production)."""

import click
from flask_babel import gettext as _
from flask import current_app
from sqlalchemy import inspect, text

from commands import CommandError
from extensions import db
from utils import demo, demo_province

group = click.Group("demo", help="The demo organisation.")


@group.command("load")
@click.option(
    "--province",
    is_flag=True,
    help="A province of thirty units, one of them holding the reference case.",
)
def load_command(province):
    """Load the demo organisation; running it twice changes nothing."""
    if not current_app.config["DEMO_ALLOWED"]:
        raise CommandError(_("demo data is refused when APP_ENV=production"))
    if (demo_province if province else demo).load():
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # A bulk load into empty tables: the planner's statistics still describe them as
            # empty until autovacuum comes round, and a join planned on them takes minutes.
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        click.echo(_("Demo organisation loaded."))
    else:
        click.echo(_("Demo organisation already present: nothing changed."))


def _province_loaded():
    return inspect(db.engine).has_table("unit") and demo_province.is_loaded()


@group.command("logins")
@click.option("--province", is_flag=True, help="The province demo's logins.")
def logins_command(province):
    """Print the demo logins (refused in production); the province demo's when it is loaded."""
    if not current_app.config["DEMO_ALLOWED"]:
        raise CommandError(_("demo logins are refused when APP_ENV=production"))
    from utils.labels import role_label

    click.echo(_("Demo logins (username / password / role):"))
    if not (province or _province_loaded()):
        for username, role, dept, _name in demo.DEMO_USERS:
            suffix = f" ({dept})" if dept else ""
            click.echo(
                f"  {username:10} {demo.demo_password(username):22} {role_label(role)}{suffix}"
            )
        return
    for username, role, dept, unit in demo_province.logins():
        where = dept or unit or _("province-wide")
        click.echo(
            f"  {username:16} {demo.demo_password(username):28} {role_label(role)} ({where})"
        )
