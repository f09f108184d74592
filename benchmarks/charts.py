"""SVG charts of a bench result, beside build/bench/latest.md, drawn from the saved result alone
(`--current FILE --charts` redraws them): `crossover.svg`, serial and `-n 2` wall against suite
size with line fits and the crossover; `per-test.svg`, how per-test times spread, naive vs
optimized, one panel per engine. matplotlib (the `bench` group) is imported only to draw.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

import pyperf

from benchmarks.core import WAYS
from benchmarks.report import machine, rows
from benchmarks.suite import MODES, describe_crossover, points

CROSSOVER = "crossover.svg"
PER_TEST = "per-test.svg"
COLOURS = {"serial": "#1f77b4", "parallel": "#d62728", "naive": "#d62728", "optimized": "#2ca02c"}
LABELS = {"serial": "serial", "parallel": "-n 2 --dist worksteal"}
# Fixed ids and no date in the SVG: redrawing the same result gives the same file.
SVG_SETTINGS = {"svg.hashsalt": "benchmarks", "font.size": 10}


class ChartError(Exception):
    """Charts cannot be drawn: matplotlib is missing, or the result has nothing to draw."""


def distributions(suite: pyperf.BenchmarkSuite) -> dict[str, dict[str, list[float]]]:
    return {
        row.engine: {way: [v * 1000 for v in b.get_values()] for way, b in row.ways.items()}
        for row in rows(suite)
        if row.definition.name == "per_test_ms"
    }


def write_charts(suite: pyperf.BenchmarkSuite, out_dir: Path, required: bool = False) -> list[Path]:
    """The charts the result has data for; ChartError without matplotlib, or `required` and none."""
    todo = {CROSSOVER: draw_crossover} if points(suite)[1] else {}
    todo |= {PER_TEST: draw_per_test} if distributions(suite) else {}
    if not todo and required:
        raise ChartError(
            "nothing to draw: no crossover points (measured with the suite figures and "
            "--crossover-max above 0) and no per_test_ms values"
        )
    if not todo:
        return []
    try:
        import matplotlib  # type: ignore[import-not-found,unused-ignore]
        from matplotlib.figure import Figure  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise ChartError(
            "matplotlib is not installed here: the `bench` dependency group has it "
            "(`python -m nox -s bench -- ...` installs it)"
        ) from None
    out_dir.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context(SVG_SETTINGS):
        for name, draw in todo.items():
            canvas = Figure(figsize=(7.5, 4.6), layout="constrained")
            draw(suite, canvas)
            canvas.savefig(out_dir / name, format="svg", metadata={"Date": None})
    return [out_dir / name for name in todo]


def draw_crossover(suite: pyperf.BenchmarkSuite, canvas: Any) -> None:
    """Serial and `-n 2` wall against suite size: the points, their line fits, the crossover."""
    engine, found = points(suite)
    described, axes, right = describe_crossover(found), canvas.subplots(), max(found) * 1.08
    for mode, marker in zip(MODES, "os", strict=True):
        walls, style = [point[mode] for point in found.values()], {"color": COLOURS[mode]}
        axes.plot(list(found), walls, marker, **style, label=f"{LABELS[mode]}, measured")
        if fit := described["fit"].get(mode):
            a, b = fit
            label = f"{LABELS[mode]}, fit: {a:.1f} s + {b * 1000:.1f} ms/test"
            axes.plot([0, right], [a, a + b * right], "--", **style, lw=1, label=label)
    if "tests" in described:
        at, wall = described["tests"], described["serial_s"]
        axes.axvline(at, color="0.4", linestyle=":", linewidth=1.2)
        text, offset = f"crossover: about {at:.0f} tests\n({wall:.1f} s serial)", (8, -30)
        arrow = {"arrowstyle": "->", "color": "0.4"}
        axes.annotate(text, (at, wall), offset, textcoords="offset points", arrowprops=arrow)
    axes.set(xlim=(0, right), ylim=(0, None), ylabel="wall time of the pytest run (s)")
    axes.set_xlabel("tests in the run (the suite without 'slow' tests, sampled or repeated)")
    axes.set_title(f"When does -n 2 pay? Serial vs parallel ({engine})\n{machine(suite)}")
    axes.grid(True, alpha=0.3)
    axes.legend(loc="upper left", fontsize=8)


def draw_per_test(suite: pyperf.BenchmarkSuite, canvas: Any) -> None:
    """Histograms of per-test time, naive vs optimized, one panel per engine, log-spaced bins."""
    kept = distributions(suite)
    canvas.set_figheight(1.2 + 2.6 * len(kept))
    panels = canvas.subplots(len(kept), 1, sharex=True, squeeze=False)[:, 0]
    every = [value for by_way in kept.values() for values in by_way.values() for value in values]
    low, high = min(every) * 0.9, max(every) * 1.1
    bins = [low * (high / low) ** (index / 60) for index in range(61)]
    for (engine, by_way), axes in zip(kept.items(), panels, strict=True):
        for way, values in ((way, by_way[way]) for way in WAYS if by_way.get(way)):
            median, colour = statistics.median(values), COLOURS[way]
            label = f"{way}: {len(values)} test runs, median {median:.3g} ms"
            axes.hist(values, bins, histtype="stepfilled", alpha=0.35, color=colour, label=label)
            axes.axvline(median, color=colour, linestyle="--", linewidth=1.2)
        axes.set(xscale="log", ylabel="tests", ylim=(0, axes.get_ylim()[1] * 1.4))  # legend room
        axes.set_title(engine, fontsize=9, loc="left")
        axes.grid(True, which="both", axis="x", alpha=0.25)
        axes.legend(loc="upper right", fontsize=8, title="dashed: median", title_fontsize=8)
    panels[-1].set_xlabel("setup + call + teardown per test (ms, log scale; every serial run)")
    canvas.suptitle(f"Per-test time, naive vs optimized\n{machine(suite)}", fontsize=10)
