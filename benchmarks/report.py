"""The bench's result: a JSON document (build/bench/latest.json) and its markdown table."""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC, datetime
from typing import Any

from benchmarks.core import split_key

SCHEMA = 1


def machine() -> dict[str, Any]:
    """What the numbers were measured on; the load average tells how busy the machine was."""
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "load_average": [round(value, 2) for value in os.getloadavg()],
    }


def document(
    figures: dict[str, dict[str, Any]],
    *,
    options: dict[str, Any],
    started: dict[str, Any],
    elapsed_s: float,
    crossover: dict[str, Any] | None,
    slow_tests: list[dict[str, Any]] | None,
    warnings: list[str],
    failed_runs: list[str] | None = None,
    per_test_distribution: dict[str, dict[str, list[float]]] | None = None,
) -> dict[str, Any]:
    """The result; `per_test_distribution` (engine -> way -> ms per test) feeds the charts."""
    return {
        "schema": SCHEMA,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {**started, "load_average_at_end": machine()["load_average"]},
        "options": options,
        "elapsed_s": round(elapsed_s, 1),
        "figures": figures,
        "crossover": crossover,
        "slow_tests": slow_tests,
        "warnings": warnings,
        # Pytest runs that did not pass; the figures they fed carry them too (`failed_runs`).
        "failed_runs": failed_runs or [],
        "per_test_distribution": per_test_distribution,
    }


def number(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def cell(figure: dict[str, Any], way: str) -> str:
    median = figure.get(way)
    if median is None:
        return "-"
    low, high = figure.get(f"{way}_min"), figure.get(f"{way}_max")
    rounds = figure["naive_rounds" if way == "naive" else "rounds"]
    spread = f" ({number(low)}-{number(high)})" if rounds > 1 else ""
    return f"{number(median)} {figure['unit']}{spread}"


def verdict(met: bool | None, failed_runs: list[str] | None = None) -> str:
    if failed_runs:
        return f"**FAILED RUN** ({len(failed_runs)})"
    return {True: "met", False: "**missed**", None: "shown"}[met]


def markdown(result: dict[str, Any]) -> str:
    figures = result["figures"]
    host = result["machine"]
    lines = [
        "## Bench results",
        "",
        f"{result['created']}, {host['cpus']} CPUs, {host['platform']}, Python {host['python']}, "
        f"load average {host['load_average'][0]} at start and "
        f"{host['load_average_at_end'][0]} at end; bench took {result['elapsed_s']:.0f} s.",
        "Medians over rounds, (min-max) when there was more than one round; ratio = naive / "
        "optimized, measured side by side in this run.",
        "",
        "| figure | engine | naive | optimized | ratio | target | |",
        "| --- | --- | ---: | ---: | ---: | --- | --- |",
    ]
    for key, figure in figures.items():
        ratio = f"{number(figure['ratio'])}x" if figure.get("ratio") else "-"
        name, engine = split_key(key)
        lines.append(
            f"| `{name}` | {engine} | {cell(figure, 'naive')} | {cell(figure, 'optimized')} "
            f"| {ratio} | {figure['target']} "
            f"| {verdict(figure.get('met'), figure.get('failed_runs'))} |"
        )
    lines += ["", "### How each figure is measured, and details", ""]
    for key, figure in figures.items():
        lines.append(
            f"- `{key}`: {figure['how']}; rounds {figure['rounds']} "
            f"(naive {figure['naive_rounds']})."
        )
        for name, value in figure.get("extra", {}).items():
            lines.append(f"  - {name}: {describe(value)}")
        for note in figure.get("notes", []):
            lines.append(f"  - note: {note}")
        for failure in figure.get("failed_runs", []):
            lines.append(f"  - **timed on a failing run**: {failure}")
    crossover = result.get("crossover")
    if crossover:
        engine = crossover.get("engine", "sqlite")
        lines += ["", f"### Parallel crossover (`-n 2 --dist worksteal` vs serial, {engine})", ""]
        lines += ["| tests | serial s | -n 2 s |", "| ---: | ---: | ---: |"]
        for point in crossover["points"]:
            serial, parallel = number(point["serial_s"]), number(point["parallel_s"])
            lines.append(f"| {point['tests']:.0f} | {serial} | {parallel} |")
        lines += ["", crossover.get("summary", "")]
        if "fit" in crossover:
            fit = crossover["fit"]
            lines.append(
                f"Line fit: serial {fit['serial_s']}, -n 2 {fit['parallel_s']}"
                + (
                    f"; lines cross at {fit['crossover_tests']} tests "
                    f"({fit['crossover_serial_s']} s serial)."
                    if "crossover_tests" in fit
                    else "."
                )
            )
    slow = result.get("slow_tests")
    if slow is not None:
        lines += ["", "### Tests over 100 ms (optimized, serial, median)", ""]
        if not result["options"].get("with_slow"):
            lines += [
                "Tests marked slow were left out of the suite runs; `--with-slow` times them too.",
                "",
            ]
        if not slow:
            lines.append("None.")
        for row in slow:
            mark = "marked slow" if row["marked_slow"] else "**not marked slow**"
            lines.append(f"- {row['ms']:.0f} ms `{row['nodeid']}` ({mark})")
    if result.get("failed_runs"):
        lines += [
            "",
            "### Failed pytest runs",
            "",
            "These runs did not pass; the figures they fed are flagged **FAILED RUN** above and "
            "are not to be trusted (a failing test is cut short, so its time is not the test's).",
            "",
        ]
        lines += [f"- {failure}" for failure in result["failed_runs"]]
    if result["warnings"]:
        lines += ["", "### Warnings", ""]
        lines += [f"- {warning}" for warning in result["warnings"]]
    return "\n".join(lines) + "\n"


def describe(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(describe(each) for each in value)
    if isinstance(value, dict):
        return " ".join(f"{k}={describe(v)}" for k, v in value.items())
    if isinstance(value, float):
        return number(value)
    return str(value)
