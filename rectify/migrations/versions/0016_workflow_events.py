"""workflow events: who is told of what happens, notice preferences, webhooks

Events and their recipients, per-user e-mail preferences by category, outgoing webhooks (their
deliveries go through the outbox), notifications written for the page (items with links, the
tickets they concern), and the time a measure was returned for rework. The measure column is added
without a table rebuild, which on SQLite would drop its revision triggers (migration 0010).

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notice_preference',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('email', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notice_preference_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'category', name=op.f('pk_notice_preference'))
    )
    op.create_table('webhook',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_webhook_created_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook'))
    )
    op.create_table('event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('measure_id', sa.Integer(), nullable=True),
    sa.Column('problem_id', sa.Integer(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_event_actor_id_user')),
    sa.ForeignKeyConstraint(['measure_id'], ['measure.id'], name=op.f('fk_event_measure_id_measure')),
    sa.ForeignKeyConstraint(['problem_id'], ['problem.id'], name=op.f('fk_event_problem_id_problem')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event'))
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_measure_id'), ['measure_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_problem_id'), ['problem_id'], unique=False)

    op.create_table('event_recipient',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=10), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['delivery_id'], ['delivery.id'], name=op.f('fk_event_recipient_delivery_id_delivery')),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_event_recipient_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['notification_id'], ['notification.id'], name=op.f('fk_event_recipient_notification_id_notification')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_event_recipient_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_recipient')),
    sa.UniqueConstraint('event_id', 'user_id', name=op.f('uq_event_recipient_event_id'))
    )
    with op.batch_alter_table('event_recipient', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_recipient_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_recipient_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('webhook_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_delivery_webhook_id'), ['webhook_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_delivery_webhook_id_webhook'), 'webhook', ['webhook_id'], ['id'])

    op.add_column('measure', sa.Column('returned_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('problem_ids', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('items', sa.JSON(), nullable=False, server_default='[]'))
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.alter_column('problem_ids', server_default=None)
        batch_op.alter_column('items', server_default=None)


def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_column('items')
        batch_op.drop_column('problem_ids')

    op.drop_column('measure', 'returned_at')  # SQLite 3.35+ drops a column in place, triggers kept

    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_delivery_webhook_id_webhook'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_delivery_webhook_id'))
        batch_op.drop_column('webhook_id')

    with op.batch_alter_table('event_recipient', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_recipient_user_id'))
        batch_op.drop_index(batch_op.f('ix_event_recipient_event_id'))

    op.drop_table('event_recipient')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_problem_id'))
        batch_op.drop_index(batch_op.f('ix_event_measure_id'))
        batch_op.drop_index(batch_op.f('ix_event_kind'))

    op.drop_table('event')
    op.drop_table('webhook')
    op.drop_table('notice_preference')
