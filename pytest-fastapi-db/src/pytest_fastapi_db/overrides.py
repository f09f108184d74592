"""Dependency overrides a test puts in, importable from a conftest (no fixtures here)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
# What the `override` fixture gives: `override(dependency, value)`.
Override = Callable[[Callable[..., Any], object], None]


def returning(value: T) -> Callable[[], Coroutine[Any, Any, T]]:
    """An override that hands out `value`. Not a lambda: FastAPI runs a plain `def` dependency
    in a worker thread on every request."""

    async def provide() -> T:
        return value

    return provide
