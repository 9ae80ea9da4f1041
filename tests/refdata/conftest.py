from tests.store.conftest import db_url, engine

__all__ = ["db_url", "engine"]
