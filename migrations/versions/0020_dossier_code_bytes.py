"""dossier code in byte order on PostgreSQL: the column's collation becomes "C", so its unique
index orders codes as the code search reads them, and the second index on the code in byte order
(ix_dossier_code_bytes, which held the same entries) is dropped; SQLite compares bytes already
and is left as it is

Revision ID: 0020_dossier_code_bytes
Revises: 0019_quarter_tallies
Create Date: 2026-12-02 23:30:00

"""
from alembic import op


revision = '0020_dossier_code_bytes'
down_revision = '0019_quarter_tallies'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    # Dropped first, so that the change of collation does not rebuild it; the change rebuilds
    # the unique index and the reconciliation's indexes holding the code, not the table.
    op.execute('DROP INDEX IF EXISTS ix_dossier_code_bytes')
    op.execute('ALTER TABLE dossier ALTER COLUMN code TYPE VARCHAR(60) COLLATE "C"')


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute('ALTER TABLE dossier ALTER COLUMN code TYPE VARCHAR(60) COLLATE "default"')
    op.execute('CREATE INDEX ix_dossier_code_bytes ON dossier (code COLLATE "C")')
