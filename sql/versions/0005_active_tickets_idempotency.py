"""one live ticket per patient per department-day; idempotency keys

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-29 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE_TICKET_SQL = (
    "CASE WHEN status IN ('waiting', 'called', 'in_consultation') THEN 1 END"
)


def upgrade() -> None:
    # Virtual: SQLite can add only a virtual generated column to an existing table, and
    # MariaDB indexes virtual columns too. Existing duplicates (if any) must be resolved first.
    op.add_column(
        'appointments',
        sa.Column(
            'active_ticket',
            sa.Integer(),
            sa.Computed(ACTIVE_TICKET_SQL, persisted=False),
            nullable=True,
        ),
    )
    op.create_index(
        'uq_appointments_active_ticket',
        'appointments',
        ['patient_id', 'department_id', 'day', 'active_ticket'],
        unique=True,
    )
    op.create_table(
        'idempotency_keys',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=100), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('status', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'],
            ['users.id'],
            name=op.f('fk_idempotency_keys_user_id_users'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('user_id', 'key', name=op.f('pk_idempotency_keys')),
    )
    op.create_index(
        op.f('ix_idempotency_keys_created_at'), 'idempotency_keys', ['created_at'], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_idempotency_keys_created_at'), table_name='idempotency_keys')
    op.drop_table('idempotency_keys')
    op.drop_index('uq_appointments_active_ticket', table_name='appointments')
    with op.batch_alter_table('appointments') as batch:
        batch.drop_column('active_ticket')
