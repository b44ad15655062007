"""Command-line groups (``flask --app app <group> <command>``), thin wrappers over services.

Each module of this package that defines ``group`` (a ``click.Group``) is registered.
"""
import importlib
import pkgutil


def register(app):
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        group = getattr(module, "group", None)
        if group is not None:
            app.cli.add_command(group)
