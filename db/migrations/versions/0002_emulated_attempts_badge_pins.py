"""emulated attempts, badge PINs: runs on the emulator are marked (and the covering report index
carries the mark, so reports that leave them out stay index-only); supervisor and engineer badges
get a PIN, kept as an argon2 hash with the count of wrong PINs since the last right one.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05 17:47:43.315914

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
# Autogenerate renders JSONB as postgresql.JSONB(astext_type=Text()): Text must be importable.
from sqlalchemy import Text  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('badge_pins',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('pin_hash', sa.String(length=255), nullable=False),
    sa.Column('changed_by', sa.String(length=64), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True).with_variant(sa.BigInteger(), 'sqlite'), nullable=False),
    sa.Column('failures', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True).with_variant(sa.BigInteger(), 'sqlite'), nullable=True),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_badge_pins'))
    )
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('emulated', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.drop_index(batch_op.f('ix_attempts_started_at'))
        batch_op.create_index('ix_attempts_started_at', ['started_at', 'outcome', 'attempt_no', 'pack_id', 'cycle_time_s', 'emulated'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_attempts_started_at')
        batch_op.create_index(batch_op.f('ix_attempts_started_at'), ['started_at', 'outcome', 'attempt_no', 'pack_id', 'cycle_time_s'], unique=False)
        batch_op.drop_column('emulated')

    op.drop_table('badge_pins')
