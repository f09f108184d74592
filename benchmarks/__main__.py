"""`python -m benchmarks`: an entry point only, so the command line (benchmarks.cli) imports."""

import sys

from benchmarks.cli import main

if __name__ == "__main__":
    sys.exit(main())
