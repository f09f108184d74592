"""The OpenAPI document the app serves, as committed in openapi.json: the API's contract.

    python -m backend.openapi            # (re)write openapi.json in the working directory
    python -m backend.openapi --check    # exit 1, with a diff, if openapi.json is not current

`nox -s openapi` runs the first from the checkout; the everyday suite fails while the committed
file differs from what `create_app()` serves (tests/test_openapi.py), so every change to the
contract shows in review as a diff of openapi.json.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from functools import cache
from pathlib import Path

from backend.config import Environment, Settings
from backend.main import create_app

DOCUMENT = Path("openapi.json")
REGENERATE = "python -m nox -s openapi"


@cache
def served_document() -> str:
    """The schema `create_app()` serves (settings do not change it) as stable text for review:
    sorted keys, indented, one trailing newline. Built once a process: building an app and its
    schema is the slow part."""
    schema = create_app(Settings(_env_file=None, app_env=Environment.TEST)).openapi()
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def difference(committed: str, served: str, limit: int = 6000) -> str:
    """A unified diff of the committed document against the served one ('' when equal)."""
    lines = difflib.unified_diff(
        committed.splitlines(keepends=True),
        served.splitlines(keepends=True),
        f"{DOCUMENT} (committed)",
        f"{DOCUMENT} (served by create_app())",
    )
    return "".join(lines)[:limit]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write or check openapi.json.")
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("--output", type=Path, default=DOCUMENT, help="default: %(default)s")
    args = parser.parse_args(argv)
    served = served_document()
    if not args.check:
        args.output.write_text(served, encoding="utf-8")
        print(f"wrote {args.output}")
        return 0
    committed = args.output.read_text(encoding="utf-8") if args.output.is_file() else ""
    diff = difference(committed, served)
    if diff:
        print(f"{args.output} is not what the app serves; run `{REGENERATE}`:\n{diff}")
        return 1
    print(f"{args.output} is current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
