"""initial schema: packs, attempts, steps, measurements, images, parameter changes, recipes,
audit, labels and serial claims (generated from station.store.models, then reviewed).

Steps, measurements and image links are clustered on their primary key on SQLite (WITHOUT
ROWID): the key is their only index. Parameter changes are one compressed row per attempt; a set
of touched data-flash blocks is one image. Timestamps are INTEGER microseconds on SQLite.

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 23:08:37.714715

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
# Autogenerate renders JSONB as postgresql.JSONB(astext_type=Text()): Text must be importable.
from sqlalchemy import Text  # noqa: F401
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True).with_variant(sa.BigInteger(), 'sqlite'), nullable=False),
    sa.Column('who', sa.String(length=64), nullable=False),
    sa.Column('station', sa.String(length=32), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('subject', sa.String(length=128), nullable=False),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_subject'), ['subject'], unique=False)

    op.create_table('flash_images',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sha256', sa.LargeBinary(length=32), nullable=False),
    sa.Column('start_address', sa.Integer(), nullable=False),
    sa.Column('length', sa.Integer(), nullable=False),
    sa.Column('sparse', sa.Boolean(), nullable=False),
    sa.Column('base_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('compressed', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['base_id'], ['flash_images.id'], name=op.f('fk_flash_images_base_id_flash_images')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flash_images')),
    sa.UniqueConstraint('sha256', 'start_address', 'sparse', name=op.f('uq_flash_images_sha256_start_address_sparse'))
    )
    op.create_table('packs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('serial', sa.String(length=64), nullable=False),
    sa.Column('first_seen', sa.DateTime(timezone=True).with_variant(sa.BigInteger(), 'sqlite'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_packs')),
    sa.UniqueConstraint('serial', name=op.f('uq_packs_serial'))
    )
    op.create_table('released_recipes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('hash', sa.String(length=80), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('released_by', sa.String(length=64), nullable=False),
    sa.Column('released_at', sa.DateTime(timezone=True).with_variant(sa.BigInteger(), 'sqlite'), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_released_recipes')),
    sa.UniqueConstraint('hash', name=op.f('uq_released_recipes_hash')),
    sa.UniqueConstraint('name', 'version', name=op.f('uq_released_recipes_name_version'))
    )
    op.create_table('attempts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('pack_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('attempt_no', sa.Integer(), nullable=False),
    sa.Column('station_id', sa.String(length=32), nullable=False),
    sa.Column('socket', sa.String(length=16), nullable=False),
    sa.Column('operator', sa.String(length=64), nullable=False),
    sa.Column('work_order', sa.String(length=64), nullable=False),
    sa.Column('lot', sa.String(length=64), nullable=False),
    sa.Column('recipe_name', sa.String(length=128), nullable=False),
    sa.Column('recipe_version', sa.String(length=32), nullable=False),
    sa.Column('recipe_hash', sa.String(length=80), nullable=False),
    sa.Column('software_version', sa.String(length=64), nullable=False),
    sa.Column('key_set_id', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True).with_variant(sa.BigInteger(), 'sqlite'), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True).with_variant(sa.BigInteger(), 'sqlite'), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('failure_code', sa.String(length=48), nullable=True),
    sa.Column('failing_step', sa.String(length=128), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('rework_of', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('rework_authorised_by', sa.String(length=64), nullable=True),
    sa.Column('rework_authorisation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('cycle_time_s', sa.Float(), nullable=True),
    sa.Column('label_state', sa.String(length=16), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.CheckConstraint("label_state IN ('NOT_PRINTED', 'PRINTED', 'FAILED')", name=op.f('ck_attempts_label_state')),
    sa.CheckConstraint("outcome IN ('RUNNING', 'PASS', 'FAIL', 'ERROR', 'ABORTED', 'INTERRUPTED')", name=op.f('ck_attempts_outcome')),
    sa.ForeignKeyConstraint(['pack_id'], ['packs.id'], name=op.f('fk_attempts_pack_id_packs')),
    sa.ForeignKeyConstraint(['rework_authorisation_id'], ['audit_log.id'], name=op.f('fk_attempts_rework_authorisation_id_audit_log')),
    sa.ForeignKeyConstraint(['rework_of'], ['attempts.id'], name=op.f('fk_attempts_rework_of_attempts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attempts')),
    sa.UniqueConstraint('pack_id', 'attempt_no', name=op.f('uq_attempts_pack_id_attempt_no')),
    sa.UniqueConstraint('rework_authorisation_id', name=op.f('uq_attempts_rework_authorisation_id'))
    )
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.create_index('ix_attempts_cycle_time_s', ['cycle_time_s'], unique=False)
        batch_op.create_index('ix_attempts_lot_started_at', ['lot', 'started_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_attempts_outcome'), ['outcome'], unique=False)
        batch_op.create_index(batch_op.f('ix_attempts_recipe_hash'), ['recipe_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_attempts_recipe_name'), ['recipe_name'], unique=False)
        batch_op.create_index('ix_attempts_started_at', ['started_at', 'outcome', 'attempt_no', 'pack_id', 'cycle_time_s'], unique=False)
        batch_op.create_index('ix_attempts_station_id_started_at', ['station_id', 'started_at'], unique=False)

    op.create_table('attempt_images',
    sa.Column('attempt_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('image_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.CheckConstraint("role IN ('BEFORE', 'AFTER', 'BEFORE_PART', 'AFTER_PART')", name=op.f('ck_attempt_images_role')),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_attempt_images_attempt_id_attempts')),
    sa.ForeignKeyConstraint(['image_id'], ['flash_images.id'], name=op.f('fk_attempt_images_image_id_flash_images')),
    sa.PrimaryKeyConstraint('attempt_id', 'role', 'image_id', name=op.f('pk_attempt_images')),
    sqlite_with_rowid=False
    )
    op.create_table('labels',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('attempt_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('printed_at', sa.DateTime(timezone=True).with_variant(sa.BigInteger(), 'sqlite'), nullable=False),
    sa.Column('printer', sa.String(length=128), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('reprint_reason', sa.Text(), nullable=True),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.CheckConstraint("outcome IN ('PRINTED', 'FAILED')", name=op.f('ck_labels_outcome')),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_labels_attempt_id_attempts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_labels'))
    )
    with op.batch_alter_table('labels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_labels_attempt_id'), ['attempt_id'], unique=False)

    op.create_table('parameter_changes',
    sa.Column('attempt_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('compressed', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_parameter_changes_attempt_id_attempts')),
    sa.PrimaryKeyConstraint('attempt_id', name=op.f('pk_parameter_changes'))
    )
    op.create_table('serial_claims',
    sa.Column('serial', sa.String(length=64), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('attempt_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('station', sa.String(length=32), nullable=False),
    sa.Column('socket', sa.String(length=16), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True).with_variant(sa.BigInteger(), 'sqlite'), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True).with_variant(sa.BigInteger(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_serial_claims_attempt_id_attempts')),
    sa.PrimaryKeyConstraint('serial', name=op.f('pk_serial_claims'))
    )
    op.create_table('steps',
    sa.Column('attempt_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True).with_variant(sa.BigInteger(), 'sqlite'), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True).with_variant(sa.BigInteger(), 'sqlite'), nullable=False),
    sa.Column('duration_s', sa.Float(), nullable=False),
    sa.Column('failure_code', sa.String(length=48), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.CheckConstraint("outcome IN ('PASS', 'FAIL', 'ERROR', 'SKIPPED', 'ABORTED')", name=op.f('ck_steps_outcome')),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_steps_attempt_id_attempts')),
    sa.PrimaryKeyConstraint('attempt_id', 'ordinal', name=op.f('pk_steps')),
    sqlite_with_rowid=False
    )
    op.create_table('measurements',
    sa.Column('attempt_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('step_ordinal', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('text_value', sa.Text(), nullable=True),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('low_limit', sa.Float(), nullable=True),
    sa.Column('high_limit', sa.Float(), nullable=True),
    sa.Column('outcome', sa.String(length=8), nullable=False),
    sa.CheckConstraint("outcome IN ('PASS', 'FAIL', 'INFO')", name=op.f('ck_measurements_outcome')),
    sa.ForeignKeyConstraint(['attempt_id', 'step_ordinal'], ['steps.attempt_id', 'steps.ordinal'], name=op.f('fk_measurements_attempt_id_steps')),
    sa.PrimaryKeyConstraint('attempt_id', 'step_ordinal', 'seq', name=op.f('pk_measurements')),
    sqlite_with_rowid=False
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('measurements')
    op.drop_table('steps')
    op.drop_table('serial_claims')
    op.drop_table('parameter_changes')
    with op.batch_alter_table('labels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_labels_attempt_id'))

    op.drop_table('labels')
    op.drop_table('attempt_images')
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_attempts_station_id_started_at')
        batch_op.drop_index('ix_attempts_started_at')
        batch_op.drop_index(batch_op.f('ix_attempts_recipe_name'))
        batch_op.drop_index(batch_op.f('ix_attempts_recipe_hash'))
        batch_op.drop_index(batch_op.f('ix_attempts_outcome'))
        batch_op.drop_index('ix_attempts_lot_started_at')
        batch_op.drop_index('ix_attempts_cycle_time_s')

    op.drop_table('attempts')
    op.drop_table('released_recipes')
    op.drop_table('packs')
    op.drop_table('flash_images')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_subject'))
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))
        batch_op.drop_index(batch_op.f('ix_audit_log_action'))

    op.drop_table('audit_log')
