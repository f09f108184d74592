"""SVG charts of a bench result, beside build/bench/latest.md: the crossover and per-test times.

`crossover.svg`: serial and `-n 2` wall time against suite size, the measured points, their line
fits and where `-n 2` starts to win. `per-test.svg`: how per-test times spread, naive vs
optimized, one panel per engine, on a log axis. Both are drawn from the saved result alone, so
`--current FILE --charts` redraws them without measuring. matplotlib (the `bench` group) is
imported only to draw, with the Agg backend and no pyplot.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyperf

from benchmarks.core import ENGINES, WAYS
from benchmarks.report import machine, rows
from benchmarks.suite import MODES, describe_crossover, points

# The ignores: `nox -s typecheck` has no matplotlib (it is the bench's), where these are Any.
if TYPE_CHECKING:
    from matplotlib.figure import Figure as Canvas  # type: ignore[import-not-found,unused-ignore]

CROSSOVER = "crossover.svg"
PER_TEST = "per-test.svg"
COLOURS = {"serial": "#1f77b4", "parallel": "#d62728", "naive": "#d62728", "optimized": "#2ca02c"}
# Fixed ids and no date in the SVG: redrawing the same result gives the same file.
SVG_SETTINGS = {"svg.hashsalt": "benchmarks", "font.size": 10}


class ChartError(Exception):
    """Charts cannot be drawn: matplotlib is missing, or the result has nothing to draw."""


def crossover_data(suite: pyperf.BenchmarkSuite) -> tuple[str, dict[int, dict[str, float]]]:
    """The engine the crossover was measured on, and its sizes (none: an empty dict)."""
    found = [(engine, sizes) for engine in ENGINES if (sizes := points(suite, engine))]
    return found[0] if found else ("", {})


def distributions(suite: pyperf.BenchmarkSuite) -> dict[str, dict[str, list[float]]]:
    """Per engine, each way's per-test times in ms: every value of per_test_ms's runs."""
    return {
        row.engine: {way: [v * 1000 for v in b.get_values()] for way, b in row.ways.items()}
        for row in rows(suite)
        if row.definition.name == "per_test_ms"
    }


def write_charts(suite: pyperf.BenchmarkSuite, out_dir: Path, required: bool = False) -> list[Path]:
    """Draw every chart the result has data for; ChartError without matplotlib, or when
    `required` and there is nothing to draw."""
    todo = {CROSSOVER: draw_crossover, PER_TEST: draw_per_test}
    if not crossover_data(suite)[1]:
        del todo[CROSSOVER]
    if not distributions(suite):
        del todo[PER_TEST]
    if not todo:
        if required:
            raise ChartError(
                "nothing to draw: no crossover points (measured with the suite "
                "figures and --crossover-max above 0) and no per_test_ms values"
            )
        return []
    try:
        import matplotlib  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise ChartError(
            "matplotlib is not installed here: the `bench` dependency group has it "
            "(`python -m nox -s bench -- ...` installs it)"
        ) from None
    matplotlib.use("Agg")
    from matplotlib.figure import Figure as Canvas  # type: ignore[import-not-found,unused-ignore]

    out_dir.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context(SVG_SETTINGS):
        for name, draw in todo.items():
            canvas = Canvas(figsize=(7.5, 4.6), layout="constrained")
            draw(suite, canvas)
            canvas.savefig(out_dir / name, format="svg", metadata={"Date": None})
    return [out_dir / name for name in todo]


def draw_crossover(suite: pyperf.BenchmarkSuite, canvas: Canvas) -> None:
    """Serial and `-n 2` wall against suite size: the points, their line fits, the crossover."""
    engine, found = crossover_data(suite)
    described = describe_crossover(found)
    axes = canvas.subplots()
    tests, right = list(found), max(found) * 1.08
    labels = {"serial": "serial", "parallel": "-n 2 --dist worksteal"}
    for mode in MODES:
        walls = [point[mode] for point in found.values()]
        axes.plot(
            tests,
            walls,
            "o" if mode == "serial" else "s",
            color=COLOURS[mode],
            label=f"{labels[mode]}, measured",
        )
        if fit := described.get("fit", {}).get(mode):
            intercept, slope = fit
            axes.plot(
                [0, right],
                [intercept, intercept + slope * right],
                "--",
                color=COLOURS[mode],
                linewidth=1,
                label=f"{labels[mode]}, fit: {intercept:.1f} s + {slope * 1000:.1f} ms/test",
            )
    if "tests" in described:
        at, wall = described["tests"], described["serial_s"]
        axes.axvline(at, color="0.4", linestyle=":", linewidth=1.2)
        axes.annotate(
            f"crossover: about {at:.0f} tests\n({wall:.1f} s serial)",
            (at, wall),
            xytext=(8, -30),
            textcoords="offset points",
            fontsize=8,
            arrowprops={"arrowstyle": "->", "color": "0.4"},
        )
        for text, align, offset in (("stay serial", "right", -6), ("-n 2 pays", "left", 6)):
            axes.annotate(
                text,
                (at, 0),
                xytext=(offset, 6),
                textcoords="offset points",
                ha=align,
                fontsize=8,
                color="0.3",
            )
    if "fit_tests" in described and described["fit_tests"] <= right:
        intercept, slope = described["fit"]["serial"]
        at = described["fit_tests"]
        axes.plot(
            [at],
            [intercept + slope * at],
            "x",
            color="black",
            markersize=9,
            label=f"the fits cross at {at} tests",
        )
    axes.set_xlim(0, right)
    axes.set_ylim(bottom=0)
    axes.set_xlabel("tests in the run (the suite without 'slow' tests, sampled or repeated)")
    axes.set_ylabel("wall time of the pytest run (s)")
    axes.set_title(
        f"When does -n 2 pay? Serial vs parallel wall time ({engine})\n{machine(suite)}",
        fontsize=10,
    )
    axes.grid(True, alpha=0.3)
    axes.legend(loc="upper left", fontsize=8)


def draw_per_test(suite: pyperf.BenchmarkSuite, canvas: Canvas) -> None:
    """Histograms of per-test time, naive vs optimized, one panel per engine, log-spaced bins."""
    kept = distributions(suite)
    canvas.set_figheight(1.2 + 2.6 * len(kept))
    panels = canvas.subplots(len(kept), 1, sharex=True, squeeze=False)
    every = [value for by_way in kept.values() for values in by_way.values() for value in values]
    low, high = min(every) * 0.9, max(every) * 1.1
    bins = [low * (high / low) ** (index / 60) for index in range(61)]
    for (engine, by_way), row in zip(kept.items(), panels, strict=True):
        axes: Any = row[0]
        for way in WAYS:
            if values := by_way.get(way):
                median = statistics.median(values)
                axes.hist(
                    values,
                    bins=bins,
                    histtype="stepfilled",
                    alpha=0.35,
                    color=COLOURS[way],
                    edgecolor=COLOURS[way],
                    label=f"{way}: {len(values)} test runs, median {median:.3g} ms",
                )
                axes.axvline(median, color=COLOURS[way], linestyle="--", linewidth=1.2)
        axes.set_xscale("log")
        axes.set_ylim(0, axes.get_ylim()[1] * 1.4)  # room for the legend above the bars
        axes.set_ylabel("tests")
        axes.set_title(engine, fontsize=9, loc="left")
        axes.grid(True, which="both", axis="x", alpha=0.25)
        axes.legend(loc="upper right", fontsize=8, title="dashed: median", title_fontsize=8)
    panels[-1][0].set_xlabel("setup + call + teardown per test (ms, log scale; every serial run)")
    canvas.suptitle(
        "Per-test time, naive (recreate tables, argon2) vs optimized\n" + machine(suite),
        fontsize=10,
    )
