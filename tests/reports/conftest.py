from tests.store.conftest import db_url, engine, postgres_session_url, sqlite_template

__all__ = ["db_url", "engine", "postgres_session_url", "sqlite_template"]
