"""A tiny FastAPI + SQLAlchemy project the plugin's tests run pytest on, in-process (pytester)
or as a child process (to interrupt or kill it): not the backend of this repository.

`TINY_APP` is an async app with one table and a session dependency; `INI` configures the
plugin for it. A child run gets a TMPDIR of its own, so the run directory it makes (and
whatever it leaves) is seen apart from every other run's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pytest_fastapi_db.run_dirs import RUN_DIR_PREFIX, RUN_VARIABLES

# How long a child run may take: a whole pytest start-up (and on PostgreSQL a server's) on a
# loaded 2-core machine. The limit only decides how long a stuck child takes to fail its test.
CHILD_TIMEOUT = 150
CHILD_RUN_TEST_TIMEOUT = pytest.mark.timeout(2 * CHILD_TIMEOUT + 60)
# Set by the run this test is part of; a child must start as a run of its own (and on the
# server it picks, not one the environment names).
INHERITED = (*RUN_VARIABLES, "FASTAPI_DB_URL")

TINY_APP = '''
from __future__ import annotations

import os
from collections.abc import AsyncIterator

from fastapi import Depends, FastAPI
from pwdlib import PasswordHash
from sqlalchemy import String, func, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


async def get_session() -> AsyncIterator[AsyncSession]:
    engine = create_async_engine(os.environ["TINY_DATABASE_URL"])
    async with AsyncSession(engine) as session:
        yield session
    await engine.dispose()


def seed(connection) -> None:
    connection.execute(Item.__table__.insert().values(name="seeded"))


# A module-level hasher, as many apps have (ini `fastapi_db_hasher` swaps it).
password_hash = PasswordHash.recommended()
app = FastAPI()


def create_app(password_hash: PasswordHash | None = None) -> FastAPI:
    """A factory, as other apps have (ini `fastapi_db_hasher_param` hands it the hasher)."""
    made = FastAPI()
    made.state.password_hash = password_hash
    return made


@app.get("/hash/{password}")
def hashed(password: str) -> str:
    return password_hash.hash(password)  # looked up when called: a swap reaches it


@app.post("/items/{name}")
async def add(name: str, session: AsyncSession = Depends(get_session)) -> dict[str, int]:
    session.add(Item(name=name))
    await session.commit()
    return {"count": await session.scalar(select(func.count()).select_from(Item)) or 0}


@app.get("/items")
async def names(session: AsyncSession = Depends(get_session)) -> list[str]:
    return list(await session.scalars(select(Item.name).order_by(Item.id)))
'''

INI = """
[pytest]
pythonpath = .
addopts = -p no:randomly -p no:cacheprovider -p no:pytest_alembic -p no:pytest_postgresql
filterwarnings = error
asyncio_mode = auto
asyncio_default_fixture_loop_scope = session
asyncio_default_test_loop_scope = session
fastapi_db_app = tinyapp:app
fastapi_db_session_dependency = tinyapp:get_session
fastapi_db_metadata = tinyapp:Base.metadata
"""


def tiny_project(pytester: pytest.Pytester, ini: str = INI, **tests: str) -> None:
    """The tiny app, its ini file and `tests` (name -> source) in pytester's folder."""
    pytester.makepyfile(
        tinyapp=TINY_APP, **{name: textwrap.dedent(source) for name, source in tests.items()}
    )
    pytester.makeini(ini)


def write_project(folder: Path, tests: str, ini: str = INI, name: str = "test_tiny.py") -> Path:
    """The tiny project in `folder`, for a child run; returns the test file's path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tinyapp.py").write_text(TINY_APP)
    (folder / "pytest.ini").write_text(textwrap.dedent(ini))
    path = folder / name
    path.write_text(textwrap.dedent(tests))
    return path


def child_env(tmpdir: Path, **extra: str) -> dict[str, str]:
    """The environment of a child run: its own TMPDIR, none of this run's markers."""
    tmpdir.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if key not in INHERITED}
    env.update(TMPDIR=str(tmpdir), **extra)
    return env


def pytest_command(tests: Path, *args: str | Path) -> list[str]:
    """pytest on the tiny project that holds `tests`."""
    return [sys.executable, "-m", "pytest", "-c", str(tests.parent / "pytest.ini"),
            "--rootdir", str(tests.parent), str(tests), *map(str, args)]  # fmt: skip


def run_captured(
    command: list[str], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """A child process to its end (CHILD_TIMEOUT at most), its output captured; without `env`,
    it inherits this process's environment."""
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT,
                          check=False)  # fmt: skip


def run_pytest(
    tests: Path, *args: str | Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """A child run to its end, its output captured."""
    return run_captured(pytest_command(tests, *args), env)


def run_project(
    root: Path, tests: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The tiny project with `tests` in `root`/suite, run in a child to its end; the child's
    TMPDIR is `root`/tmp unless `env` says otherwise."""
    path = write_project(root / "suite", tests)
    return run_pytest(path, *args, env=env if env is not None else child_env(root / "tmp"))


def run_dirs(tmpdir: Path, pid: int | None = None) -> list[Path]:
    """Run directories in `tmpdir`, of the run whose controller had `pid` if given."""
    prefix = f"{RUN_DIR_PREFIX}{pid}-" if pid is not None else RUN_DIR_PREFIX
    return sorted(tmpdir.glob(f"{prefix}*"))


def postgres_processes(folder: Path) -> list[int]:
    """Pids of PostgreSQL processes whose command line names a path inside `folder`."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if (proc / "comm").read_text().strip() != "postgres":
                continue
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # ended while we looked
        if str(folder) in command:
            found.append(int(proc.name))
    return found
