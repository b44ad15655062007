"""units: the deployment's first unit owns every existing record; procedures get a canonical level

A ``unit`` table with the first unit (id 1, named after the organisation settings), and a unit
on dossiers, shipments, meetings, briefs, hand-over records and the settings (all the first
unit's); briefs and hand-over records are numbered per unit. Users may be bound to a unit or be
province-wide (nobody is, by this migration). Each procedure's canonical level is read from its
free-text level; the first unit (commune level) gets an addition for every procedure of the
province level only, so it handles every procedure it handled before.

Revision ID: 0012_units
Revises: 0011_shipment_tally
Create Date: 2026-12-02 08:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0012_units'
down_revision = '0011_shipment_tally'
branch_labels = None
depends_on = None


def _unit_fk(batch_op, table):
    batch_op.add_column(sa.Column('unit_id', sa.Integer(), server_default='1', nullable=False))
    batch_op.create_foreign_key(batch_op.f(f'fk_{table}_unit_id_unit'), 'unit', ['unit_id'], ['id'])


def upgrade():
    # Frozen copies of the application's functions (migrations/frozen/units_0012.py): this
    # migration does what it did whatever utils.units and utils.text become.
    from migrations.frozen.units_0012 import fold, procedure_level_from_text

    op.create_table(
        'unit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=20), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('name_folded', sa.String(length=200), nullable=False),
        sa.Column('level', sa.String(length=8), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('trung_tam', 'chi_nhanh', 'diem')", name=op.f('ck_unit_kind')),
        sa.CheckConstraint("level IN ('tinh', 'xa')", name=op.f('ck_unit_level')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_unit')),
        sa.UniqueConstraint('code', name=op.f('uq_unit_code')),
    )
    bind = op.get_bind()
    name = bind.execute(sa.text('SELECT unit_name FROM org_settings ORDER BY id LIMIT 1')).scalar()
    bind.execute(
        sa.text(
            "INSERT INTO unit (id, code, name, name_folded, level, kind, active, created_at) "
            "VALUES (1, 'DV01', :name, :folded, 'xa', 'trung_tam', :yes, CURRENT_TIMESTAMP)"
        ),
        {'name': name or '', 'folded': fold(name or ''), 'yes': True},
    )
    if bind.dialect.name == 'postgresql':
        bind.execute(sa.text("SELECT setval('unit_id_seq', 1)"))

    op.create_table(
        'unit_procedure',
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('procedure_id', sa.Integer(), nullable=False),
        sa.Column('handled', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['procedure_id'], ['procedure.id'],
                                name=op.f('fk_unit_procedure_procedure_id_procedure')),
        sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_unit_procedure_unit_id_unit')),
        sa.PrimaryKeyConstraint('unit_id', 'procedure_id', name=op.f('pk_unit_procedure')),
    )
    op.create_index('ix_unit_procedure_procedure', 'unit_procedure', ['procedure_id'], unique=False)

    with op.batch_alter_table('procedure', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_level', sa.String(length=8), server_default='ca_hai',
                                      nullable=False))
    levels = {}
    for procedure_id, text in bind.execute(sa.text('SELECT id, level FROM procedure')):
        levels.setdefault(procedure_level_from_text(text), []).append(procedure_id)
    for level, ids in levels.items():
        if level != 'ca_hai':
            bind.execute(
                sa.text('UPDATE procedure SET unit_level = :level WHERE id IN :ids').bindparams(
                    sa.bindparam('ids', expanding=True)),
                {'level': level, 'ids': ids},
            )
    # The first unit handles every procedure it handled: its level's, and these added.
    bind.execute(sa.text(
        "INSERT INTO unit_procedure (unit_id, procedure_id, handled) "
        "SELECT 1, id, :yes FROM procedure WHERE unit_level = 'tinh'"
    ), {'yes': True})

    # The big tables: a plain column with the first unit as default (no table rebuild).
    op.add_column('dossier', sa.Column('unit_id', sa.Integer(), server_default='1', nullable=False))
    op.add_column('shipment', sa.Column('unit_id', sa.Integer(), server_default='1', nullable=False))

    with op.batch_alter_table('org_settings', schema=None) as batch_op:
        _unit_fk(batch_op, 'org_settings')
        batch_op.create_unique_constraint(batch_op.f('uq_org_settings_unit_id'), ['unit_id'])
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('province_wide', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_user_unit_id_unit'), 'unit', ['unit_id'], ['id'])
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        _unit_fk(batch_op, 'meeting')
        batch_op.create_index(batch_op.f('ix_meeting_unit_id'), ['unit_id'], unique=False)
    with op.batch_alter_table('brief', schema=None) as batch_op:
        _unit_fk(batch_op, 'brief')
        batch_op.drop_constraint(batch_op.f('uq_brief_year_number'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_brief_unit_id_year_number'),
                                          ['unit_id', 'year', 'number'])
    with op.batch_alter_table('handover_batch', schema=None) as batch_op:
        _unit_fk(batch_op, 'handover_batch')
        batch_op.drop_constraint(batch_op.f('uq_handover_batch_year_number'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_handover_batch_unit_id_year_number'),
                                          ['unit_id', 'year', 'number'])


def downgrade():
    with op.batch_alter_table('handover_batch', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_handover_batch_unit_id_year_number'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_handover_batch_year_number'), ['year', 'number'])
        batch_op.drop_constraint(batch_op.f('fk_handover_batch_unit_id_unit'), type_='foreignkey')
        batch_op.drop_column('unit_id')
    with op.batch_alter_table('brief', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_brief_unit_id_year_number'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_brief_year_number'), ['year', 'number'])
        batch_op.drop_constraint(batch_op.f('fk_brief_unit_id_unit'), type_='foreignkey')
        batch_op.drop_column('unit_id')
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_unit_id'))
        batch_op.drop_constraint(batch_op.f('fk_meeting_unit_id_unit'), type_='foreignkey')
        batch_op.drop_column('unit_id')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_user_unit_id_unit'), type_='foreignkey')
        batch_op.drop_column('province_wide')
        batch_op.drop_column('unit_id')
    with op.batch_alter_table('org_settings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_org_settings_unit_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_org_settings_unit_id_unit'), type_='foreignkey')
        batch_op.drop_column('unit_id')
    op.drop_column('shipment', 'unit_id')
    op.drop_column('dossier', 'unit_id')
    with op.batch_alter_table('procedure', schema=None) as batch_op:
        batch_op.drop_column('unit_level')
    op.drop_index('ix_unit_procedure_procedure', table_name='unit_procedure')
    op.drop_table('unit_procedure')
    op.drop_table('unit')
