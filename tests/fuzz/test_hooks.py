"""The schemathesis hooks (hooks.py) drop exactly the two failures they name, and no other.

Each case here is sent to the app for real (through the fuzzer's transport), so the hook reads
the bytes a server received, as it does in a run.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest

pytest.importorskip("schemathesis")

from schemathesis import Case, HookContext, Response

from backend.services.errors import ServiceUnavailable
from backend.services.transcription import INSTALL_HINT
from tests.fuzz.hooks import filter_failure
from tests.fuzz.test_openapi import SCHEMA

if TYPE_CHECKING:
    from tests.fixtures.services import FakeTranscription, FakeTranslation
    from tests.fuzz.conftest import Fuzzer

ACCEPTED_NEGATIVE_DATA, SERVER_ERROR = "ST201", "ST101"


def sent(fuzzer: Fuzzer, case: Case[Any]) -> Response:
    with fuzzer.isolated():
        return case.call(**fuzzer.call_kwargs(case.operation.label))


def kept(code: str, case: Case[Any], response: Response) -> bool:
    """What the hook says of a failure of that code on that exchange: True keeps it."""
    context = HookContext(operation=case.operation)
    return bool(filter_failure(context, SimpleNamespace(code=code), case, response))


def video_form(**fields: str) -> Case[Any]:
    body = {"title": "Hola", "language": "es", "file": "any bytes", **fields}
    case: Case[Any] = SCHEMA["/videos"]["POST"].Case(body=body, media_type="multipart/form-data")
    return case


@pytest.mark.parametrize("title", ["5", "null", "[1, 2]", "  Hola  "])
def test_a_multipart_body_valid_as_sent_is_no_accepted_negative_data(owner_fuzzer, title):
    """A title mutated to a number or an array reaches the server as valid text."""
    case = video_form(title=title)
    response = sent(owner_fuzzer, case)

    assert response.status_code == 201
    assert not kept(ACCEPTED_NEGATIVE_DATA, case, response)


@pytest.mark.parametrize("fields", [{"title": "   "}, {"language": "ES"}, {"title": "x" * 201}])
def test_a_multipart_body_invalid_as_sent_keeps_the_failure(owner_fuzzer, fields):
    case = video_form(**fields)
    response = sent(owner_fuzzer, case)

    assert response.status_code == 422
    assert kept(ACCEPTED_NEGATIVE_DATA, case, response)


def test_a_json_body_keeps_the_failure(owner_fuzzer):
    case = SCHEMA["/games"]["POST"].Case(body={"video_id": 1}, media_type="application/json")
    response = sent(owner_fuzzer, case)

    assert kept(ACCEPTED_NEGATIVE_DATA, case, response)


def test_the_503_of_a_server_without_the_engine_is_dropped(
    owner_fuzzer, transcription: FakeTranscription
):
    video = video_form().call(**owner_fuzzer.call_kwargs("POST /videos")).json()
    transcription.error = ServiceUnavailable(INSTALL_HINT)  # what the real service raises
    case = SCHEMA["/videos/{video_id}/transcription"]["POST"].Case(
        path_parameters={"video_id": video["id"]}
    )
    response = sent(owner_fuzzer, case)

    assert response.status_code == 503
    assert not kept(SERVER_ERROR, case, response)
    transcription.error = ServiceUnavailable("the model crashed")  # not a missing engine
    assert kept(SERVER_ERROR, case, sent(owner_fuzzer, case))


def test_any_other_503_is_kept(owner_fuzzer, translation: FakeTranslation):
    translation.outage()
    case = SCHEMA["/translations"]["GET"].Case(query={"word": "gato", "source": "es"})
    response = sent(owner_fuzzer, case)

    assert response.status_code == 503
    assert kept(SERVER_ERROR, case, response)
