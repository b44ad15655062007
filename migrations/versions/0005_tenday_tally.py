"""dossier tally per ten-day part of a month (1–10, 11–20, 21–end), for periods ending mid-month

Revision ID: 0005_tenday_tally
Revises: 0004_shipment_tracking_active
Create Date: 2026-11-26 03:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0005_tenday_tally'
down_revision = '0004_shipment_tracking_active'
branch_labels = None
depends_on = None

COUNTS = ("received", "received_postal", "received_returned_postal", "returned", "returned_postal")


def upgrade():
    op.create_table(
        'dossier_tenday_tally',
        sa.Column('tenday', sa.Date(), nullable=False),
        sa.Column('procedure_id', sa.Integer(), autoincrement=False, nullable=False),
        *(sa.Column(c, sa.Integer(), nullable=False) for c in COUNTS),
        sa.PrimaryKeyConstraint('tenday', 'procedure_id', name=op.f('pk_dossier_tenday_tally')),
        sqlite_with_rowid=False,
    )
    # Summed from the day tally, which migration 0003 filled (as utils.tally.rebuild would).
    if op.get_bind().dialect.name == "postgresql":
        tenday = ("CAST(date_trunc('month', day) AS DATE) + CASE WHEN EXTRACT(DAY FROM day) <= 10 "
                  "THEN 0 WHEN EXTRACT(DAY FROM day) <= 20 THEN 10 ELSE 20 END")
    else:
        tenday = ("CASE WHEN CAST(strftime('%d', day) AS INTEGER) <= 10 THEN date(day, 'start of month') "
                  "WHEN CAST(strftime('%d', day) AS INTEGER) <= 20 THEN date(day, 'start of month', '+10 days') "
                  "ELSE date(day, 'start of month', '+20 days') END")
    columns = ", ".join(COUNTS)
    sums = ", ".join(f"SUM({c})" for c in COUNTS)
    op.execute(f"""
        INSERT INTO dossier_tenday_tally (tenday, procedure_id, {columns})
        SELECT {tenday}, procedure_id, {sums} FROM dossier_day_tally
        GROUP BY {tenday}, procedure_id""")


def downgrade():
    op.drop_table('dossier_tenday_tally')
