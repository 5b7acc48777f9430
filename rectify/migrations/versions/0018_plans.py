"""plans: the units' 整改方案, proposed measures awaiting a supervisor's decision

Revision ID: 0018
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("measures", sa.JSON(), nullable=False),
        sa.Column("drafted_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["decided_by_id"], ["user.id"], name=op.f("fk_plan_decided_by_id_user")),
        sa.ForeignKeyConstraint(["drafted_by_id"], ["user.id"], name=op.f("fk_plan_drafted_by_id_user")),
        sa.ForeignKeyConstraint(["problem_id"], ["problem.id"], name=op.f("fk_plan_problem_id_problem")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan")),
    )
    op.create_index(op.f("ix_plan_problem_id"), "plan", ["problem_id"], unique=False)
    op.create_index(op.f("ix_plan_status"), "plan", ["status"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_plan_status"), table_name="plan")
    op.drop_index(op.f("ix_plan_problem_id"), table_name="plan")
    op.drop_table("plan")
