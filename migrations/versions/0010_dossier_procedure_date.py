"""the dossiers of one procedure read in date order: the procedure indexes put the date before the channel

A list opened from a procedure's number (one procedure, a period, newest first) read every
dossier of the procedure through (procedure, channel, date) and sorted them; with the date
second the index hands the page over in order, and a filter on the channel is still answered
from the same index.

Revision ID: 0010_dossier_procedure_date
Revises: 0009_shipment_tracking_search
Create Date: 2026-12-02 05:40:00

"""
from alembic import op


revision = '0010_dossier_procedure_date'
down_revision = '0009_shipment_tracking_search'
branch_labels = None
depends_on = None

INDEXES = {
    'ix_dossier_proc_receive': ('receive_date', 'receive_channel'),
    'ix_dossier_proc_return': ('return_date', 'return_channel'),
}


def _replace(order):
    for name, (date, channel) in INDEXES.items():
        op.drop_index(name, table_name='dossier')
        columns = [date, channel] if order == 'date' else [channel, date]
        op.create_index(name, 'dossier', ['procedure_id', *columns], unique=False)
    # The planner's statistics of the new indexes: without them SQLite guesses, and other
    # pages' plans (the shipment list, the unlogged dossiers) turned to scans.
    op.execute('ANALYZE dossier')


def upgrade():
    _replace('date')


def downgrade():
    _replace('channel')
