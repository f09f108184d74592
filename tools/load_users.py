"""The users of `nox -s load`: tools/load.py runs this file with locust, headless.

Each user registers, logs in, then repeats the mix (`--mix`, the steps of `load.STEPS`) as
fast as the server answers, until the run ends. Every request is tallied: its status, or
"dropped" when no response came (a connection reset or closed, a timeout, a request still in
flight when the run was stopped). The tally goes as JSON to `--results` when the run stops;
tools/load.py reads it and prints the table.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Callable
from itertools import cycle
from pathlib import Path
from typing import Any

from locust import FastHttpUser, constant, events, task
from locust.argument_parser import LocustArgumentParser
from locust.env import Environment
from locust.event import EventHook

from tools.load import PASSWORD, REQUEST_TIMEOUT, STEPS, UPLOAD_BYTES, WORD_PATH, Tally

DROPPED = 0  # locust's status code for a request that got no response


class Requests:
    """What every request came to, kept in this (single, gevent) process."""

    def __init__(self) -> None:
        self.statuses: Counter[int] = Counter()
        self.errors: Counter[str] = Counter()  # why a request got no response
        self.refused: Counter[str] = Counter()  # "503 GET /progress": each answer not 2xx
        self.milliseconds: list[float] = []
        self.in_flight: set[int] = set()  # users waiting for an answer
        self.started = self.last_answer = 0.0

    def tally(self) -> Tally:
        return {
            "statuses": {str(status): count for status, count in self.statuses.items()},
            "errors": dict(self.errors),
            "refused": dict(self.refused),
            # A request cut off by the end of the run got no response either.
            "unfinished": len(self.in_flight),
            "milliseconds": self.milliseconds,
            "seconds": self.last_answer - self.started,
        }


REQUESTS = Requests()


def _options(parser: LocustArgumentParser) -> None:
    parser.add_argument("--mix", default=",".join(STEPS), help="steps each user repeats")
    parser.add_argument("--results", default="", help="where the tally goes (JSON)")


def _count(
    name: str, response_time: float, response: Any, exception: Exception | None, **_: Any
) -> None:
    status = getattr(response, "status_code", DROPPED) or DROPPED
    REQUESTS.statuses[status] += 1
    if status == DROPPED:
        REQUESTS.errors[type(exception).__name__] += 1
    elif not 200 <= status < 300:
        REQUESTS.refused[f"{status} {name}"] += 1
    REQUESTS.milliseconds.append(response_time)
    REQUESTS.last_answer = time.monotonic()


def _start(**_: Any) -> None:
    REQUESTS.started = time.monotonic()


def _stop(environment: Environment, **_: Any) -> None:
    results = environment.parsed_options.results if environment.parsed_options else ""
    if results:
        Path(results).write_text(json.dumps(REQUESTS.tally()))


def listen(hook: EventHook, handler: Callable[..., None]) -> None:
    hook.add_listener(handler)  # type: ignore[no-untyped-call]  # locust leaves it untyped


listen(events.init_command_line_parser, _options)
listen(events.request, _count)
listen(events.test_start, _start)
listen(events.test_stop, _stop)


class Learner(FastHttpUser):
    """A new user: registers, logs in, then works through the mix, again and again."""

    wait_time = constant(0)
    # A request that takes longer than this is dropped (status 0): the run's verdict says so.
    network_timeout = connection_timeout = REQUEST_TIMEOUT

    def on_start(self) -> None:
        options = self.environment.parsed_options
        mix = (options.mix if options else ",".join(STEPS)).split(",")
        self.steps = cycle([ACTIONS[step] for step in mix])
        self.email = f"load-{uuid.uuid4().hex}@example.com"
        self.registered = False
        self.headers: dict[str, str] | None = None  # the bearer token once logged in

    @task
    def next_request(self) -> None:
        """One request: registering and logging in until both worked, then the next step."""
        REQUESTS.in_flight.add(id(self))
        if not self.registered:
            self.register()
        elif self.headers is None:
            self.login()
        else:
            next(self.steps)(self)
        # Not in a `finally`: a user killed mid-request (GreenletExit) stays in flight.
        REQUESTS.in_flight.discard(id(self))

    def register(self) -> None:
        body = {"email": self.email, "password": PASSWORD}
        response = self.client.post("/auth/register", json=body, name="POST /auth/register")
        # 409: an earlier attempt registered the user although its answer was lost.
        self.registered = response.status_code in (201, 409)

    def login(self) -> None:
        response = self.client.post(
            "/auth/jwt/login",
            data={"username": self.email, "password": PASSWORD},
            name="POST /auth/jwt/login",
        )
        if response.status_code == 200:
            token = json.loads(response.content or b"{}")["access_token"]
            self.headers = {"Authorization": f"Bearer {token}"}

    def upload_video(self) -> None:
        self.client.post(
            "/videos",
            data={"title": "A clip", "language": "es"},
            files={"file": ("clip.mp4", b"v" * UPLOAD_BYTES, "video/mp4")},
            headers=self.headers,
            name="POST /videos",
        )

    def list_videos(self) -> None:
        self.client.get("/videos", headers=self.headers, name="GET /videos")

    def mark_word(self) -> None:
        self.client.request(
            "PUT", WORD_PATH, json={"known": True}, headers=self.headers, name=f"PUT {WORD_PATH}"
        )

    def read_progress(self) -> None:
        self.client.get("/progress", headers=self.headers, name="GET /progress")


# Each step of `--mix`, by the name tools/load.py documents and checks.
ACTIONS: dict[str, Callable[[Learner], None]] = {
    "upload": Learner.upload_video,
    "list": Learner.list_videos,
    "word": Learner.mark_word,
    "progress": Learner.read_progress,
}
assert ACTIONS.keys() == STEPS.keys(), "load.STEPS and load_users.ACTIONS name the same steps"
