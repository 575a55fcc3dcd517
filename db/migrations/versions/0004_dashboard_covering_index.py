"""dashboard covering index: the time index also holds station, socket, lot and recipe name

Every dashboard figure is a window of time, often filtered by station, socket, lot or recipe:
with those columns in the index it walks, no filter makes it read the wide attempt rows.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 18:52:54.355913

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
# Autogenerate renders JSONB as postgresql.JSONB(astext_type=Text()): Text must be importable.
from sqlalchemy import Text  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attempts_started_at'))
        batch_op.create_index('ix_attempts_started_at', ['started_at', 'outcome', 'attempt_no', 'pack_id', 'cycle_time_s', 'emulated', 'station_id', 'socket', 'lot', 'recipe_name'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_attempts_started_at')
        batch_op.create_index('ix_attempts_started_at', ['started_at', 'outcome', 'attempt_no', 'pack_id', 'cycle_time_s', 'emulated'], unique=False)
