"""Alembic migrations of the operator's records, applied by :func:`api.records.open_store`."""
