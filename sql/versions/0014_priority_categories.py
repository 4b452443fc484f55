"""priority categories and the one a patient was checked in with

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 01:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK = 'fk_appointments_priority_category_id_priority_categories'


def upgrade() -> None:
    op.create_table(
        'priority_categories',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(60), nullable=False),
        sa.Column('weight', sa.Integer(), nullable=False),
        sa.Column('max_wait_min', sa.Integer(), nullable=True),
        sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            'weight BETWEEN 1 AND 10', name=op.f('ck_priority_categories_weight_range')
        ),
        sa.CheckConstraint(
            'max_wait_min IS NULL OR max_wait_min BETWEEN 1 AND 720',
            name=op.f('ck_priority_categories_max_wait'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_priority_categories')),
        sa.UniqueConstraint('name', name=op.f('uq_priority_categories_name')),
    )
    # A plain ADD COLUMN: a batch copy of appointments would mangle its generated column on
    # SQLite, which takes the reference inline (MariaDB gets a named constraint).
    sqlite = op.get_bind().dialect.name == 'sqlite'
    op.add_column(
        'appointments',
        sa.Column(
            'priority_category_id',
            sa.Integer(),
            sa.ForeignKey('priority_categories.id', name=FK),
            nullable=True,
        ),
        inline_references=sqlite,
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table('appointments') as batch:
            batch.drop_column('priority_category_id')
    else:
        op.drop_constraint(FK, 'appointments', type_='foreignkey')
        op.drop_column('appointments', 'priority_category_id')
    op.drop_table('priority_categories')
