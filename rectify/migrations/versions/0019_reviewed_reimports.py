"""reviewed re-imports: what the sheet said when a measure was last imported, what an import changed, column mappings

A re-import changes a field only where nobody changed it in the system since the last import
(rectify/imports/merge.py); the import's record keeps what it changed so that undo puts it back.
A column mapping a user confirmed is kept for the next workbook with the same headers
(rectify/imports/mapping.py).
Plain add_column (no batch mode): a table rebuild on SQLite would drop the revision triggers.

Revision ID: 0019
Revises: 0018
"""
import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("measure", sa.Column("imported_values", sa.JSON(), nullable=True))
    op.add_column("import_record", sa.Column("changes", sa.JSON(), nullable=True))
    op.create_table(
        "import_mapping",
        sa.Column("layout", sa.String(length=64), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user.id"], name=op.f("fk_import_mapping_updated_by_id_user")),
        sa.PrimaryKeyConstraint("layout", name=op.f("pk_import_mapping")),
    )


def downgrade():
    op.drop_table("import_mapping")
    op.drop_column("import_record", "changes")
    op.drop_column("measure", "imported_values")
