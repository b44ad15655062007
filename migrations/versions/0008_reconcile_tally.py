"""what is left to reconcile (unlogged dossiers, live shipments) kept per procedure by triggers; indexes for the code search and the
reconciliation lists

Revision ID: 0008_reconcile_tally
Revises: 0007_sessions_login_failures
Create Date: 2026-12-01 23:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0008_reconcile_tally'
down_revision = '0007_sessions_login_failures'
branch_labels = None
depends_on = None

def upgrade():
    # The triggers as this revision made them (not utils/reconcile.py, which moves on).
    from migrations.frozen import reconcile_0008 as reconcile

    bind = op.get_bind()
    op.create_table(
        'reconcile_tally',
        sa.Column('procedure_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('unlogged_receive', sa.Integer(), nullable=False),
        sa.Column('unlogged_return', sa.Integer(), nullable=False),
        sa.Column('live_receive', sa.Integer(), nullable=False),
        sa.Column('live_return', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('procedure_id', name=op.f('pk_reconcile_tally')),
    )
    reconcile.fill(bind)
    reconcile.create_triggers(bind)
    if bind.dialect.name == "postgresql":
        op.execute('CREATE INDEX ix_dossier_code_bytes ON dossier (code COLLATE "C")')
    for name, date, src in (("ix_dossier_src_receive_bcci", "receive_date", "receive_channel_src"),
                            ("ix_dossier_src_return_bcci", "return_date", "return_channel_src")):
        op.create_index(name, 'dossier', [date, 'code'], unique=False,
                        sqlite_where=sa.text(f"{src} = 'bcci'"),
                        postgresql_where=sa.text(f"{src} = 'bcci'"))


def downgrade():
    from migrations.frozen import reconcile_0008

    bind = op.get_bind()
    op.drop_index('ix_dossier_src_return_bcci', table_name='dossier')
    op.drop_index('ix_dossier_src_receive_bcci', table_name='dossier')
    if bind.dialect.name == "postgresql":
        op.execute('DROP INDEX IF EXISTS ix_dossier_code_bytes')
    reconcile_0008.drop_triggers(bind)
    op.drop_table('reconcile_tally')
