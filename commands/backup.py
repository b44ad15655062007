"""``flask backup [--output FILE]``: a consistent copy of the SQLite database while the app runs.

SQLite's online backup API copies the database page by page under its own locking, so readers and
writers carry on and the copy is a single consistent snapshot (a plain file copy of a WAL database
is not). PostgreSQL is backed up with ``pg_dump``; this command says so and refuses.
"""

from datetime import datetime
from pathlib import Path

import click
from flask_babel import gettext as _
from flask import current_app

from commands import CommandError
from extensions import db


def sqlite_path():
    """The SQLite database file of the app, or ``None`` when the database is not SQLite."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise CommandError(_("the SQLite database is in memory: there is no file to back up"))
    return Path(url.database)


def backup_sqlite(source, target, pages=1024):
    """Copy ``source`` into ``target`` with the online backup API; returns the target's size.

    ``pages`` pages are copied at a time, so writers are held up only briefly between steps.
    """
    import sqlite3

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=rw", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst, pages=pages)
            # A standalone file: no WAL beside it, readable by any SQLite.
            dst.execute("PRAGMA journal_mode=DELETE")
            check = dst.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            dst.close()
    finally:
        src.close()
    if check != "ok":
        partial.unlink(missing_ok=True)
        raise CommandError(_("the copy failed its integrity check: %(result)s", result=check))
    partial.replace(target)
    return target.stat().st_size


def _default_output(source):
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(current_app.instance_path) / "backups" / f"{source.stem}-{stamp}.sqlite3"


@click.group("backup", invoke_without_command=True)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    help="The copy's file (default: instance/backups/<name>-<time>.sqlite3).",
)
def group(output):
    """Back up the SQLite database while the app runs (PostgreSQL: use pg_dump)."""
    source = sqlite_path()
    if source is None:
        raise CommandError(
            _(
                "the database is PostgreSQL: back it up with pg_dump, for example "
                "%(example)s, and restore it with pg_restore (see the README)",
                example='`pg_dump --format=custom --file=bcci.dump "$DATABASE_URL"`',
            )
        )
    if not source.exists():
        raise CommandError(_("no database file at %(path)s", path=source))
    target = Path(output) if output else _default_output(source)
    if target.resolve() == source.resolve():
        raise CommandError(_("the backup file must not be the database itself"))
    size = backup_sqlite(source, target)
    from utils.formats import number

    click.echo(_("Backup written: %(path)s (%(size)s bytes)", path=target, size=number(size)))
