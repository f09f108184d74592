"""The committed openapi.json is the contract the app serves, and the contract is coherent.

A change to the API's contract shows in review as a diff of openapi.json; after a deliberate
change, `python -m nox -s openapi` regenerates it.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from backend.openapi import DOCUMENT, REGENERATE, difference, main, served_document
from backend.services.vocabulary import WORD_PATTERN
from tests.helpers import openapi_operations
from tools import ROOT

COMMITTED = ROOT / DOCUMENT


def links(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(operationId of the source, link name, link) for every link of every response."""
    return [
        (operation["operationId"], name, link)
        for item in schema["paths"].values()
        for operation in item.values()
        for response in operation["responses"].values()
        for name, link in response.get("links", {}).items()
    ]


def test_the_committed_document_is_what_the_app_serves():
    diff = difference(COMMITTED.read_text(encoding="utf-8"), served_document())

    assert not diff, f"openapi.json is out of date: run `{REGENERATE}`\n{diff}"


async def test_the_app_serves_the_committed_document_over_http(client: httpx.AsyncClient):
    response = await client.get("/openapi.json")

    assert response.status_code == 200
    assert response.json() == json.loads(COMMITTED.read_text(encoding="utf-8"))


def test_creations_link_to_the_operations_that_read_what_they_made(app: FastAPI):
    schema = app.openapi()
    by_id = {op["operationId"]: op for op in openapi_operations(app).values()}
    found = links(schema)

    sources = {source for source, _, _ in found}
    assert {
        "create_video_videos_post",
        "create_game_games_post",
        "mark_word_vocabulary__language___word__put",
    } <= sources
    for source, name, link in found:
        target = by_id.get(link["operationId"])
        assert target is not None, f"{source} link {name} names no operation"
        accepted = {parameter["name"] for parameter in target.get("parameters", [])}
        assert set(link.get("parameters", {})) <= accepted, f"{source} link {name}"
        assert "requestBody" not in link or "requestBody" in target, f"{source} link {name}"


@pytest.mark.parametrize(
    ("path", "location"), [("/translations", "query"), ("/vocabulary/{language}/{word}", "path")]
)
def test_the_word_rule_is_the_one_of_the_vocabulary_service(app: FastAPI, path: str, location: str):
    """One rule, one place: the schema's pattern is the service's, and so is the check."""
    [operation] = app.openapi()["paths"][path].values()
    [word] = [p for p in operation["parameters"] if p["name"] == "word" and p["in"] == location]

    assert word["schema"]["pattern"] == WORD_PATTERN
    assert "stop-word" in word["description"]


def schemas_in(node: Any) -> list[dict[str, Any]]:
    """Every JSON Schema object (a dict with a `type`) in `node`, nested ones included."""
    if isinstance(node, dict):
        own = [node] if isinstance(node.get("type"), str) else []
        return own + [found for value in node.values() for found in schemas_in(value)]
    if isinstance(node, list):
        return [found for value in node for found in schemas_in(value)]
    return []


def test_every_bound_is_written_in_json_schema_keywords(app: FastAPI):
    """pydantic writes a bound it cannot place as `ge`/`le`/`gt`/`lt`, which validators and
    clients ignore: the optional game seed's range was invisible that way."""
    misplaced = [s for s in schemas_in(app.openapi()) if {"ge", "le", "gt", "lt"} & set(s)]

    assert misplaced == []
    assert any("minimum" in schema for schema in schemas_in(app.openapi()))


def test_no_integer_bound_is_a_float_past_what_a_double_holds(app: FastAPI):
    """FastAPI writes bounds as floats: 2**63 - 1 would come out as 2**63, and validators
    comparing in doubles would call 2**63 + 191 valid. Every bound must survive the trip."""

    def bounds(node: Any) -> list[float]:
        if isinstance(node, dict):
            own = [
                value
                for key, value in node.items()
                if key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
            ]
            return own + [b for value in node.values() for b in bounds(value)]
        if isinstance(node, list):
            return [b for value in node for b in bounds(value)]
        return []

    found = bounds(app.openapi())
    assert found
    assert all(abs(bound) <= 2**53 for bound in found), found


def test_the_command_writes_the_document_and_checks_it(tmp_path, capsys):
    """`python -m backend.openapi` (what `nox -s openapi` runs): write, then `--check` passes
    until the file changes, and then shows the diff and the command that fixes it."""
    document = tmp_path / "openapi.json"

    assert main(["--output", str(document)]) == 0
    assert document.read_text(encoding="utf-8") == COMMITTED.read_text(encoding="utf-8")
    assert main(["--check", "--output", str(document)]) == 0

    document.write_text(document.read_text(encoding="utf-8").replace('"3.1.0"', '"3.0.3"'))
    capsys.readouterr()

    assert main(["--check", "--output", str(document)]) == 1
    shown = capsys.readouterr().out
    assert REGENERATE in shown
    assert '-  "openapi": "3.0.3",' in shown
    assert '+  "openapi": "3.1.0",' in shown


@pytest.mark.parametrize(
    ("path", "method", "code"),
    [
        ("/auth/register", "post", "REGISTER_USER_ALREADY_EXISTS"),
        ("/users/me", "patch", "UPDATE_USER_EMAIL_ALREADY_EXISTS"),
    ],
)
def test_an_email_taken_is_documented_as_the_409_it_is(
    app: FastAPI, path: str, method: str, code: str
):
    """FastAPI-Users documents it under 400; the UserManager answers 409."""
    responses = app.openapi()["paths"][path][method]["responses"]

    def examples(status: str) -> dict[str, Any]:
        found: dict[str, Any] = responses[status]["content"]["application/json"]["examples"]
        return found

    assert code in examples("409")
    assert code not in examples("400")
    assert examples("400")  # the invalid-password example stays where it is answered
