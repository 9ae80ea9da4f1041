"""Persistence: SQLAlchemy tables, the engine with its migrations, and the repositories."""

from gateway.store.engine import create_engine, open_store, upgrade_schema

__all__ = ["create_engine", "open_store", "upgrade_schema"]
