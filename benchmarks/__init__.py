"""`nox -s bench`: the guide's results table, measured the naive and optimized way side by side.

`python -m benchmarks --help` lists the options (`benchmarks.cli`). The list of figures is
`benchmarks.figures`: each defined once, measured on every engine of `--engines` (SQLite and
PostgreSQL) in `benchmarks.in_process`, `benchmarks.processes`, `benchmarks.suite`,
`benchmarks.crossover` and `benchmarks.databases` (scratch databases and the one-off costs of
a run) on the common ground of `benchmarks.core`. One run is put together by
`benchmarks.runner`, written by `benchmarks.report` and checked for regressions by
`benchmarks.compare`. The pytest plugin that records per-test times (and, when asked, the
database calls `benchmarks.db_counter` counts) is `benchmarks.timing_plugin`. Nothing here is a
test: the suite itself never times anything.
"""
