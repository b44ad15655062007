"""what is left to reconcile and the shipment counts per unit: the unit joins the key of
reconcile_tally (unit, then procedure) and of the shipment day and month tallies (the date, then
the unit, then the rest, with an index by unit and date, as the dossier tallies); the triggers
are made again to count in the unit (a dossier's unlogged directions in its unit, a shipment in
its own), and the tables are recounted from the dossiers and shipments

Revision ID: 0018_unit_shipment_tallies
Revises: 0017_province_tallies
Create Date: 2026-12-02 12:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0018_unit_shipment_tallies'
down_revision = '0017_province_tallies'
branch_labels = None
depends_on = None

SHIPMENT_TALLIES = (('shipment_day_tally', 'day'), ('shipment_month_tally', 'month'))
COUNTS = ('unlogged_receive', 'unlogged_return', 'live_receive', 'live_return')


def _reconcile_table(unit):
    op.create_table(
        'reconcile_tally',
        *([sa.Column('unit_id', sa.Integer(), autoincrement=False, nullable=False)] if unit else []),
        sa.Column('procedure_id', sa.Integer(), autoincrement=False, nullable=False),
        *(sa.Column(c, sa.Integer(), nullable=False) for c in COUNTS),
        sa.PrimaryKeyConstraint(*(('unit_id',) if unit else ()), 'procedure_id',
                                name=op.f('pk_reconcile_tally')),
    )


def _shipment_table(name, date_key, unit):
    unit_key = ('unit_id',) if unit else ()
    op.create_table(
        name,
        sa.Column(date_key, sa.Date(), nullable=False),
        *([sa.Column('unit_id', sa.Integer(), autoincrement=False, nullable=False)] if unit else []),
        sa.Column('procedure_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('direction', sa.String(length=12), nullable=False),
        sa.Column('cancelled', sa.Boolean(), nullable=False),
        sa.Column('eligibility_warning', sa.Boolean(), nullable=False),
        sa.Column('check_digit_warning', sa.Boolean(), nullable=False),
        sa.Column('shipments', sa.Integer(), nullable=False),
        sa.Column('fees', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(date_key, *unit_key, 'procedure_id', 'direction', 'cancelled',
                                'eligibility_warning', 'check_digit_warning',
                                name=op.f(f'pk_{name}')),
        sqlite_with_rowid=False,
    )
    if unit:
        op.create_index(f'ix_{name}_unit', name, ['unit_id', date_key])


def _rebuilt(unit, old, new):
    """Drop ``old``'s triggers and tables, make the tables with (``unit``) or without the unit,
    count the dossiers and shipments into them and create ``new``'s triggers (each a frozen
    copy of the triggers and counts of its revision: ``migrations/frozen``)."""
    bind = op.get_bind()
    reconcile_old, shipment_old = old
    reconcile_new, shipment_new = new
    reconcile_old.drop_triggers(bind)
    shipment_old.drop_triggers(bind)
    op.drop_table('reconcile_tally')
    for name, _date_key in SHIPMENT_TALLIES:
        op.drop_table(name)
    _reconcile_table(unit)
    for name, date_key in SHIPMENT_TALLIES:
        _shipment_table(name, date_key, unit)
    reconcile_new.fill(bind)
    shipment_new.fill(bind)
    reconcile_new.create_triggers(bind)
    shipment_new.create_triggers(bind)


def upgrade():
    from migrations.frozen import reconcile_0008, reconcile_0018, shipment_tally_0011, shipment_tally_0018

    _rebuilt(True, (reconcile_0008, shipment_tally_0011), (reconcile_0018, shipment_tally_0018))


def downgrade():
    from migrations.frozen import reconcile_0008, reconcile_0018, shipment_tally_0011, shipment_tally_0018

    _rebuilt(False, (reconcile_0018, shipment_tally_0018), (reconcile_0008, shipment_tally_0011))
