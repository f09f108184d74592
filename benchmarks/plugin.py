"""The pytest plugin the bench loads where it needs one (`-p benchmarks.plugin`), never the suite.

`--bench-limit N` keeps N tests, evenly spread (the crossover's smaller sizes). `--bench-count-db`
puts each test's database calls into its report (pytest-reportlog writes them): SQLAlchemy's
events, the same on both engines, and the driver's calls, where the cost differs: aiosqlite
hands each to its thread and back, asyncpg makes a server round trip per execute and prepare.
"""

from __future__ import annotations

import functools
import importlib
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import pytest

DRIVER_CALLS = {  # "module:Class.method": the counter of its calls
    "aiosqlite.core:Connection._execute": "aiosqlite_thread_calls",
    "asyncpg.prepared_stmt:PreparedStatement._PreparedStatement__do_execute": "asyncpg_executes",
    "asyncpg.connection:Connection.execute": "asyncpg_simple_queries",
    "asyncpg.connection:Connection.prepare": "asyncpg_prepares",
}
ENGINE_EVENTS = dict(before_cursor_execute="statements", begin="begins", commit="commits")
ENGINE_EVENTS |= dict(rollback="rollbacks", checkout="pool_checkouts")  # checkout: a Pool's
COUNTS: Counter[str] = Counter()  # since the last report


def counting(method: Callable[..., Awaitable[Any]], name: str) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(method)
    async def counted(*args: Any, **kwargs: Any) -> Any:
        COUNTS[name] += 1
        return await method(*args, **kwargs)

    return counted


def install() -> None:
    """Listen on every engine and pool, and wrap the drivers that are installed."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.pool import Pool

    def listener(counter: str) -> Callable[..., None]:
        return lambda *_args, **_kwargs: COUNTS.update([counter])

    for name, counter in ENGINE_EVENTS.items():
        event.listen(Pool if name == "checkout" else Engine, name, listener(counter))
    for path, counter in DRIVER_CALLS.items():
        module_name, _, attribute = path.partition(":")
        class_name, _, method = attribute.partition(".")
        try:
            owner = getattr(importlib.import_module(module_name), class_name)
        except ImportError:
            continue  # that engine's driver is not installed: nothing of it to count
        setattr(owner, method, counting(getattr(owner, method), counter))


def round_trips(counts: Mapping[str, float]) -> dict[str, float]:
    """The driver-level calls that each wait for the other side: the server, or a thread."""
    server = sum(calls for name, calls in counts.items() if name.startswith("asyncpg_"))
    result = {"server_round_trips": server} if server else {}
    if counts.get("aiosqlite_thread_calls"):
        result["thread_hand_offs"] = counts["aiosqlite_thread_calls"] * 2  # there and back
    return result


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("bench", "the bench's plugin (benchmarks/plugin.py)")
    group.addoption("--bench-limit", type=int, default=0, help="keep N tests, evenly spread")
    group.addoption("--bench-count-db", action="store_true", help="count database calls")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--bench-count-db"):
        install()


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
    if item.config.getoption("--bench-count-db"):
        report.user_properties.append(("db", dict(COUNTS)))
        COUNTS.clear()
    return report
