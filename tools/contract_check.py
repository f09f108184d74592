"""The API contract as a client finds it: schemathesis' CLI against a real `python -m backend`.

    python -m tools.contract_check [--max-examples N] [--who anonymous|user|both]
                                   [--timeout SECONDS] [-- ST RUN OPTIONS...]

`nox -s contract` runs it. It starts, in a temporary directory removed at the end:
- a stand-in for the translation service (a LibreTranslate-compatible `POST /translate` on a
  free port, answering `<word>-<target>`): the server's one outside collaborator, which a
  deployment has and this machine does not;
- `python -m backend` from the checkout, on a free port, with a new SQLite database;
then registers a user, logs in, and runs `st run <server>/openapi.json --checks all` twice:
anonymous, then with the user's bearer token. The schema comes from the server itself, every
phase runs (examples, coverage, fuzzing, stateful), and tests/fuzz/hooks.py is loaded: it drops
exactly two failures that are not the API's (see there; one is the 503 of a server without the
Whisper engine, which this machine cannot have). It prints each run's cases and failures and
exits 1 if either run failed, 2 if the server did not start.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tools import ROOT
from tools.served import NotServing, serving, sigterm_as_ctrl_c

ST = Path(sys.executable).with_name("st")  # schemathesis' CLI, beside this Python
HOOKS = "tests.fuzz.hooks"
USER = {"email": "contract@example.com", "password": "contract-check-password"}


class StandInTranslator(BaseHTTPRequestHandler):
    """LibreTranslate's `POST /translate`, deterministic: `gato` to `en` is `gato-en`."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            asked = json.loads(self.rfile.read(length))
            answer = {"translatedText": f"{asked['q']}-{asked['target']}"}
            status = 200
        except (ValueError, KeyError, TypeError):
            answer, status = {"error": "expected JSON with q and target"}, 400
        body = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # thousands of requests: the st output says what matters


@contextmanager
def translator() -> Iterator[str]:
    """The stand-in translation service on a free port, in a thread; its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandInTranslator)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def post(url: str, data: bytes, content_type: str) -> dict[str, object]:
    request = urllib.request.Request(url, data, {"Content-Type": content_type}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        answer: dict[str, object] = json.loads(response.read())
        return answer


def token_for(base_url: str) -> str:
    """Register the check's user and log in: its bearer token."""
    post(f"{base_url}/auth/register", json.dumps(USER).encode(), "application/json")
    form = f"username={USER['email']}&password={USER['password']}".encode()
    login = post(f"{base_url}/auth/jwt/login", form, "application/x-www-form-urlencoded")
    return str(login["access_token"])


def st_run(
    st: Path, base_url: str, who: str, token: str | None, options: Sequence[str], work: Path
) -> bool:
    """One `st run` with every check; True if it passed. Its output (progress, then the cases
    and failures) goes straight to the terminal."""
    command = [
        str(st),
        "run",
        f"{base_url}/openapi.json",
        "--checks",
        "all",
        "--no-color",
        *(["--header", f"Authorization: Bearer {token}"] if token else []),
        *options,
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": HOOKS, "PYTHONPATH": str(ROOT)}
    print(f"\n=== {who}: st run {base_url}/openapi.json --checks all", flush=True)
    started = time.monotonic()
    # In the temporary directory: st keeps a cache (.schemathesis/) where it runs.
    done = subprocess.run(command, cwd=work, env=env, check=False)
    verdict = "passed" if done.returncode == 0 else f"FAILED (exit {done.returncode})"
    print(f"=== {who}: {verdict} in {time.monotonic() - started:.0f} s", flush=True)
    return done.returncode == 0


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="contract_check",
        description="schemathesis' CLI, every check, against a real `python -m backend`.",
    )
    parser.add_argument("--who", choices=("anonymous", "user", "both"), default="both")
    parser.add_argument(
        "--max-examples",
        type=int,
        default=50,
        help="examples per operation in the fuzzing phase (default 50)",
    )
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds for the server to start"
    )
    parser.add_argument("st_options", nargs="*", help="after `--`: more `st run` options")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, st: Path = ST) -> int:
    """The check; `st` is the CLI it runs (tests give a stand-in)."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if not st.is_file():
        print(f"contract_check: no schemathesis CLI at {st}; `python -m nox -s contract` "
              "installs it (the `fuzz` dependency group)", file=sys.stderr)  # fmt: skip
        return 2
    options = ["--max-examples", str(args.max_examples), *args.st_options]
    sigterm_as_ctrl_c()
    results = {}
    try:
        with tempfile.TemporaryDirectory(prefix="contract-check-") as name, translator() as tr:
            work = Path(name)
            env = {**os.environ, "TRANSLATION_URL": tr}
            with serving(sys.executable, work, env, args.timeout, cwd=ROOT) as server:
                print(f"python -m backend serving at {server.url} "
                      f"(/health 200 in {server.started_in:.1f} s)", flush=True)  # fmt: skip
                if args.who in ("anonymous", "both"):
                    results["anonymous"] = st_run(st, server.url, "anonymous", None, options, work)
                if args.who in ("user", "both"):
                    token = token_for(server.url)
                    results["user"] = st_run(st, server.url, "logged in", token, options, work)
    except NotServing as error:
        print(f"contract_check: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("contract_check: interrupted; server stopped, files removed", file=sys.stderr)
        return 130
    print("\n" + ", ".join(f"{who}: {'passed' if ok else 'FAILED'}" for who, ok in results.items()))
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
