"""Schemathesis against the app's OpenAPI schema: every operation, anonymous and logged in.

Requests go in-process over ASGI to the suite's app (fast hasher, fake services, the test's
rolled-back transaction), so fuzzing leaves nothing behind. The bar: no 500, and every response
matches the schema (status code, content type, headers, body); invalid input is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import pytest

schemathesis = pytest.importorskip("schemathesis")

import requests  # noqa: E402  (a schemathesis dependency: turns a case into bytes)
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis import Case  # noqa: E402
from schemathesis.checks import CHECKS, CheckFunction, load_all_checks  # noqa: E402

from backend.config import Environment, Settings  # noqa: E402
from backend.main import create_app  # noqa: E402

if TYPE_CHECKING:
    from tests.fuzz.conftest import Fuzzer

BASE_URL = "http://test"

# The schema does not depend on settings; it is read without a request.
SCHEMA = schemathesis.openapi.from_dict(
    create_app(Settings(_env_file=None, app_env=Environment.TEST)).openapi()
)

load_all_checks()
# Every name below is of a check function (the registry also holds check classes).
CHECKS_RUN = cast(
    "list[CheckFunction]",
    CHECKS.get_by_names(
        [
            "not_a_server_error",
            "status_code_conformance",
            "content_type_conformance",
            "response_headers_conformance",
            "response_schema_conformance",
            "negative_data_rejection",
            "missing_required_header",
            "unsupported_method",
            "allow_header_conformance",
        ]
    ),
)
# Left out on purpose:
# - positive_data_acceptance: business rules refuse some schema-valid input by design (a short
#   password is 400, a stop-word or source == target is 422), and each rule has its own tests.
# - ignored_auth, use_after_free, ensure_resource_availability, object_level_authorization:
#   they replay requests through schemathesis' own transport (another event loop, outside the
#   test's transaction); tests/security/test_authorization_matrix.py covers what they check.

FUZZ_SETTINGS = settings(
    max_examples=100,
    deadline=None,  # the first request of a test pays for fixtures; time is not the bar here
    database=None,  # no .hypothesis/ folder in the checkout; failures print a curl to replay
    # Function-scoped fixtures are meant: every example of one operation shares its test's
    # transaction, which is rolled back at the end.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def check(fuzzer: Fuzzer, case: Case[Any]) -> None:
    """Send `case` as the bytes a real client would, then run every check on the answer."""
    prepared = requests.Request(**case.as_transport_kwargs(base_url=BASE_URL)).prepare()
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    assert body is None or isinstance(body, bytes)  # requests builds JSON and forms in memory
    headers = cast(dict[str, str], dict(prepared.headers))  # schemathesis writes str values
    response = fuzzer.send(
        case.operation.label, str(prepared.method), str(prepared.url), headers, body
    )
    case.validate_response(response, checks=CHECKS_RUN, headers=headers)


@SCHEMA.parametrize()
@FUZZ_SETTINGS
def test_anonymous(case: Case[Any], anonymous_fuzzer: Fuzzer) -> None:
    check(anonymous_fuzzer, case)


@SCHEMA.parametrize()
@FUZZ_SETTINGS
def test_authenticated(case: Case[Any], owner_fuzzer: Fuzzer) -> None:
    check(owner_fuzzer, case)
