"""`nox -s bench`: the guide's results table, measured the naive and optimized way side by side.

`python -m benchmarks --help` lists the options (`benchmarks.cli`). The list of figures is
`benchmarks.figures`; they are measured in `benchmarks.in_process`, `benchmarks.processes`,
`benchmarks.suite` and `benchmarks.crossover` on the common ground of `benchmarks.core`, one
run is put together by `benchmarks.runner`, written by `benchmarks.report` and checked for
regressions by `benchmarks.compare`. The pytest plugin that records per-test times is
`benchmarks.timing_plugin`. Nothing here is a test: the suite itself never times anything.
"""
