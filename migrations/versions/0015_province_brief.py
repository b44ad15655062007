"""the province's brief: an issued brief says whether it gives the province's figures

The province's brief is issued by the province's centre and numbered in its series (its unit's
numbers, as any brief of that centre); this flag tells it apart from the centre's own brief.
Every brief issued before it is a unit's brief.

Revision ID: 0015_province_brief
Revises: 0014_unit_lists
Create Date: 2026-12-02 12:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0015_province_brief'
down_revision = '0014_unit_lists'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('brief', schema=None) as batch_op:
        batch_op.add_column(sa.Column('province', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('brief', schema=None) as batch_op:
        batch_op.drop_column('province')
