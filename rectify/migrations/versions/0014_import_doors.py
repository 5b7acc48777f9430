"""import records name their door and who undid them

Every import writes its record, whether it came through the page, the API or the command line.

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("import_record") as batch_op:
        batch_op.add_column(sa.Column("via", sa.String(length=10), nullable=False, server_default="web"))
        batch_op.add_column(sa.Column("undone_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_import_record_undone_by_id_user"), "user", ["undone_by_id"], ["id"])
    with op.batch_alter_table("import_record") as batch_op:
        batch_op.alter_column("via", server_default=None)


def downgrade():
    with op.batch_alter_table("import_record") as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_import_record_undone_by_id_user"), type_="foreignkey")
        batch_op.drop_column("undone_by_id")
        batch_op.drop_column("via")
