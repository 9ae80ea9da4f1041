"""Alembic environment: runs on the connection handed over by ``gateway.store.engine.upgrade_schema``."""

from __future__ import annotations

from alembic import context

from gateway.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run migrations through gateway.store.engine.upgrade_schema (clearing-gateway db upgrade)"
    )

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
