"""calibration values: each pack's references with their instruments, raw averages, old and new
constants and residual errors after calibration (station trace shows them; station report gives
their distribution per lot).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 21:25:40.507104

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
# Autogenerate renders JSONB as postgresql.JSONB(astext_type=Text()): Text must be importable.
from sqlalchemy import Text  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('calibration_values',
    sa.Column('attempt_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('old_value', sa.Float(), nullable=True),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('tolerance', sa.Float(), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('instrument', sa.String(length=160), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.CheckConstraint("kind IN ('reference', 'raw', 'constant', 'residual')", name=op.f('ck_calibration_values_kind')),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_calibration_values_attempt_id_attempts')),
    sa.PrimaryKeyConstraint('attempt_id', 'seq', name=op.f('pk_calibration_values'))
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('calibration_values')
