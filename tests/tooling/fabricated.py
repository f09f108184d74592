"""A bench result as `python -m benchmarks` saves it, made up for the tooling's tests."""

from __future__ import annotations

from typing import Any


def bench_result(**parts: Any) -> dict[str, Any]:
    """A saved result with nothing measured, `parts` replacing its top-level keys."""
    base: dict[str, Any] = {
        "created": "2026-01-01T00:00:00+00:00",
        "machine": {
            "cpus": 2,
            "platform": "test",
            "python": "3.11",
            "load_average": [1.0],
            "load_average_at_end": [1.0],
        },
        "options": {"with_slow": False},
        "elapsed_s": 1.0,
        "figures": {},
        "crossover": None,
        "slow_tests": None,
        "warnings": [],
    }
    return base | parts
