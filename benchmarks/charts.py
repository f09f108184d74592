"""SVG charts of a bench result, beside build/bench/latest.md: the crossover and per-test times.

`crossover.svg`: serial and `-n 2` wall time against suite size, the measured points, their
line fits and where `-n 2` starts to win. `per-test.svg`: how per-test times spread, naive vs
optimized, one panel per engine, on a log axis. Both are drawn from latest.json alone, so
`python -m benchmarks --current FILE --charts` redraws them without measuring anything.

matplotlib (the `bench` dependency group) is imported inside the drawing functions, with the
Agg backend and no pyplot: the rest of the bench, `--help` and `--compare` never load it.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.core import DEFAULT_ENGINE, WAYS

# The ignores: `nox -s typecheck` has no matplotlib (it is the bench's), where these are Any.
if TYPE_CHECKING:
    from matplotlib.axes import Axes  # type: ignore[import-not-found,unused-ignore]
    from matplotlib.figure import Figure as Canvas  # type: ignore[import-not-found,unused-ignore]

CROSSOVER = "crossover.svg"
PER_TEST = "per-test.svg"
COLOURS = {"serial": "#1f77b4", "parallel": "#d62728", "naive": "#d62728", "optimized": "#2ca02c"}
# Fixed ids and no date in the SVG: redrawing the same result gives the same file.
SVG_SETTINGS = {"svg.hashsalt": "benchmarks", "font.size": 10}


class ChartError(Exception):
    """Charts cannot be drawn: matplotlib is missing, or the result has nothing to draw."""


@dataclass(frozen=True)
class Charts:
    """What one drawing wrote, and why each chart it did not write was left out."""

    written: list[Path]
    skipped: list[str]


def crossover_points(result: dict[str, Any]) -> list[dict[str, float]]:
    """The crossover's measured sizes (tests, serial_s, parallel_s), smallest first."""
    crossover = result.get("crossover")
    if not isinstance(crossover, dict):
        return []
    points = crossover.get("points")
    if not isinstance(points, list):
        return []
    usable = [
        {name: float(point[name]) for name in ("tests", "serial_s", "parallel_s")}
        for point in points
        if isinstance(point, dict)
        and all(isinstance(point.get(name), int | float) for name in ("tests", "serial_s"))
        and isinstance(point.get("parallel_s"), int | float)
    ]
    return sorted(usable, key=lambda point: point["tests"])


def distributions(result: dict[str, Any]) -> dict[str, dict[str, list[float]]]:
    """Per engine, each way's per-test times in ms (latest.json's `per_test_distribution`)."""
    kept = result.get("per_test_distribution")
    if not isinstance(kept, dict):
        return {}
    found: dict[str, dict[str, list[float]]] = {}
    for engine, by_way in kept.items():
        if not isinstance(by_way, dict):
            continue
        ways = {
            way: [float(value) for value in values if isinstance(value, int | float) and value > 0]
            for way, values in by_way.items()
            if way in WAYS and isinstance(values, list)
        }
        ways = {way: values for way, values in ways.items() if values}
        if ways:
            found[str(engine)] = ways
    return found


def missing(result: dict[str, Any]) -> list[str]:
    """Why each chart cannot be drawn from `result` (empty: both can)."""
    reasons = []
    if not crossover_points(result):
        reasons.append(
            f"{CROSSOVER}: the result has no crossover points (measured only with the suite "
            "figures on and --crossover-max above 0)"
        )
    if not distributions(result):
        reasons.append(
            f"{PER_TEST}: the result keeps no per-test times (`per_test_distribution`, written "
            "since the charts came in, when per_test_ms is measured)"
        )
    return reasons


def write_charts(result: dict[str, Any], out_dir: Path) -> Charts:
    """Draw every chart `result` has data for into `out_dir`; ChartError without matplotlib."""
    skipped = missing(result)
    drawers = {CROSSOVER: draw_crossover, PER_TEST: draw_per_test}
    todo = [name for name in drawers if not any(reason.startswith(name) for reason in skipped)]
    if not todo:
        return Charts([], skipped)
    matplotlib = _matplotlib()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with matplotlib.rc_context(SVG_SETTINGS):
        for name in todo:
            canvas = drawers[name](result)
            path = out_dir / name
            canvas.savefig(path, format="svg", metadata={"Date": None})
            written.append(path)
    return Charts(written, skipped)


def _matplotlib() -> Any:
    try:
        import matplotlib  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise ChartError(
            "matplotlib is not installed here: the `bench` dependency group has it "
            "(`python -m nox -s bench -- ...` installs it)"
        ) from None
    matplotlib.use("Agg")
    return matplotlib


def _canvas(width: float, height: float) -> Canvas:
    from matplotlib.figure import Figure as Canvas  # type: ignore[import-not-found,unused-ignore]

    return Canvas(figsize=(width, height), layout="constrained")


def _machine(result: dict[str, Any]) -> str:
    """The subtitle: what the numbers were measured on and how busy the machine was."""
    host = result.get("machine") or {}
    load = host.get("load_average") or ["?"]
    created = str(result.get("created", ""))[:10]
    return (
        f"{host.get('cpus', '?')} CPUs, Python {host.get('python', '?')}, load average "
        f"{load[0]} at start; bench of {created}"
    )


