"""`python -m notes`: serve on HOST:PORT (127.0.0.1:8000).

Migrate first with `alembic upgrade head` (same DATABASE_URL); a bad setting or a database
without tables stops the start with one message and exit status 2, not a traceback.
"""

from __future__ import annotations

import sys

import uvicorn
from pydantic import ValidationError


def main() -> int:
    try:
        from notes.config import settings  # read from the environment here
        from notes.main import app  # builds the engine and the app
    except ValidationError as error:
        print(f"Cannot start: {error}", file=sys.stderr)
        return 2
    from notes.seed import SchemaMissing, require_schema

    try:
        require_schema()
    except SchemaMissing as error:
        print(f"Cannot start: {error}", file=sys.stderr)
        return 2
    uvicorn.run(app, host=settings.host, port=settings.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
