"""`python -m backend`: serve on 127.0.0.1:8000 (HOST and PORT to change it)."""

from __future__ import annotations

import os
import sys

import uvicorn
from pydantic import ValidationError

from backend.config import Settings, describe_settings_error
from backend.main import create_app


def main() -> int:
    try:
        app = create_app(Settings())
    except ValidationError as error:
        print(describe_settings_error(error), file=sys.stderr)
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
