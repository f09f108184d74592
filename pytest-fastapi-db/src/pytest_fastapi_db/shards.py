"""Exact CI slices under shuffling: pytest-split slices a canonical order (the plugin registers it).

Why this exists. pytest-randomly shuffles in a `wrapper=True, tryfirst=True` hook of
`pytest_collection_modifyitems`, before the `yield`: that runs before every non-wrapper
implementation. pytest-split slices in a plain `trylast=True` implementation, so it slices the
*shuffled* list; its default algorithm (`duration_based_chunks`) cuts that list into contiguous
runs. Each CI slice is its own process with its own seed, so each cuts a different order: tests
run twice or never, silently.

The fix keeps both plugins and their algorithm. This module's hook is a plain wrapper (no
`tryfirst`): pluggy calls every `tryfirst` wrapper before it, whatever the registration order,
so it always sees pytest-randomly's shuffled list. Before the `yield` it sorts the items by node
id (an order every process agrees on, whatever its seed); the non-wrappers then run on it,
pytest-split's slicing among them; after the `yield` it puts the slice back in the shuffled
order. The slices depend only on the node ids and the durations file, and every slice still
runs shuffled. Without `--splits` it changes nothing. Both of pytest-split's algorithms are exact
this way: `duration_based_chunks` cuts the sorted list; `least_duration` (pytest.ini's choice)
sorts by name then duration, stably, so its ties fall back on this order too.

The marker comes from pluggy, which is what `pytest.hookimpl` is, and the types are the two
attributes used: the module is importable (and testable) without a pytest run.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, Protocol

from pluggy import HookimplMarker

hookimpl = HookimplMarker("pytest")


class Item(Protocol):
    """What the hook reads of a `pytest.Item`."""

    @property
    def nodeid(self) -> str: ...


class Config(Protocol):
    """What the hook reads of a `pytest.Config`: its parsed options (`--splits`)."""

    @property
    def option(self) -> Any: ...


@hookimpl(wrapper=True)
def pytest_collection_modifyitems(
    config: Config, items: list[Item]
) -> Generator[None, object, object]:
    """Slice on node-id order, then run the slice in the order pytest-randomly chose."""
    if not getattr(config.option, "splits", None):
        return (yield)
    shuffled = {item.nodeid: position for position, item in enumerate(items)}
    items.sort(key=lambda item: item.nodeid)
    result = yield
    items.sort(key=lambda item: shuffled.get(item.nodeid, len(shuffled)))
    return result
