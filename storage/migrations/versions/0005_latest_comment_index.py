"""an index for an activity's latest comment: activity_update (activity_id, id) where comment is not null
("mina aktiviteter" shows it; without the index the newest commented row is looked for past every press
without a comment)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 15:50:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_activity_update_commented', 'activity_update', ['activity_id', 'id'], unique=False,
                    sqlite_where=sa.text('comment IS NOT NULL'), postgresql_where=sa.text('comment IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_activity_update_commented', table_name='activity_update')
