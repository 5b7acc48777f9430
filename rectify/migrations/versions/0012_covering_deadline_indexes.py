"""covering deadline indexes: walking measures by deadline reads no rows

The board's columns, the list and the worklists walk measures in (due_on, id) order; with id,
deleted_at and problem_id in the index, a deep page skips its offset in the index alone.
Plain index operations (no batch mode): on SQLite a table rebuild would drop the measure
table's revision triggers (migration 0010).

Revision ID: 0012
Revises: 0011
"""
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_measure_due_on", table_name="measure")
    op.drop_index("ix_measure_status_due_on", table_name="measure")
    op.create_index("ix_measure_deadline", "measure", ["due_on", "id", "deleted_at", "problem_id"])
    op.create_index("ix_measure_status_deadline", "measure", ["status", "due_on", "id", "deleted_at", "problem_id"])


def downgrade():
    op.drop_index("ix_measure_status_deadline", table_name="measure")
    op.drop_index("ix_measure_deadline", table_name="measure")
    op.create_index("ix_measure_status_due_on", "measure", ["status", "due_on"])
    op.create_index("ix_measure_due_on", "measure", ["due_on"])
