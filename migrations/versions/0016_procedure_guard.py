"""dossiers' procedure on PostgreSQL: a guard on the procedures instead of a foreign key

The foreign key's check looked up (and locked) the procedure of every dossier inserted: a
quarter of the dossier import's insert. Every writer of dossiers takes the procedure from the
catalogue (the import refuses an unknown code as a bad row) and the application never deletes a
procedure, so PostgreSQL keeps instead a trigger refusing to delete or renumber a procedure
that still has dossiers (its frozen copy: ``migrations/frozen/procedure_guard_0016.py``). SQLite keeps its foreign key.

Revision ID: 0016_procedure_guard
Revises: 0015_province_brief
Create Date: 2026-12-02 12:40:00

"""
from alembic import op


revision = '0016_procedure_guard'
down_revision = '0015_province_brief'
branch_labels = None
depends_on = None

FOREIGN_KEY = 'fk_dossier_procedure_id_procedure'


def upgrade():
    from migrations.frozen import procedure_guard_0016 as guard

    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    op.drop_constraint(FOREIGN_KEY, 'dossier', type_='foreignkey')
    for statement in guard.procedure_guard_ddl():
        bind.exec_driver_sql(statement)


def downgrade():
    from migrations.frozen import procedure_guard_0016 as guard

    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(f'DROP TRIGGER IF EXISTS {guard.PROCEDURE_GUARD} ON procedure')
    op.execute(f'DROP FUNCTION IF EXISTS {guard.PROCEDURE_GUARD}()')
    op.create_foreign_key(FOREIGN_KEY, 'dossier', 'procedure', ['procedure_id'], ['id'])
