"""The migrations (backend/migrations) and their API (backend/schema.py), on an empty database.

pytest-alembic's checks come first: one head, upgrade from empty to head, the models match
what the migrations make (a model change without its migration fails
`test_model_definitions_match_ddl`), and every revision goes down and up again. The rest is
what the app and the test fixtures rely on: `upgrade` commits, runs in one transaction, and
the tables hold what the models promise on every engine (8-byte ids, aware timestamps).

Every test gets its database from `empty_database_url` (tests/fixtures/migrations.py), so the
same tests run on any engine that fixture can make.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.util import CommandError
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from backend import schema
from backend.db import build_sync_engine
from backend.models import Base, User, Video
from backend.schema import (
    VERSION_TABLE,
    current_revision,
    downgrade,
    head_revision,
    script_directory,
    upgrade,
)


class TestPytestAlembic:
    """pytest-alembic's checks, called through the `alembic_checks` fixture."""

    def test_single_head_revision(self, alembic_checks, alembic_runner):
        alembic_checks.test_single_head_revision(alembic_runner)

    @pytest.mark.slow
    def test_upgrade(self, alembic_checks, alembic_runner):
        alembic_checks.test_upgrade(alembic_runner)

    @pytest.mark.slow
    def test_model_definitions_match_ddl(self, alembic_checks, alembic_runner):
        alembic_checks.test_model_definitions_match_ddl(alembic_runner)

    @pytest.mark.slow
    def test_up_down_consistency(self, alembic_checks, alembic_runner):
        alembic_checks.test_up_down_consistency(alembic_runner)


@pytest.fixture
def engine(alembic_engine: Engine) -> Engine:
    """A sync engine on the test's empty database (the one pytest-alembic's checks get)."""
    return alembic_engine


def app_tables(engine: Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {VERSION_TABLE}


def test_the_history_is_one_line_from_base_to_head():
    revisions = list(script_directory().walk_revisions())

    assert revisions[0].revision == head_revision()
    assert revisions[-1].down_revision is None
    assert all(script.is_head or script.nextrev for script in revisions)


def test_an_empty_database_is_at_no_revision(engine):
    with engine.connect() as connection:
        assert current_revision(connection) is None


@pytest.mark.slow
class TestUpgrade:
    def test_makes_every_table_of_the_models_and_commits(self, engine, empty_database_url):
        with engine.connect() as connection:
            upgrade(connection)
            assert not connection.in_transaction()

        # Another engine, another connection: what it sees was committed.
        other = build_sync_engine(empty_database_url)
        try:
            with other.connect() as connection:
                assert current_revision(connection) == head_revision()
            assert app_tables(other) == set(Base.metadata.tables)
        finally:
            other.dispose()

    def test_commits_the_transaction_the_connection_is_in(self, engine):
        with engine.connect() as connection:
            assert current_revision(connection) is None  # reading began a transaction
            assert connection.in_transaction()

            upgrade(connection)

            assert not connection.in_transaction()
        assert app_tables(engine) == set(Base.metadata.tables)

    def test_a_second_upgrade_changes_nothing(self, engine):
        with engine.connect() as connection:
            upgrade(connection)
            upgrade(connection)
            assert current_revision(connection) == head_revision()

    def test_a_failing_upgrade_leaves_the_database_as_it_was(self, engine):
        """All steps run in one transaction: no half-made schema."""
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE video (id INTEGER PRIMARY KEY)"))

        with engine.connect() as connection, pytest.raises(sa.exc.DBAPIError):
            upgrade(connection)

        assert app_tables(engine) == {"video"}
        assert VERSION_TABLE not in sa.inspect(engine).get_table_names()

    def test_downgrade_to_base_removes_every_table(self, engine):
        with engine.connect() as connection:
            upgrade(connection)
            downgrade(connection, "base")
            assert current_revision(connection) is None

        assert app_tables(engine) == set()

    def test_indexes_and_unique_constraints_are_the_models(self, engine):
        with engine.connect() as connection:
            upgrade(connection)
        inspector = sa.inspect(engine)

        for table in Base.metadata.sorted_tables:
            expected_indexes = {(index.name, index.unique) for index in table.indexes}
            found_indexes = {
                (found["name"], bool(found["unique"]))
                for found in inspector.get_indexes(table.name)
                # PostgreSQL lists the index behind each unique constraint too.
                if not found.get("duplicates_constraint")
            }
            assert expected_indexes == found_indexes, table.name
            expected_unique = {
                constraint.name
                for constraint in table.constraints
                if isinstance(constraint, sa.UniqueConstraint)
            }
            found_unique = {u["name"] for u in inspector.get_unique_constraints(table.name)}
            assert expected_unique == found_unique, table.name


@pytest.mark.slow
class TestWhatTheTablesHold:
    @pytest.fixture
    def session(self, engine):
        with engine.connect() as connection:
            upgrade(connection)
        with Session(engine) as session:
            yield session

    def owner(self, session: Session) -> User:
        user = User(email="owner@example.com", hashed_password="x")
        session.add(user)
        session.flush()
        return user

    def test_ids_up_to_the_largest_the_api_accepts(self, session):
        """PathId allows up to 2**63 - 1: a 4-byte INTEGER on PostgreSQL would not hold it."""
        owner = self.owner(session)
        for video_id in (2**40, 2**63 - 1):
            session.add(Video(id=video_id, owner_id=owner.id, title="t", language="es"))
        session.commit()
        session.expunge_all()

        assert session.scalars(sa.select(Video.id).order_by(Video.id)).all() == [2**40, 2**63 - 1]

    def test_sizes_over_4_gib(self, session):
        owner = self.owner(session)
        session.add(Video(owner_id=owner.id, title="t", language="es", size_bytes=5 * 2**30))
        session.commit()
        session.expunge_all()

        assert session.scalar(sa.select(Video.size_bytes)) == 5 * 2**30

    def test_timestamps_come_back_aware_in_utc_and_the_same_instant(self, session):
        owner = self.owner(session)
        madrid = datetime(2024, 7, 1, 14, 30, tzinfo=timezone(timedelta(hours=2)))
        session.add(Video(owner_id=owner.id, title="t", language="es", created_at=madrid))
        session.commit()
        session.expunge_all()

        stored = session.scalar(sa.select(Video.created_at))

        assert stored == madrid
        assert stored.utcoffset() == timedelta(0)

    def test_a_naive_timestamp_is_taken_as_utc(self, session):
        owner = self.owner(session)
        naive = datetime(2024, 7, 1, 12, 30)
        session.add(Video(owner_id=owner.id, title="t", language="es", created_at=naive))
        session.commit()
        session.expunge_all()

        assert session.scalar(sa.select(Video.created_at)) == naive.replace(tzinfo=UTC)


def test_env_py_refuses_what_it_cannot_migrate_on():
    """Code migrating on a connection of its own hands over the sync one (run_sync)."""
    config = schema.alembic_config()
    config.attributes["connection"] = object()

    with pytest.raises(CommandError, match="must be a sqlalchemy Connection or Engine"):
        command.upgrade(config, "head")
