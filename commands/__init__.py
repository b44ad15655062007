"""Command-line groups (``flask --app app <group> <command>``), thin wrappers over services.

Each module of this package that defines ``group`` (a ``click.Group``) is registered.

Each run speaks one language (docs/cli.md): Vietnamese by default, English with ``--lang en``
on any command or ``BCCI_LANG=en`` in the environment. Messages go through ``gettext`` like the
web pages' (``app.select_locale`` reads the run's choice); JSON output does not change.
"""

import importlib
import pkgutil

import click

LANGUAGES = ("vi", "en")
_META_KEY = "bcci.lang"


def run_language():
    """The language of the running command ("vi" unless the run asked for English), or
    ``None`` outside a command."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return None
    return ctx.meta.get(_META_KEY, "vi")


def _remember_language(ctx, _param, value):
    if value:
        ctx.meta[_META_KEY] = value
        from flask import has_app_context

        if has_app_context():  # Flask-Babel keeps the locale it chose for the app context
            from flask_babel import refresh

            refresh()
    return value


def lang_option():
    """``--lang vi|en`` (environment: ``BCCI_LANG``), accepted by every command and group."""
    return click.Option(
        ["--lang"],
        type=click.Choice(LANGUAGES),
        envvar="BCCI_LANG",
        default="vi",
        show_default=True,
        is_eager=True,
        expose_value=False,
        callback=_remember_language,
        help="Language of the messages: vi (Vietnamese) or en (English).",
    )


class CommandError(click.ClickException):
    """A command's refusal, said in the run's language (click's own prefix is English). The
    line is made when the error is raised: click shows it after the command's context closed."""

    def __init__(self, message):
        from flask_babel import gettext as _

        super().__init__(message)
        self.line = _("Error: %(message)s", message=message)

    def show(self, file=None):
        click.echo(self.line, err=True, file=file)


def named_unit(code):
    """The unit with code ``code`` (a command's argument or ``--unit``), or a ``CommandError``
    saying there is none."""
    from utils.errors import Refusal
    from utils.units import unit_by_code

    try:
        return unit_by_code(code)
    except Refusal as e:
        raise CommandError(str(e)) from None


def _add_lang_option(command):
    if not any(p.name == "lang" for p in command.params):
        command.params.append(lang_option())
    for sub in getattr(command, "commands", {}).values():
        _add_lang_option(sub)


def register(app):
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        group = getattr(module, "group", None)
        if group is not None:
            _add_lang_option(group)
            app.cli.add_command(group)
