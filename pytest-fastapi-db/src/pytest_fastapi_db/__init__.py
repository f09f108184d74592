"""pytest-fastapi-db: the database machinery of a FastAPI + SQLAlchemy test suite, as a plugin.

pytest loads it through its `pytest11` entry point (`pytest_fastapi_db.plugin`); a suite
configures it with `fastapi_db_*` ini keys (README, "Configuration").
"""

__version__ = "0.1.0"
