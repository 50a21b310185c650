"""The published OpenAPI document: valid, every reference resolving, every status an
operation can answer with documented as a problem of the types it can carry."""

from __future__ import annotations

import asyncio
import copy
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Query
from openapi_spec_validator import validate

from docex.api.app import create_app
from docex.api.contract import operation_contracts
from docex.api.definitions import hoist_definitions
from docex.api.deps import PrincipalDep
from docex.api.openapi import (
    OPERATION_PROBLEMS,
    OTHER_RESPONSES,
    REQUEST_BODIES,
)
from docex.api.problems import PROBLEM_JSON, PROBLEM_TYPES, TYPE_PREFIX
from docex.settings import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    published: dict[str, Any] = create_app(Settings()).openapi()
    return published


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method.upper(), path, operation


def references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from references(value)
    elif isinstance(node, list):
        for item in node:
            yield from references(item)


def resolve(document: dict[str, Any], reference: str) -> Any:
    assert reference.startswith("#/"), reference
    node: Any = document
    for part in reference[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)


def test_every_reference_resolves_and_no_nested_defs_remain(document: dict[str, Any]) -> None:
    found = set(references(document))
    assert f"{'#/components/schemas/'}DocumentKind" in found
    for reference in found:
        assert isinstance(resolve(document, reference), dict), reference
    assert "$defs" not in repr(document)


def test_fastapi_validation_schemas_are_gone(document: dict[str, Any]) -> None:
    # docex never answers with FastAPI's HTTPValidationError: it is the input problem.
    assert {"HTTPValidationError", "ValidationError"}.isdisjoint(document["components"]["schemas"])


def documented_problems(operation: dict[str, Any]) -> dict[int, set[str]]:
    """The problem types each problem response of ``operation`` documents, by status."""
    found = {}
    for status, response in operation["responses"].items():
        content = response.get("content", {})
        if PROBLEM_JSON not in content:
            continue
        schema = content[PROBLEM_JSON]["schema"]
        assert schema["allOf"] == [{"$ref": "#/components/schemas/Problem"}]
        assert schema["properties"]["status"] == {"const": int(status)}
        found[int(status)] = {
            t.removeprefix(TYPE_PREFIX) for t in schema["properties"]["type"]["enum"]
        }
    return found


def test_every_operation_documents_the_problems_of_its_kind(document: dict[str, Any]) -> None:
    # Read from the document alone, not from the rules that wrote it.
    for method, path, operation in operations(document):
        problems = documented_problems(operation)
        where = f"{method} {path}"
        assert "internal" in problems[500], where
        parameters = operation.get("parameters", [])
        if operation.get("security"):
            assert {"authentication"} <= problems[401], where
            assert {"forbidden"} <= problems[403], where
            assert problems[429] == {"rate-limited"}, where
            assert "Retry-After" in operation["responses"]["429"]["headers"], where
            assert {"database-unavailable", "storage-unavailable"} <= problems[503], where
        if parameters or "requestBody" in operation:
            assert INPUT_TYPES <= problems[422], where
        if any(p["in"] == "path" for p in parameters):
            assert "not-found" in problems[404], where
        if "requestBody" in operation:
            assert "too-large" in problems[413], where
            assert "unsupported-media-type" in problems[415], where
        for status, types in problems.items():
            assert {PROBLEM_TYPES[t] for t in types} == {status}, (where, status)
        # Every response other than the problems is a success or a redirect.
        assert all(int(s) < 400 for s in operation["responses"] if int(s) not in problems)


INPUT_TYPES = {"input"}


def test_operations_that_refuse_signatures_document_it(document: dict[str, Any]) -> None:
    submit = documented_problems(document["paths"]["/api/v1/documents"]["post"])
    assert submit[403] == {"forbidden", "signer-not-authorized", "author-mismatch"}
    assert submit[415] == {"unsupported-media-type", "not-a-signature"}
    assert submit[422] == {"input", "signature-rejected", "signed-content", "content-mismatch"}
    assert submit[409] == {"idempotency-conflict", "conflict", "transition", "document-reused"}
    report = documented_problems(document["paths"]["/api/v1/documents/{document_id}/report"]["get"])
    assert report[406] == {"not-acceptable"}
    health = documented_problems(document["paths"]["/healthz"]["get"])
    assert set(health) == {500}


def test_the_tables_name_only_operations_that_exist(document: dict[str, Any]) -> None:
    published = {(method, path) for method, path, _ in operations(document)}
    assert set(OPERATION_PROBLEMS) <= published
    assert set(REQUEST_BODIES) <= published
    assert set(OTHER_RESPONSES) <= published


def test_problem_responses_carry_their_headers(document: dict[str, Any]) -> None:
    operation = document["paths"]["/api/v1/inbox"]["get"]
    assert operation["responses"]["401"]["headers"]["WWW-Authenticate"]["required"] is True
    assert operation["responses"]["503"]["headers"]["Retry-After"]["required"] is True


