"""an index on every shipment's tracking number, for the shipment list's search by its start

The partial unique index of migration 0004 holds only the shipments not cancelled; the list
searches all of them. PostgreSQL orders the index in byte order (``COLLATE "C"``), as the search
compares (``blueprints.postal.services.tracking_key``); SQLite compares bytes already.

Revision ID: 0009_shipment_tracking_search
Revises: 0008_reconcile_tally
Create Date: 2026-12-02 03:50:00

"""
from alembic import op


revision = '0009_shipment_tracking_search'
down_revision = '0008_reconcile_tally'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute('CREATE INDEX ix_shipment_tracking_bytes ON shipment (tracking_number COLLATE "C")')
    else:
        op.create_index('ix_shipment_tracking', 'shipment', ['tracking_number'], unique=False)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute('DROP INDEX IF EXISTS ix_shipment_tracking_bytes')
    else:
        op.drop_index('ix_shipment_tracking', table_name='shipment')
