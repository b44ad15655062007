"""one unit's latest shipments: an index on the shipments by unit and id, from which the log
form reads a unit's latest shipments (newest first) whatever the other units logged since

Without it the latest shipments of a unit are found by reading every shipment from the newest
down until the unit's appear: a unit that logs little, or has not logged for a while, reads
the shipments of every other unit on each visit of its log form.

Revision ID: 0021_shipment_unit_recent
Revises: 0020_dossier_code_bytes
Create Date: 2026-12-02 23:50:00

"""
from alembic import op


revision = '0021_shipment_unit_recent'
down_revision = '0020_dossier_code_bytes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_shipment_unit_id', 'shipment', ['unit_id', 'id'], unique=False)
    op.execute('ANALYZE shipment')


def downgrade():
    op.drop_index('ix_shipment_unit_id', table_name='shipment')
