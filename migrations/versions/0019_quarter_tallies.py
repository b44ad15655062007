"""quarter tallies: the dossier tallies per calendar quarter, per unit (quarter, unit, procedure,
with an index by unit and quarter) and for the province (quarter, procedure), which the figures
read for a period's whole quarters instead of three month rows each; built from the month
tallies

Revision ID: 0019_quarter_tallies
Revises: 0018_unit_shipment_tallies
Create Date: 2026-12-02 15:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0019_quarter_tallies'
down_revision = '0018_unit_shipment_tallies'
branch_labels = None
depends_on = None

COUNTS = ("received", "received_postal", "received_returned_postal", "returned", "returned_postal")
TALLIES = (("dossier_quarter_tally", "dossier_month_tally", True),
           ("province_quarter_tally", "province_month_tally", False))


def _quarter_of_month():
    """The first day of the quarter of a month tally's ``month`` (its first day), as SQL."""
    if op.get_bind().dialect.name == "postgresql":
        return "CAST(date_trunc('quarter', month) AS DATE)"
    # SQLite keeps a date as its ISO text.
    return ("substr(month, 1, 5) || CASE WHEN substr(month, 6, 2) <= '03' THEN '01' "
            "WHEN substr(month, 6, 2) <= '06' THEN '04' WHEN substr(month, 6, 2) <= '09' "
            "THEN '07' ELSE '10' END || '-01'")


def upgrade():
    columns = ", ".join(COUNTS)
    sums = ", ".join(f"SUM({c})" for c in COUNTS)
    quarter = _quarter_of_month()
    for name, source, per_unit in TALLIES:
        unit = [sa.Column('unit_id', sa.Integer(), autoincrement=False, nullable=False)]
        key = ('quarter', 'unit_id', 'procedure_id') if per_unit else ('quarter', 'procedure_id')
        op.create_table(
            name,
            sa.Column('quarter', sa.Date(), nullable=False),
            *(unit if per_unit else []),
            sa.Column('procedure_id', sa.Integer(), autoincrement=False, nullable=False),
            *(sa.Column(c, sa.Integer(), nullable=False) for c in COUNTS),
            sa.PrimaryKeyConstraint(*key, name=op.f(f'pk_{name}')),
            sqlite_with_rowid=False,
        )
        if per_unit:
            op.create_index('ix_dossier_quarter_tally_unit', name, ['unit_id', 'quarter'])
        group = ", ".join(key[1:])
        op.execute(f'INSERT INTO {name} (quarter, {group}, {columns}) '
                   f'SELECT {quarter} AS q, {group}, {sums} FROM {source} '
                   f'GROUP BY q, {group} ORDER BY q, {group}')


def downgrade():
    for name, _, per_unit in TALLIES:
        if per_unit:
            op.drop_index('ix_dossier_quarter_tally_unit', table_name=name)
        op.drop_table(name)
