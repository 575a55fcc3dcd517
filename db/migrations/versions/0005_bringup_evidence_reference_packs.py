"""bring-up evidence and reference packs: the reference pack read to verify a gauge profile
(pack, firmware, data-flash image, export, who signed); a line's registered reference pack; and
each shift-start self-test with it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 21:02:01.526128

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
# Autogenerate renders JSONB as postgresql.JSONB(astext_type=Text()): Text must be importable.
from sqlalchemy import Text  # noqa: F401
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('pack_evidence',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True).with_variant(sa.BigInteger(), 'sqlite'), nullable=False),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.Column('station', sa.String(length=32), nullable=False),
    sa.Column('profile_id', sa.String(length=64), nullable=False),
    sa.Column('serial', sa.String(length=64), nullable=False),
    sa.Column('device_type', sa.Integer(), nullable=False),
    sa.Column('firmware', sa.String(length=16), nullable=False),
    sa.Column('image_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('image_sha256', sa.LargeBinary(length=32), nullable=False),
    sa.Column('export_name', sa.String(length=255), nullable=False),
    sa.Column('export_sha256', sa.LargeBinary(length=32), nullable=False),
    sa.Column('confirmed', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['image_id'], ['flash_images.id'], name=op.f('fk_pack_evidence_image_id_flash_images')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pack_evidence'))
    )
    with op.batch_alter_table('pack_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pack_evidence_profile_id'), ['profile_id'], unique=False)

    op.create_table('reference_packs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True).with_variant(sa.BigInteger(), 'sqlite'), nullable=False),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.Column('station', sa.String(length=32), nullable=False),
    sa.Column('serial', sa.String(length=64), nullable=False),
    sa.Column('device_type', sa.Integer(), nullable=False),
    sa.Column('firmware', sa.String(length=16), nullable=False),
    sa.Column('chem_id', sa.Integer(), nullable=False),
    sa.Column('image_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('image_sha256', sa.LargeBinary(length=32), nullable=False),
    sa.Column('readings', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['image_id'], ['flash_images.id'], name=op.f('fk_reference_packs_image_id_flash_images')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_packs'))
    )
    with op.batch_alter_table('reference_packs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reference_packs_station'), ['station'], unique=False)

    op.create_table('reference_checks',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True).with_variant(sa.BigInteger(), 'sqlite'), nullable=False),
    sa.Column('station', sa.String(length=32), nullable=False),
    sa.Column('socket', sa.String(length=16), nullable=False),
    sa.Column('operator', sa.String(length=64), nullable=False),
    sa.Column('reference_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['reference_id'], ['reference_packs.id'], name=op.f('fk_reference_checks_reference_id_reference_packs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_checks'))
    )
    with op.batch_alter_table('reference_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reference_checks_at'), ['at'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('reference_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reference_checks_at'))

    op.drop_table('reference_checks')
    with op.batch_alter_table('reference_packs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reference_packs_station'))

    op.drop_table('reference_packs')
    with op.batch_alter_table('pack_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pack_evidence_profile_id'))

    op.drop_table('pack_evidence')
