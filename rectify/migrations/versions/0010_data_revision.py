"""data revision: a counter bumped by triggers whenever what the counts depend on changes

The tables watched are those the dashboard's, board's and list's counts read: batches,
problems, measures, people and the links between them.

- PostgreSQL: a deferred constraint trigger per table, so the counter row is locked only at
  commit (a transaction that holds it waits for nothing else: no deadlock), and a
  transaction-local flag so a bulk write bumps it once.
- SQLite: plain row triggers (one writer at a time; a bump costs well under a microsecond).

CAUTION: on SQLite, ``batch_alter_table`` rebuilds a table and drops its triggers. A later
migration that rebuilds one of these tables must call ``create_triggers`` again;
tests/test_revision.py fails if a watched table stops bumping the counter.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

WATCHED = ("batch", "problem", "measure", "person", "problem_leader", "measure_leader", "measure_owner",
           "measure_cooperating_unit")
POSTGRES_FUNCTION = """
CREATE FUNCTION rectify_bump_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('rectify.revision_bumped', true) IS DISTINCT FROM 'on' THEN
        PERFORM set_config('rectify.revision_bumped', 'on', true);
        UPDATE data_revision SET n = n + 1 WHERE id = 1;
    END IF;
    RETURN NULL;
END
$$
"""


def create_triggers(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE CONSTRAINT TRIGGER bump_revision AFTER INSERT OR UPDATE OR DELETE ON {table} "
                   "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION rectify_bump_revision()")
        return
    for event in ("insert", "update", "delete"):
        op.execute(f"CREATE TRIGGER bump_revision_{table}_{event} AFTER {event.upper()} ON {table} "
                   "BEGIN UPDATE data_revision SET n = n + 1 WHERE id = 1; END")


def drop_triggers(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER bump_revision ON {table}")
        return
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER bump_revision_{table}_{event}")


def upgrade():
    revision_table = op.create_table(
        "data_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_revision")),
    )
    op.bulk_insert(revision_table, [{"id": 1, "n": 0}])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
    for table in WATCHED:
        create_triggers(table)


def downgrade():
    for table in WATCHED:
        drop_triggers(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION rectify_bump_revision()")
    op.drop_table("data_revision")
