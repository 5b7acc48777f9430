"""login failures: the login throttle counts in the database, shared by every app process

Failed sign-ins were counted by Flask-Limiter in each process's memory: four workers allowed four
times the attempts, and a restart forgot them. See rectify/accounts/throttle.py.

Revision ID: 0020
Revises: 0019
"""
import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("failed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failure")),
    )
    op.create_index("ix_login_failure_failed_at", "login_failure", ["failed_at"])
    op.create_index("ix_login_failure_who", "login_failure", ["username", "address", "failed_at"])


def downgrade():
    op.drop_index("ix_login_failure_who", table_name="login_failure")
    op.drop_index("ix_login_failure_failed_at", table_name="login_failure")
    op.drop_table("login_failure")
