"""`python -m benchmarks`: the command line (benchmarks.cli)."""

from benchmarks.cli import main

raise SystemExit(main())
