"""a tracking number is unique per direction among the shipments not cancelled

A cancelled shipment no longer blocks logging its tracking number again: the unique constraint
on (tracking_number, direction) becomes a partial unique index over the shipments not cancelled
(SQLite and PostgreSQL both support it). Downgrading fails while a number is logged twice in a
direction (once cancelled), as the old constraint cannot hold then. SQLite rebuilds the table
(batch mode) with foreign keys off and checked before the commit (``migrations/env.py``).

Revision ID: 0004_shipment_tracking_active
Revises: 0003_dossier_tally
Create Date: 2026-11-26 02:27:13.070170

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_shipment_tracking_active'
down_revision = '0003_dossier_tally'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('shipment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_shipment_tracking_number_direction'), type_='unique')
        batch_op.create_index('uq_shipment_tracking_active', ['tracking_number', 'direction'], unique=True, sqlite_where=sa.text('NOT cancelled'), postgresql_where=sa.text('NOT cancelled'))


def downgrade():
    with op.batch_alter_table('shipment', schema=None) as batch_op:
        batch_op.drop_index('uq_shipment_tracking_active', sqlite_where=sa.text('NOT cancelled'), postgresql_where=sa.text('NOT cancelled'))
        batch_op.create_unique_constraint(batch_op.f('uq_shipment_tracking_number_direction'), ['tracking_number', 'direction'])
