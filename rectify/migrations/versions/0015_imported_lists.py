"""imported lists: a problem's location, a measure's note, measures that are the problem itself

Real lists (督查通报, hazard lists, 巡察反馈问题清单) name where a problem was found (点位), carry
columns no field holds (kept as the measure's note), and often list problems without measures:
each such problem gets one measure that is the problem itself, marked so that the unit can
rewrite or split it later.
Plain add_column (no batch mode): on SQLite a table rebuild would drop the problem and
measure tables' revision triggers (migration 0010); SQLite adds and drops columns in place.

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("problem", sa.Column("location", sa.String(length=200), nullable=True))
    op.add_column("measure", sa.Column("note", sa.Text(), nullable=True))
    op.add_column("measure", sa.Column("is_problem_itself", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    op.drop_column("measure", "is_problem_itself")
    op.drop_column("measure", "note")
    op.drop_column("problem", "location")
