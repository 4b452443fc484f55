"""weekly rotas: session templates, clinic closures, doctor leave

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 01:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'session_templates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('doctor_id', sa.Integer(), nullable=False),
        sa.Column('room_id', sa.Integer(), nullable=True),
        sa.Column('weekday', sa.Integer(), nullable=False),
        sa.Column('start_time', sa.Time(), nullable=False),
        sa.Column('end_time', sa.Time(), nullable=False),
        sa.Column('slot_minutes', sa.Integer(), nullable=False),
        sa.Column('capacity_per_slot', sa.Integer(), nullable=False),
        sa.Column('overbook_cap', sa.Integer(), nullable=False),
        sa.Column('valid_from', sa.Date(), nullable=False),
        sa.Column('valid_to', sa.Date(), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('weekday BETWEEN 0 AND 6', name=op.f('ck_session_templates_weekday')),
        sa.CheckConstraint('end_time > start_time', name=op.f('ck_session_templates_ends_after_start')),
        sa.CheckConstraint('slot_minutes BETWEEN 5 AND 240', name=op.f('ck_session_templates_slot_minutes')),
        sa.CheckConstraint('capacity_per_slot >= 1', name=op.f('ck_session_templates_capacity')),
        sa.CheckConstraint('overbook_cap >= 0', name=op.f('ck_session_templates_overbook_cap')),
        sa.ForeignKeyConstraint(['doctor_id'], ['doctors.id'], name=op.f('fk_session_templates_doctor_id_doctors')),
        sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_session_templates_room_id_rooms')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_session_templates')),
    )
    op.create_index(op.f('ix_session_templates_doctor_id'), 'session_templates', ['doctor_id'], unique=False)
    op.create_table(
        'clinic_closures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_clinic_closures_ends_after_start')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_clinic_closures')),
    )
    op.create_index(op.f('ix_clinic_closures_starts_on'), 'clinic_closures', ['starts_on'], unique=False)
    op.create_table(
        'doctor_leave',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('doctor_id', sa.Integer(), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_doctor_leave_ends_after_start')),
        sa.ForeignKeyConstraint(['doctor_id'], ['doctors.id'], name=op.f('fk_doctor_leave_doctor_id_doctors')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_doctor_leave')),
    )
    op.create_index(op.f('ix_doctor_leave_doctor_id'), 'doctor_leave', ['doctor_id'], unique=False)
    with op.batch_alter_table('doctor_sessions') as batch:
        batch.add_column(sa.Column('template_id', sa.Integer(), nullable=True))
        batch.create_index(batch.f('ix_doctor_sessions_template_id'), ['template_id'], unique=False)
        batch.create_foreign_key(
            batch.f('fk_doctor_sessions_template_id_session_templates'),
            'session_templates',
            ['template_id'],
            ['id'],
            ondelete='SET NULL',
        )


def downgrade() -> None:
    with op.batch_alter_table('doctor_sessions') as batch:
        batch.drop_constraint(batch.f('fk_doctor_sessions_template_id_session_templates'), type_='foreignkey')
        batch.drop_index(batch.f('ix_doctor_sessions_template_id'))
        batch.drop_column('template_id')
    op.drop_index(op.f('ix_doctor_leave_doctor_id'), table_name='doctor_leave')
    op.drop_table('doctor_leave')
    op.drop_index(op.f('ix_clinic_closures_starts_on'), table_name='clinic_closures')
    op.drop_table('clinic_closures')
    op.drop_index(op.f('ix_session_templates_doctor_id'), table_name='session_templates')
    op.drop_table('session_templates')
