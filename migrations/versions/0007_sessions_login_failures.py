"""sessions that end, login failures shared by every worker, forms kept across a login

``login_session`` gains ``last_seen_at`` (the idle timeout); ``login_failure`` counts failed
logins and password checks in the database instead of each worker's memory; ``kept_form`` holds
for a few minutes what was typed into a form posted after the session ended.

Revision ID: 0007_sessions_login_failures
Revises: 0006_default_period_withdrawn
Create Date: 2026-12-01 23:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0007_sessions_login_failures'
down_revision = '0006_default_period_withdrawn'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seen_at', sa.DateTime(), nullable=True))
    op.create_table(
        'login_failure',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failure')),
    )
    op.create_index('ix_login_failure_key_at', 'login_failure', ['key', 'at'], unique=False)
    op.create_table(
        'kept_form',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('path', sa.String(length=500), nullable=False),
        sa.Column('fields', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_kept_form_user_id_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_kept_form')),
    )
    op.create_index(op.f('ix_kept_form_user_id'), 'kept_form', ['user_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_kept_form_user_id'), table_name='kept_form')
    op.drop_table('kept_form')
    op.drop_index('ix_login_failure_key_at', table_name='login_failure')
    op.drop_table('login_failure')
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.drop_column('last_seen_at')
