"""kiosk displays and late arrivals

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0010"
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("displays") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="board"))
    with op.batch_alter_table("appointments") as batch:
        batch.add_column(sa.Column("late_min", sa.Integer(), nullable=True))
    with op.batch_alter_table("patients") as batch:
        batch.create_index("ix_patients_date_of_birth", ["date_of_birth"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("patients") as batch:
        batch.drop_index("ix_patients_date_of_birth")
    with op.batch_alter_table("appointments") as batch:
        batch.drop_column("late_min")
    with op.batch_alter_table("displays") as batch:
        batch.drop_column("kind")
