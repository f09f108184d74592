"""What a suite configures: each key does what it says, and a wrong one says how to fix it."""

from __future__ import annotations

import pytest
from support import INI, tiny_project

BASE = INI.replace("fastapi_db_app = tinyapp:app\n", "")
USES_THE_DATABASE = """
    def test_uses_it(database_url):
        assert database_url
"""


def usage_error(pytester: pytest.Pytester, ini: str, *args: str) -> str:
    tiny_project(pytester, ini, test_it=USES_THE_DATABASE)
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()
    return result.stderr.str()


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("fastapi_db_seed = tinyapp.seed", "write it as module.path:attribute"),
        ("fastapi_db_seed = nosuchmodule:seed", "cannot import nosuchmodule"),
        ("fastapi_db_seed = tinyapp:nothing", "tinyapp has no nothing"),
        ("fastapi_db_seed = tinyapp:Base.metadata", "not a callable"),
        ("fastapi_db_alembic_ini = missing.ini", "no such file"),
    ],
)
def test_a_bad_value_names_the_key_and_the_fix(pytester: pytest.Pytester, line: str, said: str):
    assert said in usage_error(pytester, INI + line + "\n")


def test_a_metadata_that_is_not_one_is_refused(pytester: pytest.Pytester):
    ini = INI.replace("tinyapp:Base.metadata", "tinyapp:Base")
    assert "not a MetaData (for a declarative base, name its `.metadata`)" in usage_error(
        pytester, ini
    )


def test_two_migration_sources_are_refused(pytester: pytest.Pytester):
    ini = INI + "fastapi_db_alembic_ini = a.ini\nfastapi_db_migrate = tinyapp:seed\n"
    assert "give one of them" in usage_error(pytester, ini)


def test_a_misspelled_engine_names_the_one_meant(pytester: pytest.Pytester):
    said = usage_error(pytester, INI, "--db=postgres")
    assert "unknown engine 'postgres' (did you mean postgresql?)" in said


def test_unconfigured_the_plugin_stays_out_of_the_way(pytester: pytest.Pytester):
    unconfigured = "\n".join(line for line in INI.splitlines() if "fastapi_db_" not in line)
    tiny_project(pytester, unconfigured, test_it=USES_THE_DATABASE)
    pytester.makepyfile(
        test_other="""
        import socket

        def test_plain():
            socket.getaddrinfo("localhost", 80)
    """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["pytest-fastapi-db: not configured*"])
    assert "add a schema source to the ini file" in result.stdout.str()


def test_no_app_says_the_line_to_add(pytester: pytest.Pytester):
    tiny_project(pytester, BASE, test_it="def test_app(app): pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    assert "fastapi_db_app = yourapp.main:app" in result.stdout.str()


def test_the_module_level_hasher_is_swapped_for_a_fast_one(pytester: pytest.Pytester):
    tiny_project(
        pytester,
        INI + "fastapi_db_hasher = tinyapp:password_hash\n",
        test_it="""
            import tinyapp

            async def test_fast(client):
                assert (await client.get("/hash/pw")).json().startswith("$fast-sha256$")

            def test_the_original_hashes_still_verify(fastapi_app):
                assert tinyapp.password_hash.verify("pw", tinyapp.password_hash.hash("pw"))
        """,
    )
    pytester.runpytest().assert_outcomes(passed=2)
    tiny_project(
        pytester,
        INI + "fastapi_db_hasher = tinyapp:password_hash\n",
        test_it="""
            async def test_real(client):
                assert (await client.get("/hash/pw")).json().startswith("$argon2")
        """,
    )
    pytester.runpytest("--real-password-hashing").assert_outcomes(passed=1)


def test_a_factory_gets_the_fast_hasher(pytester: pytest.Pytester):
    ini = (
        INI.replace("tinyapp:app", "tinyapp:create_app")
        + "fastapi_db_hasher_param = password_hash\n"
    )
    tiny_project(
        pytester,
        ini,
        test_it="""
            def test_factory(fastapi_app):
                assert fastapi_app.state.password_hash.hash("pw").startswith("$fast-sha256$")
        """,
    )
    pytester.runpytest().assert_outcomes(passed=1)
    ini = INI.replace("tinyapp:app", "tinyapp:create_app") + "fastapi_db_hasher_param = hasher\n"
    tiny_project(pytester, ini, test_it="def test_factory(fastapi_app): pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    assert "fastapi_db_hasher_param = hasher" in result.stdout.str()


def test_the_engine_factories_are_the_apps(pytester: pytest.Pytester):
    pytester.makepyfile(
        engines="""
        from sqlalchemy import create_engine
        from sqlalchemy.ext.asyncio import create_async_engine

        BUILT = []

        def build(url):
            BUILT.append(url)
            return create_async_engine(url)

        def build_sync(url):
            BUILT.append(url)
            return create_engine(url)
    """
    )
    ini = INI + "fastapi_db_engine = engines:build\nfastapi_db_sync_engine = engines:build_sync\n"
    tiny_project(
        pytester,
        ini,
        test_it="""
            import engines

            def test_built_by_the_app(async_engine, sync_engine):
                drivers = {url.split(":")[0] for url in engines.BUILT}
                assert drivers == {"sqlite", "sqlite+aiosqlite"}
        """,
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_database_tests_only_leaves_out_the_others(pytester: pytest.Pytester):
    tiny_project(
        pytester,
        INI + "fastapi_db_database_fixtures = world\n",
        test_it="""
            import pytest

            @pytest.fixture
            def world():
                return 1

            def test_no_database():
                pass

            def test_a_named_one(world):
                pass

            async def test_the_database(db_session):
                pass
        """,
    )
    result = pytester.runpytest("--database-tests-only")
    result.assert_outcomes(passed=2, deselected=1)


def test_factory_parameters_come_from_fixtures(pytester: pytest.Pytester):
    pytester.makepyfile(
        factory="""
        from fastapi import FastAPI

        def create_app(settings, password_hash=None, debug=False):
            app = FastAPI()
            app.state.settings = settings
            return app
        """
    )
    ini = (
        INI.replace("tinyapp:app", "factory:create_app")
        + "fastapi_db_hasher_param = password_hash\n"
    )
    tiny_project(
        pytester,
        ini,
        test_it="""
            import pytest

            @pytest.fixture(scope="session")
            def settings(run_dir):
                return {"folder": run_dir}

            def test_given(fastapi_app, run_dir, override, app):
                assert fastapi_app.state.settings == {"folder": run_dir}
                override(len, 1)
                assert len in app.dependency_overrides

            def test_an_empty_database(empty_database_url):
                assert empty_database_url.startswith("sqlite:///")
        """,
    )
    pytester.runpytest().assert_outcomes(passed=2)
    tiny_project(pytester, ini, test_it="def test_missing(fastapi_app): pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    assert "its parameter 'settings' has no default" in result.stdout.str()
