"""FHIR: scopes on API tokens, rest-hook subscriptions, outbox claims per channel

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 22:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('api_tokens') as batch:
        batch.add_column(sa.Column('scopes', sa.String(length=1000), nullable=False, server_default=''))
    op.create_table(
        'fhir_subscriptions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('resource_type', sa.String(length=20), nullable=False),
        sa.Column('criteria', sa.String(length=200), nullable=False),
        sa.Column('statuses', sa.String(length=200), nullable=False),
        sa.Column('endpoint', sa.String(length=254), nullable=False),
        sa.Column('header', sa.String(length=500), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('error', sa.String(length=500), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_fhir_subscriptions_created_by_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_fhir_subscriptions')),
    )
    op.create_index(op.f('ix_fhir_subscriptions_resource_type'), 'fhir_subscriptions', ['resource_type'], unique=False)
    # FHIR notifications share the outbox (channel "fhir"): each delivery run claims its own
    # channels through this index, so neither run's locking read skips the other's rows.
    op.create_index('ix_outbox_channel_due', 'outbox', ['channel', 'status', 'next_attempt_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_outbox_channel_due', table_name='outbox')
    op.drop_index(op.f('ix_fhir_subscriptions_resource_type'), table_name='fhir_subscriptions')
    op.drop_table('fhir_subscriptions')
    with op.batch_alter_table('api_tokens') as batch:
        batch.drop_column('scopes')
