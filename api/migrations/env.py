"""Alembic environment, driven from code (no alembic.ini).

:func:`api.records.engine.upgrade_schema` passes an open connection in ``config.attributes`` so the
migration runs inside the store's own transaction, with the store's SQLite pragmas and BEGIN
IMMEDIATE. Offline (SQL script) mode is not supported: the records are always migrated live.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from api.records.schema import metadata

# Any constant: serialises concurrent migrations of one PostgreSQL database (e.g. two service starts).
MIGRATION_LOCK_ID = 4_2024_0004


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("migrations run from api.records.open_store, which passes a connection")
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline migrations are not supported; open the store to migrate it")
run_migrations_online()
