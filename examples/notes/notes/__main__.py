"""`python -m notes`: serve on 127.0.0.1:8000 (HOST and PORT to change it).

Migrate first with `alembic upgrade head` (same DATABASE_URL); a database without tables
stops the start with one line saying so.
"""

from __future__ import annotations

import os
import sys

import uvicorn

from notes.seed import SchemaMissing, require_schema


def main() -> int:
    from notes.main import app  # reads the settings, builds the engine and the app

    try:
        require_schema()
    except SchemaMissing as error:
        print(f"Cannot start: {error}", file=sys.stderr)
        return 2
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    if not port.isdecimal() or int(port) > 65535:
        print(f"Cannot start: PORT must be a number from 0 to 65535, not {port!r}", file=sys.stderr)
        return 2
    uvicorn.run(app, host=host, port=int(port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
