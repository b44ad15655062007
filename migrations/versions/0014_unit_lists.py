"""one unit's lists: indexes leading with the unit on the dossiers (by receipt and by return
date, as the province's date indexes; and those the one-stop export says went by post, for the
unit's reconciliation) and on the shipments (by date)

A user bound to a unit reads that unit's dossier and shipment lists newest first; these indexes
hand a unit's page over in order, as the date indexes do for the whole province (whose lists
add no unit condition and keep their plans).

Revision ID: 0014_unit_lists
Revises: 0013_unit_tallies
Create Date: 2026-12-02 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0014_unit_lists'
down_revision = '0013_unit_tallies'
branch_labels = None
depends_on = None

INDEXES = (
    ('ix_dossier_unit_receive', 'dossier', ['unit_id', 'receive_date', 'receive_channel']),
    ('ix_dossier_unit_return', 'dossier', ['unit_id', 'return_date', 'return_channel']),
    ('ix_shipment_unit_date', 'shipment', ['unit_id', 'date', 'direction']),
)
# Partial: the dossiers whose source says post in a direction, by unit and date.
BY_POST = (
    ('ix_dossier_unit_src_receive_bcci', 'receive_date', "receive_channel_src = 'bcci'"),
    ('ix_dossier_unit_src_return_bcci', 'return_date', "return_channel_src = 'bcci'"),
)


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    for name, date, where in BY_POST:
        op.create_index(name, 'dossier', ['unit_id', date, 'code'], unique=False,
                        sqlite_where=sa.text(where), postgresql_where=sa.text(where))
    # The planner's statistics of the new indexes (SQLite guesses without them).
    op.execute('ANALYZE dossier')
    op.execute('ANALYZE shipment')


def downgrade():
    for name, _date, _where in BY_POST:
        op.drop_index(name, table_name='dossier')
    for name, table, _columns in INDEXES:
        op.drop_index(name, table_name=table)
