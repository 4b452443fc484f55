"""queue versions and plans

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 06:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'queue_plans',
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('plan_version', sa.Integer(), nullable=True),
        sa.Column('plan', sa.JSON(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_queue_plans_department_id_departments')),
        sa.PrimaryKeyConstraint('department_id', 'day', name=op.f('pk_queue_plans')),
    )


def downgrade() -> None:
    op.drop_table('queue_plans')
