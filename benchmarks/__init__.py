"""`nox -s bench`: the guide's results table, measured the naive and optimized way side by side.

The figures (`benchmarks.figures`) are measured by in_process, processes and suite on
the rounds of `benchmarks.core`; pyperf keeps the runs; report and charts read them.
"""
