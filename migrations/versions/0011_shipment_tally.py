"""shipments counted per date (day and month), procedure, direction and status, with their fees,
kept by triggers: the shipment list's totals read them instead of every shipment

Revision ID: 0011_shipment_tally
Revises: 0010_dossier_procedure_date
Create Date: 2026-12-02 05:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0011_shipment_tally'
down_revision = '0010_dossier_procedure_date'
branch_labels = None
depends_on = None


def _create(name, date_key):
    op.create_table(
        name,
        sa.Column(date_key, sa.Date(), nullable=False),
        sa.Column('procedure_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('direction', sa.String(length=12), nullable=False),
        sa.Column('cancelled', sa.Boolean(), nullable=False),
        sa.Column('eligibility_warning', sa.Boolean(), nullable=False),
        sa.Column('check_digit_warning', sa.Boolean(), nullable=False),
        sa.Column('shipments', sa.Integer(), nullable=False),
        sa.Column('fees', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(date_key, 'procedure_id', 'direction', 'cancelled',
                                'eligibility_warning', 'check_digit_warning',
                                name=op.f(f'pk_{name}')),
        sqlite_with_rowid=False,
    )


def upgrade():
    # The triggers as this revision made them (not utils/shipment_tally.py, which moves on).
    from migrations.frozen import shipment_tally_0011 as shipment_tally

    bind = op.get_bind()
    _create('shipment_day_tally', 'day')
    _create('shipment_month_tally', 'month')
    # Count the shipments already stored, then keep counting them as they change.
    shipment_tally.fill(bind)
    shipment_tally.create_triggers(bind)


def downgrade():
    from migrations.frozen import shipment_tally_0011 as shipment_tally

    shipment_tally.drop_triggers(op.get_bind())
    op.drop_table('shipment_month_tally')
    op.drop_table('shipment_day_tally')
