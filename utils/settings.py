"""The organisation's settings (one row), read without writing anything."""

from extensions import db
from models import OrgSettings


def get_settings():
    """The stored settings, or unsaved defaults when none were saved yet."""
    settings = db.session.get(OrgSettings, 1)
    if settings is None:
        settings = OrgSettings(
            id=1,
            parent_agency="",
            unit_name="",
            place_name="",
            signer_name="",
            signer_title="",
            doc_prefix="TTHCC",
            recipients="",
            address="",
            opening_hours="",
            retention_months=24,
            public_list_enabled=False,
        )
    return settings
