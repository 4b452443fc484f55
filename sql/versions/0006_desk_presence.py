"""doctor desk presence

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-29 18:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('doctors') as batch:
        batch.add_column(sa.Column('desk_open', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('desk_since', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('doctors') as batch:
        batch.drop_column('desk_since')
        batch.drop_column('desk_open')
