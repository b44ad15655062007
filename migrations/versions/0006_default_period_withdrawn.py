"""the organisation's default reporting period; withdrawing an issued brief

``org_settings`` gains the period every leaders' screen opens on (both dates or neither);
``brief`` gains when, by whom and why it was withdrawn (thu hồi). Nothing existing changes.

Revision ID: 0006_default_period_withdrawn
Revises: 0005_tenday_tally
Create Date: 2026-12-01 23:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0006_default_period_withdrawn'
down_revision = '0005_tenday_tally'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('org_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('default_period_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('default_period_to', sa.Date(), nullable=True))
    with op.batch_alter_table('brief', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('withdraw_reason', sa.Text(), nullable=False,
                                      server_default=''))
        batch_op.create_foreign_key(batch_op.f('fk_brief_withdrawn_by_id_user'), 'user',
                                    ['withdrawn_by_id'], ['id'])
    # The model gives the default; the server default only filled the existing rows.
    with op.batch_alter_table('brief', schema=None) as batch_op:
        batch_op.alter_column('withdraw_reason', server_default=None)


def downgrade():
    with op.batch_alter_table('brief', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_brief_withdrawn_by_id_user'), type_='foreignkey')
        batch_op.drop_column('withdraw_reason')
        batch_op.drop_column('withdrawn_by_id')
        batch_op.drop_column('withdrawn_at')
    with op.batch_alter_table('org_settings', schema=None) as batch_op:
        batch_op.drop_column('default_period_to')
        batch_op.drop_column('default_period_from')
