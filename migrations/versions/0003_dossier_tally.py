"""dossier tallies: dossiers counted per procedure and per day or month, for the figures

Revision ID: 0003_dossier_tally
Revises: 0002_handover
Create Date: 2026-11-26 02:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0003_dossier_tally'
down_revision = '0002_handover'
branch_labels = None
depends_on = None

COUNTS = ("received", "received_postal", "received_returned_postal", "returned", "returned_postal")


def _create(name, date_key):
    op.create_table(
        name,
        sa.Column(date_key, sa.Date(), nullable=False),
        sa.Column('procedure_id', sa.Integer(), autoincrement=False, nullable=False),
        *(sa.Column(c, sa.Integer(), nullable=False) for c in COUNTS),
        sa.PrimaryKeyConstraint(date_key, 'procedure_id', name=op.f(f'pk_{name}')),
        sqlite_with_rowid=False,
    )


def upgrade():
    _create('dossier_day_tally', 'day')
    _create('dossier_month_tally', 'month')
    # Count the dossiers already stored, as utils.tally.rebuild does.
    postgres = op.get_bind().dialect.name == "postgresql"
    month = "CAST(date_trunc('month', day) AS DATE)" if postgres else "date(day, 'start of month')"
    dossiers = """
        SELECT receive_date AS day, procedure_id, 1 AS r,
               CASE WHEN receive_channel = 'bcci' THEN 1 ELSE 0 END AS rp,
               CASE WHEN return_channel = 'bcci' THEN 1 ELSE 0 END AS rrp, 0 AS t, 0 AS tp
        FROM dossier WHERE receive_date IS NOT NULL
        UNION ALL
        SELECT return_date, procedure_id, 0, 0, 0, 1,
               CASE WHEN return_channel = 'bcci' THEN 1 ELSE 0 END
        FROM dossier WHERE return_date IS NOT NULL"""
    columns = ", ".join(COUNTS)
    for table, key in (("dossier_day_tally", "day"), ("dossier_month_tally", month)):
        op.execute(f"""
            INSERT INTO {table} ({'day' if key == 'day' else 'month'}, procedure_id, {columns})
            SELECT {key}, procedure_id, SUM(r), SUM(rp), SUM(rrp), SUM(t), SUM(tp)
            FROM ({dossiers}) AS parts GROUP BY {key}, procedure_id""")


def downgrade():
    op.drop_table('dossier_month_tally')
    op.drop_table('dossier_day_tally')
