"""The pytest plugin the bench loads where it needs one (`-p benchmarks.plugin`), never the suite.

`--bench-limit N` keeps N of the selected tests, evenly spread, so the crossover can shrink the
suite (pytest-repeat's `--count` grows it). `--bench-count-db` counts each test's database
calls into its report's user properties (pytest-reportlog writes them), to explain the
per-test figures. Two levels: SQLAlchemy's events, the same on both engines (statements sent,
savepoints included; transactions begun, committed, rolled back; pool checkouts), and the driver
underneath, where the cost differs: aiosqlite runs every call on a thread of its own (a hand-off
there and a wake-up back per call, transaction calls included), while asyncpg talks to the
server from the event loop's thread, one round trip per execute, per simple query (BEGIN,
COMMIT, ROLLBACK) and per server-side prepare (when its statement cache misses).
"""

from __future__ import annotations

import functools
import importlib
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import pytest

# (module, class, method, counter): the driver methods each call of which is counted.
DRIVER_CALLS = (
    ("aiosqlite.core", "Connection", "_execute", "aiosqlite_thread_calls"),
    (
        "asyncpg.prepared_stmt",
        "PreparedStatement",
        "_PreparedStatement__do_execute",
        "asyncpg_executes",
    ),
    ("asyncpg.connection", "Connection", "execute", "asyncpg_simple_queries"),
    ("asyncpg.connection", "Connection", "prepare", "asyncpg_prepares"),
)
SQLALCHEMY_EVENTS = (
    ("before_cursor_execute", "statements"),
    ("begin", "begins"),
    ("commit", "commits"),
    ("rollback", "rollbacks"),
)
counter_key = pytest.StashKey["DatabaseCalls"]()


class DatabaseCalls:
    """A running count of database calls; `take` returns what came since the last take."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def count(self, name: str) -> None:
        self.counts[name] += 1

    def take(self) -> dict[str, int]:
        taken = dict(self.counts)
        self.counts.clear()
        return taken

    def install(self) -> None:
        """Listen on every engine and pool, and wrap the drivers that are installed."""
        from sqlalchemy import event
        from sqlalchemy.engine import Engine
        from sqlalchemy.pool import Pool

        for event_name, counter in SQLALCHEMY_EVENTS:
            event.listen(Engine, event_name, self.listener(counter))
        event.listen(Pool, "checkout", self.listener("pool_checkouts"))
        for module_name, class_name, method, counter in DRIVER_CALLS:
            try:
                owner = getattr(importlib.import_module(module_name), class_name)
            except ImportError:
                continue  # that engine's driver is not installed: nothing of it to count
            setattr(owner, method, self.counting(getattr(owner, method), counter))

    def listener(self, name: str) -> Callable[..., None]:
        def listen(*_args: Any, **_kwargs: Any) -> None:
            self.count(name)

        return listen

    def counting(
        self, method: Callable[..., Awaitable[Any]], name: str
    ) -> Callable[..., Awaitable[Any]]:
        @functools.wraps(method)
        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.count(name)
            return await method(*args, **kwargs)

        return counted


def round_trips(counts: Mapping[str, float]) -> dict[str, float]:
    """The driver-level calls that each wait for the other side: the server, or a thread."""
    server = sum(
        counts.get(name, 0)
        for name in ("asyncpg_executes", "asyncpg_simple_queries", "asyncpg_prepares")
    )
    result = {"server_round_trips": server} if server else {}
    if counts.get("aiosqlite_thread_calls"):
        result["thread_hand_offs"] = counts["aiosqlite_thread_calls"] * 2  # there and back
    return result


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("bench", "the bench's plugin (benchmarks/plugin.py)")
    group.addoption(
        "--bench-limit",
        type=int,
        default=0,
        metavar="N",
        help="keep only N of the selected tests, evenly spread",
    )
    group.addoption(
        "--bench-count-db",
        action="store_true",
        help="record each test's database statements, transactions and driver calls",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--bench-count-db"):
        counter = DatabaseCalls()
        counter.install()
        config.stash[counter_key] = counter


@pytest.hookimpl(trylast=True)  # after -m/-k deselection
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    limit = config.getoption("--bench-limit")
    if not 0 < limit < len(items):
        return
    by_name = sorted(items, key=lambda item: item.nodeid)  # the same sample in every run
    chosen = {id(by_name[int(index * len(by_name) / limit)]) for index in range(limit)}
    config.hook.pytest_deselected(items=[item for item in items if id(item) not in chosen])
    items[:] = [item for item in items if id(item) in chosen]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Each phase's database calls, in its report (xdist sends reports, not items)."""
    report = yield
    counter = item.config.stash.get(counter_key, None)
    if counter is not None:
        report.user_properties.append(("db", counter.take()))
    return report
