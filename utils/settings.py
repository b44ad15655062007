"""The organisation's settings (one row), read without writing anything."""

from extensions import db
from models import OrgSettings


def get_settings():
    """The stored settings, or unsaved defaults when none were saved yet: each column's own
    default (``models.OrgSettings``), the dates of the default period blank."""
    settings = db.session.get(OrgSettings, 1)
    if settings is None:
        defaults = {
            column.key: column.default.arg
            for column in OrgSettings.__table__.columns
            if column.default is not None and column.default.is_scalar
        }
        settings = OrgSettings(id=1, **defaults)
    return settings
