"""`nox -s bench`: the guide's results table, measured the naive and optimized way side by side.

`python -m benchmarks --help` lists the options. The figures live in `benchmarks.figures`, the
regression check in `benchmarks.compare`, and the pytest plugin that records per-test times in
`benchmarks.timing_plugin`. Nothing here is a test: the suite itself never times anything.
"""
