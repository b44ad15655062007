"""dossier tallies per unit: the unit joins the key of the day, ten-day and month tallies (the
date first, then the unit, then the procedure), with an index by unit and date for one unit's
figures; the existing rows are the first unit's

Revision ID: 0013_unit_tallies
Revises: 0012_units
Create Date: 2026-12-02 08:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0013_unit_tallies'
down_revision = '0012_units'
branch_labels = None
depends_on = None

COUNTS = ("received", "received_postal", "received_returned_postal", "returned", "returned_postal")
TALLIES = (("dossier_day_tally", "day", "day"), ("dossier_tenday_tally", "tenday", "tenday"),
           ("dossier_month_tally", "month", "month"))


def _create(name, date_key, index_name, unit):
    key = (date_key, 'unit_id', 'procedure_id') if unit else (date_key, 'procedure_id')
    op.create_table(
        name,
        sa.Column(date_key, sa.Date(), nullable=False),
        *([sa.Column('unit_id', sa.Integer(), autoincrement=False, nullable=False)] if unit else []),
        sa.Column('procedure_id', sa.Integer(), autoincrement=False, nullable=False),
        *(sa.Column(c, sa.Integer(), nullable=False) for c in COUNTS),
        sa.PrimaryKeyConstraint(*key, name=op.f(f'pk_{name}')),
        sqlite_with_rowid=False,
    )
    if unit:
        op.create_index(f'ix_dossier_{index_name}_tally_unit', name, ['unit_id', date_key])


def _rebuilt(unit):
    """Each tally made again with (``unit``) or without the unit in its key, its rows copied
    through a plain copy of the table (the first unit's when the unit is added; summed over the
    units when it is taken out)."""
    columns = ", ".join(COUNTS)
    for name, date_key, index_name in TALLIES:
        copy = f'{name}_copy'
        op.execute(f'CREATE TABLE {copy} AS SELECT * FROM {name}')
        op.drop_table(name)
        _create(name, date_key, index_name, unit)
        if unit:
            op.execute(f'INSERT INTO {name} ({date_key}, unit_id, procedure_id, {columns}) '
                       f'SELECT {date_key}, 1, procedure_id, {columns} FROM {copy}')
        else:
            sums = ", ".join(f"SUM({c})" for c in COUNTS)
            op.execute(f'INSERT INTO {name} ({date_key}, procedure_id, {columns}) '
                       f'SELECT {date_key}, procedure_id, {sums} FROM {copy} '
                       f'GROUP BY {date_key}, procedure_id')
        op.drop_table(copy)


def upgrade():
    _rebuilt(unit=True)


def downgrade():
    _rebuilt(unit=False)