def draw_crossover(result: dict[str, Any]) -> Canvas:
    """Serial and `-n 2` wall against suite size: the points, their line fits, the crossover."""
    points = crossover_points(result)
    crossover: dict[str, Any] = result["crossover"]
    engine = crossover.get("engine", DEFAULT_ENGINE)
    canvas = _canvas(7.5, 4.6)
    axes = canvas.subplots()
    tests = [point["tests"] for point in points]
    right = max(tests) * 1.08
    labels = {"serial": "serial", "parallel": "-n 2 --dist worksteal"}
    fits: dict[str, tuple[float, float]] = {}
    for mode, label in labels.items():
        walls = [point[f"{mode}_s"] for point in points]
        axes.plot(
            tests,
            walls,
            "o" if mode == "serial" else "s",
            color=COLOURS[mode],
            label=f"{label}, measured",
        )
        if len(set(tests)) >= 2:
            slope, intercept = statistics.linear_regression(tests, walls)
            fits[mode] = (intercept, slope)
            axes.plot(
                [0, right],
                [intercept, intercept + slope * right],
                "--",
                color=COLOURS[mode],
                linewidth=1,
                label=f"{label}, fit: {intercept:.1f} s + {slope * 1000:.1f} ms/test",
            )
    _mark_crossover(axes, crossover, fits, right)
    axes.set_xlim(0, right)
    axes.set_ylim(bottom=0)
    axes.set_xlabel("tests in the run (the suite without 'slow' tests, sampled or repeated)")
    axes.set_ylabel("wall time of the pytest run (s)")
    axes.set_title(
        f"When does -n 2 pay? Serial vs parallel wall time ({engine})\n{_machine(result)}",
        fontsize=10,
    )
    axes.grid(True, alpha=0.3)
    axes.legend(loc="upper left", fontsize=8)
    return canvas


def _mark_crossover(
    axes: Axes, crossover: dict[str, Any], fits: dict[str, tuple[float, float]], right: float
) -> None:
    """The measured crossover (interpolated between sizes) as a line, the fits' as a cross."""
    tests, serial_s = crossover.get("tests"), crossover.get("serial_s")
    if isinstance(tests, int | float) and isinstance(serial_s, int | float):
        axes.axvline(tests, color="0.4", linestyle=":", linewidth=1.2)
        axes.annotate(
            f"crossover: about {tests:.0f} tests\n({serial_s:.1f} s serial)",
            (tests, serial_s),
            xytext=(8, -30),
            textcoords="offset points",
            fontsize=8,
            arrowprops={"arrowstyle": "->", "color": "0.4"},
        )
        for text, align, offset in (("stay serial", "right", -6), ("-n 2 pays", "left", 6)):
            axes.annotate(
                text,
                (tests, 0),
                xytext=(offset, 6),
                textcoords="offset points",
                ha=align,
                fontsize=8,
                color="0.3",
            )
    if len(fits) == 2:
        (serial_a, serial_b), (parallel_a, parallel_b) = fits["serial"], fits["parallel"]
        if serial_b > parallel_b:
            at = (parallel_a - serial_a) / (serial_b - parallel_b)
            if 0 <= at <= right:
                axes.plot(
                    [at],
                    [serial_a + serial_b * at],
                    "x",
                    color="black",
                    markersize=9,
                    label=f"the fits cross at {at:.0f} tests",
                )


def draw_per_test(result: dict[str, Any]) -> Canvas:
    """Histograms of per-test time, naive vs optimized, one panel per engine, log-spaced bins."""
    kept = distributions(result)
    engines = sorted(kept, key=lambda engine: engine != DEFAULT_ENGINE)
    canvas = _canvas(7.5, 1.2 + 2.6 * len(engines))
    panels = canvas.subplots(len(engines), 1, sharex=True, squeeze=False)
    every = [value for by_way in kept.values() for values in by_way.values() for value in values]
    low, high = min(every) * 0.9, max(every) * 1.1
    bins = [low * (high / low) ** (index / 60) for index in range(61)]
    for engine, row in zip(engines, panels, strict=True):
        axes = row[0]
        for way in WAYS:
            values = kept[engine].get(way)
            if not values:
                continue
            median = statistics.median(values)
            axes.hist(
                values,
                bins=bins,
                histtype="stepfilled",
                alpha=0.35,
                color=COLOURS[way],
                edgecolor=COLOURS[way],
                label=f"{way}: {len(values)} tests, median {median:.3g} ms",
            )
            axes.axvline(median, color=COLOURS[way], linestyle="--", linewidth=1.2)
        axes.set_xscale("log")
        axes.set_ylim(0, axes.get_ylim()[1] * 1.4)  # room for the legend above the bars
        axes.set_ylabel("tests")
        axes.set_title(engine, fontsize=9, loc="left")
        axes.grid(True, which="both", axis="x", alpha=0.25)
        axes.legend(loc="upper right", fontsize=8, title="dashed: median", title_fontsize=8)
    panels[-1][0].set_xlabel(
        "setup + call + teardown per test (ms, log scale; median over the serial runs)"
    )
    canvas.suptitle(
        "Per-test time, naive (recreate tables, argon2) vs optimized\n" + _machine(result),
        fontsize=10,
    )
    return canvas
