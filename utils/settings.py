"""A unit's organisation settings (one row per unit, ``OrgSettings.id == unit_id``), read
without writing anything."""

from sqlalchemy import select

from extensions import db
from models import FIRST_UNIT_ID, OrgSettings


def unsaved_settings(unit_id=None):
    """Settings never saved: each column's own default (``models.OrgSettings``), the dates of
    the default period blank; of unit ``unit_id`` when given (unstored either way)."""
    defaults = {
        column.key: column.default.arg
        for column in OrgSettings.__table__.columns
        if column.default is not None and column.default.is_scalar
    }
    if unit_id is None:
        return OrgSettings(**defaults)
    return OrgSettings(id=unit_id, unit_id=unit_id, **defaults)


def get_settings(unit_id=None):
    """The stored settings of unit ``unit_id`` (the first unit's by default), or its
    ``unsaved_settings`` when none were saved yet."""
    unit_id = unit_id or FIRST_UNIT_ID
    return db.session.get(OrgSettings, unit_id) or unsaved_settings(unit_id)


def settings_of(unit_ids):
    """``{unit id: get_settings(unit id)}`` of several units, read in one query."""
    ids = {unit_id or FIRST_UNIT_ID for unit_id in unit_ids}
    if not ids:
        return {}
    stored = db.session.scalars(select(OrgSettings).where(OrgSettings.unit_id.in_(ids)))
    found = {settings.unit_id: settings for settings in stored}
    return {unit_id: found.get(unit_id) or unsaved_settings(unit_id) for unit_id in ids}


def saved_settings(unit_id=None):
    """Whether unit ``unit_id``'s settings were ever saved."""
    return db.session.get(OrgSettings, unit_id or FIRST_UNIT_ID) is not None
