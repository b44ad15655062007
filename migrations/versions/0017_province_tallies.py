"""province tallies: the dossier tallies summed over the units, per date and procedure (day,
ten-day part of a month, month), which the province's figures read instead of every unit's rows;
built from the per-unit tallies

Revision ID: 0017_province_tallies
Revises: 0016_procedure_guard
Create Date: 2026-12-02 12:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0017_province_tallies'
down_revision = '0016_procedure_guard'
branch_labels = None
depends_on = None

COUNTS = ("received", "received_postal", "received_returned_postal", "returned", "returned_postal")
TALLIES = (("province_day_tally", "dossier_day_tally", "day"),
           ("province_tenday_tally", "dossier_tenday_tally", "tenday"),
           ("province_month_tally", "dossier_month_tally", "month"))


def upgrade():
    columns = ", ".join(COUNTS)
    sums = ", ".join(f"SUM({c})" for c in COUNTS)
    for name, source, date_key in TALLIES:
        op.create_table(
            name,
            sa.Column(date_key, sa.Date(), nullable=False),
            sa.Column('procedure_id', sa.Integer(), autoincrement=False, nullable=False),
            *(sa.Column(c, sa.Integer(), nullable=False) for c in COUNTS),
            sa.PrimaryKeyConstraint(date_key, 'procedure_id', name=op.f(f'pk_{name}')),
            sqlite_with_rowid=False,
        )
        op.execute(f'INSERT INTO {name} ({date_key}, procedure_id, {columns}) '
                   f'SELECT {date_key}, procedure_id, {sums} FROM {source} '
                   f'GROUP BY {date_key}, procedure_id ORDER BY {date_key}, procedure_id')


def downgrade():
    for name, _, _ in TALLIES:
        op.drop_table(name)
