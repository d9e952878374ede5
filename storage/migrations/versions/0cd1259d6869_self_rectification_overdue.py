"""project_self_rectification: the reminder and the district admin's decision on an overdue round

Revision ID: 0cd1259d6869
Revises: d166ff8a43a3
Create Date: 2026-11-22 01:47:25.589844
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

import storage.base


revision = '0cd1259d6869'
down_revision = 'd166ff8a43a3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('project_self_rectification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminded_at', storage.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('escalation', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('escalation_reasons', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('escalated_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('escalated_at', storage.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('project_self_rectification', schema=None) as batch_op:
        batch_op.drop_column('escalated_at')
        batch_op.drop_column('escalated_by')
        batch_op.drop_column('escalation_reasons')
        batch_op.drop_column('escalation')
        batch_op.drop_column('reminded_at')

