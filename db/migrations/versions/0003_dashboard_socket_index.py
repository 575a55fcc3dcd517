"""dashboard socket index: attempts by (station, socket, start time)

The dashboard's line view finds every socket by skipping through this index, one lookup per
socket, and reads each socket's latest attempt as the last entry of its range.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 17:48:55.639649

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
# Autogenerate renders JSONB as postgresql.JSONB(astext_type=Text()): Text must be importable.
from sqlalchemy import Text  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.create_index('ix_attempts_station_id_socket_started_at', ['station_id', 'socket', 'started_at'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_attempts_station_id_socket_started_at')
