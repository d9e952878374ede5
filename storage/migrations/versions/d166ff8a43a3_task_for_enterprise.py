"""task.for_enterprise: the one enterprise a task is for (a user task's enterpriseCode)

Added on top of the initial schema so that databases already initialized upgrade in place.

Revision ID: d166ff8a43a3
Revises: ac3cb00d8158
Create Date: 2026-11-22 01:40:18.479598
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = 'd166ff8a43a3'
down_revision = 'ac3cb00d8158'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('for_enterprise', sa.String(length=18), nullable=True))
        batch_op.create_index('ix_task_inbox_for_enterprise', ['for_enterprise', 'state', 'due_at', 'id'], unique=False, postgresql_where=sa.text("state IN ('open', 'claimed')"), sqlite_where=sa.text("state IN ('open', 'claimed')"))


def downgrade() -> None:
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_inbox_for_enterprise', postgresql_where=sa.text("state IN ('open', 'claimed')"), sqlite_where=sa.text("state IN ('open', 'claimed')"))
        batch_op.drop_column('for_enterprise')

