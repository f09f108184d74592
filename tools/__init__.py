"""The project's tooling: what nox sessions run, importable, typed and tested (tests/tools/).

Each command runs as `python -m tools.<name>` from the checkout; `nox -l` says which session
runs which. The modules:

- `argtypes`: argparse types the commands share (whole numbers of at least 1, bounded numbers,
  comma-separated names);
- `ci`: the `ci` session's own options (`--splits`, `--group`, `--engine`), parsed before
  anything is installed;
- `pythons`: which interpreter a session gets for a Python version (pyenv's build, else PATH);
- `served`: `python -m backend` as a real server for a check, always stopped;
- `contract_check`: schemathesis' CLI against that server (`nox -s contract`);
- `package_check`: the project installed as a wheel and editable, then served (`nox -s package`);
- `load`, `load_users`, `load_report`: the server under concurrent users (`nox -s load`);
- `shards`: the CI matrix planned from the durations file, its slices merged (`nox -s shards`,
  `nox -s combine`);
- `stress`: the suite again and again in new random orders (`nox -s stress`);
- `word_letters`: writes backend/services/word_letters.py from Python's Unicode database.

Nothing here imports `tests`; what the tooling shares with the suite is `testkit`.
"""

from __future__ import annotations

from pathlib import Path

# The checkout, computed here once: every command resolves its paths from it.
ROOT = Path(__file__).resolve().parents[1]
