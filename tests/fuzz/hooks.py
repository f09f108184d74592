"""schemathesis hooks: two failures that are not the API's, each dropped only in its exact shape.

Loaded by `nox -s fuzz` (tests/fuzz/conftest.py imports it) and by `nox -s contract`
(`SCHEMATHESIS_HOOKS=tests.fuzz.hooks`), through schemathesis' public `filter_failure` hook:
every other failure, and these checks on every other request, stay as schemathesis reports them.

1. A multipart request whose bytes are valid, called schema-violating. schemathesis 4.32 mutates
   a form field's type (a title becomes the number 5, or `[null]`) and sends it as text ("5",
   "null"): a valid title. It then asks whether the body was valid as sent, but keeps a file
   part's generated value, which its validator cannot read, so the answer is always "invalid"
   and a server that rightly accepts the text fails `negative_data_rejection` (POST /videos, at
   random). Here the body is read back as the server reads it (the last value of each text
   part; a file part is any bytes) and validated against the operation's schema: only when
   that is valid is the failure dropped.
2. A server without a transcription engine. POST /videos/{video_id}/transcription answers its
   documented 503 when faster-whisper or its model is missing (as on this project's machines,
   which cannot download weights): the server is up and says what to install, so that 503,
   with that detail, is not a server error. The in-process run fakes the engine and never sees
   it.
"""

from __future__ import annotations

import json
import sys
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import jsonschema_rs
import schemathesis
from schemathesis import Case, HookContext, Response

from backend.services.transcription import ENGINE_UNAVAILABLE

MULTIPART = "multipart/form-data"
TRANSCRIBE = "POST /videos/{video_id}/transcription"


@schemathesis.hook
def filter_failure(context: HookContext, failure: Any, case: Case[Any], response: Response) -> bool:
    """False drops the failure: only the two shapes the module docstring describes. Each drop
    is said on stderr (`st run` shows it; pytest shows it with a failing test's output)."""
    if failure.code == "ST201" and case.media_type == MULTIPART:
        why = "multipart body valid as the server read it"
        keep = not multipart_body_is_valid_as_read(case, response)
    elif failure.code == "ST101" and response.status_code == 503:
        why = "503: no transcription engine on this server"
        keep = not (case.operation.label == TRANSCRIBE and engine_unavailable(response))
    else:
        return True
    if not keep:
        print(f"hooks: dropped {failure.code} on {case.operation.label}: {why}", file=sys.stderr)
    return keep


def multipart_body_is_valid_as_read(case: Case[Any], response: Response) -> bool:
    """Whether the multipart body sent is valid for the operation, read as a server reads it."""
    request = response.request
    body = request.body.encode() if isinstance(request.body, str) else request.body
    if not isinstance(body, bytes):
        return False
    content_type = request.headers.get("Content-Type", "")
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(EmailMessage, policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        return False
    return bool(body_validator(case).is_valid(dict(read_fields(message))))


def read_fields(message: EmailMessage) -> list[tuple[str, str]]:
    """Each part as a field: its text, or "" for a file part (any bytes are a valid file)."""
    fields = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(payload, bytes):
            continue
        # A repeated field: the server reads its last value (dict() keeps the last).
        fields.append(
            (name, "" if part.get_filename() is not None else payload.decode(errors="replace"))
        )
    return fields


def body_validator(case: Case[Any]) -> Any:
    """A validator of the operation's multipart body, its `$ref`s resolved in the document."""
    document = case.operation.schema.raw_schema
    body = case.operation.definition.raw["requestBody"]["content"][MULTIPART]["schema"]
    return jsonschema_rs.validator_for({**body, "components": document.get("components", {})})


def engine_unavailable(response: Response) -> bool:
    """The app's own 503 for a missing transcription engine (see ENGINE_UNAVAILABLE)."""
    try:
        detail = json.loads(response.content)["detail"]
    except (ValueError, KeyError, TypeError):
        return False
    return isinstance(detail, str) and detail.startswith(ENGINE_UNAVAILABLE)
