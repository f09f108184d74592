"""Counts a test's database calls, to explain the per-test figures (`--bench-count-db`).

Two levels. SQLAlchemy's events, the same on both engines: statements sent
(`before_cursor_execute`, savepoints included), transactions begun, committed and rolled back,
and pool checkouts. And the driver underneath, where the cost differs: aiosqlite runs every
call on a thread of its own (a hand-off there and a wake-up back per call, including the
transaction calls that SQLAlchemy sends no statement for), while asyncpg talks to the server
from the event loop's own thread, one round trip per execute, per simple query (BEGIN,
COMMIT, ROLLBACK) and per server-side prepare (when its statement cache misses).

Loaded only by the bench's counting run (benchmarks.timing_plugin), never by a timed one.
"""

from __future__ import annotations

import functools
import importlib
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

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
    result = {}
    if server:
        result["server_round_trips"] = server
    if counts.get("aiosqlite_thread_calls"):
        result["thread_hand_offs"] = counts["aiosqlite_thread_calls"] * 2  # there and back
    return result
