"""A unit's organisation settings (one row per unit, ``OrgSettings.id == unit_id``), read
without writing anything."""

from extensions import db
from models import FIRST_UNIT_ID, OrgSettings


def get_settings(unit_id=None):
    """The stored settings of unit ``unit_id`` (the first unit's by default), or unsaved defaults
    when none were saved yet: each column's own default (``models.OrgSettings``), the dates of
    the default period blank."""
    unit_id = unit_id or FIRST_UNIT_ID
    settings = db.session.get(OrgSettings, unit_id)
    if settings is None:
        defaults = {
            column.key: column.default.arg
            for column in OrgSettings.__table__.columns
            if column.default is not None and column.default.is_scalar
        }
        settings = OrgSettings(id=unit_id, unit_id=unit_id, **defaults)
    return settings


def saved_settings(unit_id=None):
    """Whether unit ``unit_id``'s settings were ever saved."""
    return db.session.get(OrgSettings, unit_id or FIRST_UNIT_ID) is not None
