"""Schemathesis against the app's OpenAPI schema: every operation, anonymous and logged in.

Requests go in-process to the suite's app (fast hasher, fake services, the test's rolled-back
transaction, each example and each stateful scenario in a SAVEPOINT of its own; see
conftest.py), so fuzzing leaves nothing behind. Every check schemathesis has runs, as with
`st run --checks all`: no 5xx; every response matches the schema (status, content type,
headers, body); schema-invalid input is refused and schema-valid input accepted
(negative_data_rejection, positive_data_acceptance); and a stateful phase follows the schema's
links from each creation (a video, a game, a word) to the operations that read it
(ensure_resource_availability, use_after_free).

Two checks have nothing to check here, in-process or with `st run`: ignored_auth finds no
security parameter in an OAuth2 scheme (schemathesis 4 looks for apiKey/http ones), and
object_level_authorization needs two identities in schemathesis' own auth configuration.
tests/security/test_authorization_matrix.py covers both: every protected operation without a
token, and every operation on another user's rows.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, cast

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402
from hypothesis.stateful import run_state_machine_as_test  # noqa: E402
from schemathesis import Case  # noqa: E402
from schemathesis.checks import CHECKS, CheckFunction, load_all_checks  # noqa: E402
from schemathesis.core.transport import Response  # noqa: E402

from backend.config import Environment, Settings  # noqa: E402
from backend.main import create_app  # noqa: E402

if TYPE_CHECKING:
    from tests.fuzz.conftest import Fuzzer

# The schema does not depend on settings; it is read without a request.
SCHEMA = schemathesis.openapi.from_dict(
    create_app(Settings(_env_file=None, app_env=Environment.TEST)).openapi()
)

load_all_checks()
# Every check function the registry holds (it also holds check classes, which are not checks
# of a response).
ALL_CHECKS = cast(
    "list[CheckFunction]",
    [check for check in CHECKS.get_all() if not isinstance(check, type)],
)

FUZZ_SETTINGS = settings(
    max_examples=60,
    deadline=None,  # the first request of a test pays for fixtures; time is not the bar here
    database=None,  # no .hypothesis/ folder in the checkout; failures print a curl to replay
    # Function-scoped fixtures are meant: the fuzzer isolates each example itself.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Anonymous, every protected operation answers 401 before reading its input: fewer examples
# cover it (the schemathesis coverage phase still sends every edge case).
ANONYMOUS_SETTINGS = settings(FUZZ_SETTINGS, max_examples=25)
STATEFUL_SETTINGS = settings(
    FUZZ_SETTINGS,
    max_examples=40,
    stateful_step_count=8,
    suppress_health_check=list(HealthCheck),
)


def check(fuzzer: Fuzzer, case: Case[Any]) -> None:
    """Send `case` (with the fuzzer's token, if any), then run every check on the answer."""
    with fuzzer.isolated():
        case.call_and_validate(**fuzzer.call_kwargs(case.operation.label), checks=ALL_CHECKS)


@SCHEMA.parametrize()
@ANONYMOUS_SETTINGS
def test_anonymous(case: Case[Any], anonymous_fuzzer: Fuzzer) -> None:
    check(anonymous_fuzzer, case)


@SCHEMA.parametrize()
@FUZZ_SETTINGS
def test_authenticated(case: Case[Any], owner_fuzzer: Fuzzer) -> None:
    check(owner_fuzzer, case)


def run_stateful(fuzzer: Fuzzer) -> None:
    """Chains of calls that follow the schema's links (create a video, then read it, ...)."""

    class Machine(SCHEMA.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            self.scenario = ExitStack()
            self.scenario.enter_context(fuzzer.isolated())

        def teardown(self) -> None:
            self.scenario.close()

        def get_call_kwargs(self, case: Case[Any]) -> dict[str, Any]:
            return fuzzer.call_kwargs(case.operation.label, stateful=True)

        def validate_response(
            self,
            response: Response,
            case: Case[Any],
            additional_checks: list[CheckFunction] | None = None,
            **kwargs: Any,
        ) -> None:
            case.validate_response(
                response,
                checks=ALL_CHECKS,
                headers=kwargs.get("headers"),
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    run_state_machine_as_test(Machine, settings=STATEFUL_SETTINGS)


def test_stateful_anonymous(anonymous_fuzzer: Fuzzer) -> None:
    run_stateful(anonymous_fuzzer)


def test_stateful_authenticated(owner_fuzzer: Fuzzer) -> None:
    run_stateful(owner_fuzzer)
