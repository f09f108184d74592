"""No request waits for a worker thread it did not need.

FastAPI runs a dependency (or an endpoint) that is a plain `def`, a sync generator or a class in
a worker thread: a hand-off to the thread pool and back on every request that uses it, which
cost `/users/me` about a quarter of its time when five of the app's dependencies were plain
`def`. Every callable on every route's path, the test's overrides included, must run on the
event loop, but for the one hand-off named below that the app does not own.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import fastapi.routing
import pytest
from fastapi import Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_dependant
from fastapi.routing import APIRoute
from fastapi.security import OAuth2PasswordRequestForm

from backend.dependencies import get_translation_service

# FastAPI-Users' login route takes the form as a class dependency; FastAPI builds a class in a
# thread. Replacing it would mean replacing the library's login route: one hand-off per login,
# not per request.
ACCEPTED = {OAuth2PasswordRequestForm}


def runs_on_the_loop(call: Callable[..., Any]) -> bool:
    """Whether FastAPI awaits `call` directly rather than handing it to a worker thread."""
    if inspect.isclass(call):
        return False
    for candidate in (call, getattr(call, "__call__", None)):  # noqa: B004 (instances)
        if inspect.iscoroutinefunction(candidate) or inspect.isasyncgenfunction(candidate):
            return True
    return False


def callables_on_the_path(
    app: FastAPI, dependant: Dependant
) -> Iterator[tuple[str, Callable[..., Any]]]:
    """Every callable FastAPI calls for `dependant`, overrides put in as FastAPI does."""
    for sub in dependant.dependencies:
        call = sub.call
        assert call is not None
        if call in app.dependency_overrides:
            call = app.dependency_overrides[call]
            sub = get_dependant(path=dependant.path or "", call=call)
        yield getattr(call, "__qualname__", repr(call)), call
        yield from callables_on_the_path(app, sub)


def api_routes(app: FastAPI) -> Iterator[Any]:
    """Every API route as served: its full path, its dependencies with the router's.

    FastAPI 0.16x keeps an included router as one entry and gives its routes through
    `iter_route_contexts`; older releases list the routes themselves.
    """
    iter_route_contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    routes = iter_route_contexts(app.routes) if iter_route_contexts else app.routes
    for route in routes:
        if isinstance(getattr(route, "original_route", route), APIRoute):
            yield route


def threaded_callables(app: FastAPI) -> dict[str, list[str]]:
    """route -> the callables on its path that FastAPI would run in a worker thread."""
    found: dict[str, list[str]] = {}
    for route in api_routes(app):
        path = [(route.endpoint.__qualname__, route.endpoint)]
        path += list(callables_on_the_path(app, route.dependant))
        threaded = list(
            dict.fromkeys(
                name for name, call in path if call not in ACCEPTED and not runs_on_the_loop(call)
            )
        )
        if threaded:
            found[f"{','.join(sorted(route.methods))} {route.path}"] = threaded
    return found


def test_every_route_runs_its_dependencies_on_the_event_loop(app: FastAPI):
    """The app's routes with this test's overrides: nothing on a request's path is a `def`."""
    assert len(list(api_routes(app))) >= 20  # every route is seen, FastAPI-Users' included
    assert threaded_callables(app) == {}


def test_the_check_sees_a_plain_def_dependency_and_an_override(app: FastAPI):
    """The check is not vacuous: a `def` dependency, or a lambda put in as an override, shows."""

    def plain() -> str:
        return "threaded"

    probe = FastAPI()

    @probe.get("/probe")
    async def endpoint(value: str = Depends(plain)) -> str:
        return value

    assert threaded_callables(probe) == {"GET /probe": [plain.__qualname__]}

    app.dependency_overrides[get_translation_service] = lambda: None
    threaded = [name for names in threaded_callables(app).values() for name in names]
    assert threaded
    assert all(name.endswith("<lambda>") for name in threaded)


async def coroutine() -> None: ...


async def async_generator() -> AsyncIterator[None]:
    yield


def generator() -> Iterator[None]:
    yield


class AwaitedWhenCalled:
    async def __call__(self) -> None: ...


class CalledInAThread:
    def __call__(self) -> None: ...


@pytest.mark.parametrize(
    ("call", "on_the_loop"),
    [
        (coroutine, True),
        (async_generator, True),
        (AwaitedWhenCalled(), True),  # as FastAPI-Users' and FastAPI's security schemes are
        (lambda: None, False),
        (generator, False),
        (CalledInAThread(), False),
        (AwaitedWhenCalled, False),  # a class: FastAPI builds the instance in a thread
    ],
)
def test_what_runs_on_the_loop_is_what_fastapi_awaits(call, on_the_loop):
    assert runs_on_the_loop(call) is on_the_loop
