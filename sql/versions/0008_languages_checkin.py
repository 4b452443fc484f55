"""people's languages and how a patient checked in

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 01:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('patients') as batch:
        batch.add_column(sa.Column('language', sa.String(16), nullable=False, server_default='en'))
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('language', sa.String(16), nullable=False, server_default='en'))
    with op.batch_alter_table('appointments') as batch:
        batch.add_column(sa.Column('checkin_method', sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('appointments') as batch:
        batch.drop_column('checkin_method')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('language')
    with op.batch_alter_table('patients') as batch:
        batch.drop_column('language')