def test_a_route_added_later_gets_the_common_problems_and_the_contract() -> None:
    app = create_app(Settings())
    router = APIRouter(prefix="/api/v1/later")

    @router.get("/{thing_id}")
    def later(
        thing_id: int,
        principal: PrincipalDep,
        since: Annotated[datetime | None, Query()] = None,
    ) -> dict[str, str]:
        """A route another engineer adds."""
        return {"since": str(since)}

    app.include_router(router)
    document = app.openapi()
    operation = document["paths"]["/api/v1/later/{thing_id}"]["get"]
    assert set(documented_problems(operation)) == {401, 403, 404, 422, 429, 500, 503}
    contract = operation_contracts(document)[("GET", "/api/v1/later/{thing_id}")]
    assert contract.datetime_params == (("query", "since"),)
    # The contract is checked before authentication: no lifespan, no database needed.
    response = asyncio.run(_get(app, "/api/v1/later/1", {"since": "2026-12-01"}))
    assert response.status_code == 422
    assert response.json()["invalid_params"][0]["name"] == "since"


async def _get(app: FastAPI, path: str, params: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://docex") as client:
        return await client.get(path, params=params)


def test_nested_definitions_are_hoisted_with_their_references() -> None:
    inner = {
        "type": "object",
        "properties": {"kind": {"$ref": "#/$defs/Kind"}, "other": {"$ref": "#/$defs/Other"}},
        "$defs": {
            "Kind": {"enum": ["a", "b"], "type": "string"},
            # Refers to a sibling definition, and clashes with a different component.
            "Other": {"type": "object", "properties": {"k": {"$ref": "#/$defs/Kind"}}},
        },
    }
    document = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/x": {
                "post": {
                    "requestBody": {"content": {"application/json": {"schema": inner}}},
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
        "components": {
            "schemas": {
                "Kind": {"enum": ["a", "b"], "type": "string"},
                "Other": {"type": "integer"},
            }
        },
    }
    hoisted = hoist_definitions(copy.deepcopy(document))
    validate(hoisted)
    schema = hoisted["paths"]["/x"]["post"]["requestBody"]["content"]["application/json"]
    body = schema["schema"]
    assert "$defs" not in body
    # An equal definition is the component; a different one gets a name of its own.
    assert body["properties"]["kind"] == {"$ref": "#/components/schemas/Kind"}
    assert body["properties"]["other"] == {"$ref": "#/components/schemas/Other2"}
    components = hoisted["components"]["schemas"]
    assert components["Other"] == {"type": "integer"}
    assert components["Other2"]["properties"]["k"] == {"$ref": "#/components/schemas/Kind"}
    assert "Kind2" not in components
    for reference in references(hoisted):
        resolve(hoisted, reference)


def test_the_readme_error_table_lists_every_problem_type_and_status() -> None:
    start = README.index("| status | `type` | when |")
    table = README[start : README.index("\n\n", start)]
    rows = re.findall(r"^\| (\d{3}) \| ([^|]+) \|", table, re.MULTILINE)
    listed: dict[str, int] = {}
    for status, types in rows:
        for code in re.findall(r"`urn:docex:problem:([a-z-]+)`", types):
            assert code not in listed, code
            listed[code] = int(status)
    assert listed == PROBLEM_TYPES


def test_draft7_definitions_are_hoisted_and_data_is_left_alone() -> None:
    # The shape of the published FHIR JSON schema: draft-07 "definitions", and a
    # property that happens to be called "definitions" next to an example holding "$ref".
    example = {"$ref": "#/definitions/HumanName", "definitions": {"a": {}}}
    fhir = {
        "definitions": {
            "Patient": {
                "type": "object",
                "properties": {
                    "name": {"type": "array", "items": {"$ref": "#/definitions/HumanName"}},
                    "definitions": {"type": "string"},
                },
                "example": example,
            },
            "HumanName": {"type": "object", "properties": {"text": {"type": "string"}}},
        },
        "oneOf": [{"$ref": "#/definitions/Patient"}],
    }
    document = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/fhir": {
                "post": {
                    "requestBody": {"content": {"application/fhir+json": {"schema": fhir}}},
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
    }
    hoisted = hoist_definitions(copy.deepcopy(document))
    validate(hoisted)
    body = hoisted["paths"]["/fhir"]["post"]["requestBody"]["content"]["application/fhir+json"]
    assert body["schema"] == {"oneOf": [{"$ref": "#/components/schemas/Patient"}]}
    patient = hoisted["components"]["schemas"]["Patient"]
    assert patient["properties"]["name"]["items"] == {"$ref": "#/components/schemas/HumanName"}
    assert patient["properties"]["definitions"] == {"type": "string"}
    assert patient["example"] == example
    assert set(hoisted["components"]["schemas"]) == {"Patient", "HumanName"}


def test_every_integer_parameter_documents_its_range(document: dict[str, Any]) -> None:
    # The request contract enforces exactly these bounds; without them a client could
    # not know that an identifier past a database INTEGER is refused.
    seen = 0
    for method, path, operation in operations(document):
        for parameter in operation.get("parameters", []):
            schema = parameter["schema"]
            for option in [schema, *schema.get("anyOf", [])]:
                if option.get("type") == "integer":
                    seen += 1
                    assert option["minimum"] >= -(2**31), (method, path, parameter["name"])
                    assert option["maximum"] <= 2**31 - 1, (method, path, parameter["name"])
    assert seen >= 6
