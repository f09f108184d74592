"""Alembic's environment (env.py) and the revisions (versions/) that make the schema."""
