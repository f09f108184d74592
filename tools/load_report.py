"""What `nox -s load` prints: one engine's run as a result, and the table of all of them.

Kept apart from tools/load.py, which runs the servers and the users: this part only reads
numbers, and decides what passed (no 5xx, no dropped connection, every video with its file).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    """One engine's run, as the table shows it."""

    engine: str
    statuses: Counter[int]  # 0: no response
    unfinished: int
    milliseconds: list[float]
    seconds: float
    drop_reasons: Counter[str]
    refused: Counter[str]
    videos: int
    files: int
    videos_without_file: int
    files_without_video: int
    server_errors: Counter[str]  # exception lines in the server's log
    load_before: float
    load_after: float

    @property
    def requests(self) -> int:
        return sum(self.statuses.values()) + self.unfinished

    @property
    def dropped(self) -> int:
        return self.statuses[0] + self.unfinished

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def server_failures(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)

    @property
    def consistent(self) -> bool:
        return self.videos_without_file == 0 and self.files_without_video == 0

    @property
    def passed(self) -> bool:
        return self.server_failures == 0 and self.dropped == 0 and self.consistent


def percentile(values: list[float], share: int) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return milliseconds(values[0])
    return milliseconds(statistics.quantiles(values, n=100, method="inclusive")[share - 1])


def milliseconds(value: float) -> str:
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"


def statuses_text(statuses: Counter[int]) -> str:
    return ", ".join(f"{status}: {count:,}" for status, count in sorted(statuses.items()) if status)


# The table's columns: heading, alignment, and the cell of one engine's result.
COLUMNS: tuple[tuple[str, str, Callable[[Result], str]], ...] = (
    ("engine", "---", lambda r: r.engine),
    ("requests", "---:", lambda r: f"{r.requests:,}"),
    ("per s", "---:", lambda r: f"{r.per_second:.0f}"),
    ("p50", "---:", lambda r: percentile(r.milliseconds, 50)),
    ("p95", "---:", lambda r: percentile(r.milliseconds, 95)),
    ("p99", "---:", lambda r: percentile(r.milliseconds, 99)),
    ("statuses", "---", lambda r: statuses_text(r.statuses)),
    ("5xx", "---:", lambda r: f"{r.server_failures:,}"),
    ("dropped", "---:", lambda r: f"{r.dropped:,}"),
    ("videos / files", "---:", lambda r: f"{r.videos:,} / {r.files:,}"),
    ("load avg", "---", lambda r: f"{r.load_before:.1f} to {r.load_after:.1f}"),
)


def table(results: Sequence[Result]) -> str:
    """A Markdown table (the README quotes it as printed)."""
    rows = [[heading for heading, _, _ in COLUMNS], [align for _, align, _ in COLUMNS]]
    rows += [[cell(result) for _, _, cell in COLUMNS] for result in results]
    return "\n".join(f"| {' | '.join(row)} |" for row in rows)


def report(results: Sequence[Result], heading: str) -> str:
    """`heading`, the table, the throughput ratio, then what failed and why, by engine."""
    out = [
        heading,
        "",
        table(results),
        "",
    ]
    by_engine = {result.engine: result for result in results}
    if "sqlite" in by_engine and "postgresql" in by_engine:
        sqlite, postgresql = by_engine["sqlite"].per_second, by_engine["postgresql"].per_second
        ratio = sqlite / postgresql if postgresql else 0.0
        out.append(
            f"SQLite / PostgreSQL throughput: {ratio:.2f} ({sqlite:.0f} / {postgresql:.0f} /s)"
        )
    for result in results:
        if result.refused:
            refused = ", ".join(
                f"{what} x{count}" for what, count in sorted(result.refused.items())
            )
            out.append(f"{result.engine}: answers not 2xx: {refused}")
        if result.dropped:
            reasons = ", ".join(
                f"{name} {count}" for name, count in result.drop_reasons.most_common() if count
            )
            out.append(f"{result.engine}: dropped connections: {reasons}")
        if not result.consistent:
            out.append(
                f"{result.engine}: {result.videos_without_file} videos without their file, "
                f"{result.files_without_video} files without their video"
            )
        for line, count in result.server_errors.most_common(5):
            out.append(f"{result.engine}: server log: {count} x {line}")
        verdict = "passed" if result.passed else "FAILED"
        out.append(f"{result.engine}: {verdict}")
    return "\n".join(out)
