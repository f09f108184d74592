"""`nox -s bench`: the guide's results table, measured the naive and optimized way side by side.

`python -m benchmarks --help` lists the options (`benchmarks.cli`). The figures are defined once
in `benchmarks.figures` and measured on every engine of `--engines` by `benchmarks.in_process`,
`benchmarks.processes`, `benchmarks.suite` (the whole suite and the parallel crossover) and
`benchmarks.databases` (scratch databases and the one-off costs), on the rounds of
`benchmarks.core`. pyperf keeps the runs, their metadata and the JSON; `benchmarks.report`
renders the tables (latest.md and README.md's), `benchmarks.compare` checks the ratios and
`benchmarks.charts` draws. `benchmarks.plugin` is the pytest plugin for what pytest and its
plugins do not record (database calls, a sample of the suite). Nothing here is a test.
"""
