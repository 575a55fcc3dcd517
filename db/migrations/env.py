"""Alembic environment for the station's traceability database.

The station passes its own connection in ``config.attributes["connection"]`` (see
``station.store.migrations``). Run by hand (``alembic -c db/alembic.ini ...``), it connects to
``$STATION_DB`` or the ``sqlalchemy.url`` of the ini file.
"""

from __future__ import annotations

import os
from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import Connection

from station.store.connection import make_engine
from station.store.models import Base, HexDigest, UTCDateTime

config = context.config
target_metadata = Base.metadata
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    # Migrations must not depend on application types that may change later: UTCDateTime only
    # converts values in Python; its column is a timestamp, or an INTEGER on SQLite.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True).with_variant(sa.BigInteger(), 'sqlite')"
    if type_ == "type" and isinstance(obj, HexDigest):
        return "sa.LargeBinary(length=32)"
    return False


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most constraints: batch mode rebuilds the table instead.
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=os.environ.get("STATION_DB") or config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    url = os.environ.get("STATION_DB") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("set STATION_DB or sqlalchemy.url to the database to migrate")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            _migrate(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
