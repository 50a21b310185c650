"""The OpenAPI document, completed once after FastAPI generates it (:func:`install`).

Two things FastAPI does not do on its own:

* **References that resolve.** A schema built by pydantic (a request body given through
  ``openapi_extra``, a FHIR resource schema) carries its own ``$defs`` (or draft-07
  ``definitions``) and refers to them as ``#/$defs/Name``, which in the OpenAPI document
  points nowhere. :func:`hoist_definitions` moves every nested definition into
  ``components/schemas`` and rewrites the references.
* **Every status an operation can answer with.** The error responses come from one table:
  rules on what a route is (authenticated, reads the database, takes parameters, a body or
  path parameters), then :data:`OPERATION_PROBLEMS` for what only some operations do. Each
  is documented as ``application/problem+json`` with the problem schema and the problem
  types that status can carry there, so a route added later gets the common ones without
  anyone writing them down.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute

from docex.api.contract import INT32_MAX, INT32_MIN
from docex.api.definitions import COMPONENTS, hoist_definitions
from docex.api.deps import get_principal, get_runtime, get_token_use
from docex.api.multipart import MULTIPART
from docex.api.problems import INPUT, PROBLEM_JSON, PROBLEM_TYPES, TYPE_PREFIX, Problem
from docex.formats.profiles import FORMATS, json_schemas

# The problem types of a status every operation may answer with it, whatever it does.
_SERVER_ERRORS = tuple(code for code, status in PROBLEM_TYPES.items() if status == 500)
_UNAVAILABLE = ("storage-unavailable", "database-unavailable")

STATUS_DESCRIPTIONS: dict[int, str] = {
    401: "No API token, or an unknown, malformed or revoked one",
    403: "The token may not do this",
    404: "Nothing of that name that this token may see",
    406: "None of the Accept header's media types is offered",
    409: "The change contradicts what is stored",
    413: "The request body is too large",
    415: "The request body's media type is not accepted, or it is not a signature",
    422: "A parameter or the body is invalid",
    429: "Too many requests from this client or token: retry after `Retry-After` seconds",
    500: "Internal error; nothing the client can change",
    503: "The database or the object store is unavailable: try again later",
}

OPERATION_PROBLEMS: dict[tuple[str, str], dict[int, tuple[str, ...]]] = {
    ("POST", "/api/v1/documents"): {
        403: ("signer-not-authorized", "author-mismatch"),
        404: ("not-found",),
        409: ("idempotency-conflict", "conflict", "transition", "document-reused"),
        415: ("not-a-signature",),
        422: ("signature-rejected", "signed-content", "content-mismatch"),
    },
    ("GET", "/api/v1/documents/{document_id}/report"): {406: ("not-acceptable",)},
    ("POST", "/api/v1/referrals/take"): {404: ("not-found",), 409: ("transition",)},
    ("POST", "/api/v1/referrals/{referral_id}/take"): {409: ("transition",)},
    ("POST", "/api/v1/referrals/{referral_id}/release"): {409: ("transition",)},
    ("POST", "/api/v1/deliveries/{delivery_id}/ack"): {
        403: ("signer-not-authorized", "author-mismatch"),
        409: ("transition", "conflict", "idempotency-conflict", "document-reused"),
        415: ("not-a-signature",),
        422: ("signature-rejected", "signed-content", "content-mismatch"),
    },
    ("GET", "/api/v1/webhook"): {404: ("not-found",)},
    ("DELETE", "/api/v1/webhook"): {404: ("not-found",)},
    ("POST", "/api/v1/webhook/events/{event_id}/replay"): {409: ("conflict",)},
    ("POST", "/api/v1/documents/{document_id}/revalidate"): {409: ("revalidation-limit",)},
}
"""The problems only some operations produce, by ``(METHOD, path template)``, added to
those the rules in :func:`route_problems` give every operation of their kind."""

REQUEST_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    # The handler reads the optional receipt form itself, so FastAPI cannot see it.
    ("POST", "/api/v1/deliveries/{delivery_id}/ack"): {
        "required": False,
        "description": "Optionally, a signed receipt, verified like any other document.",
        "content": {
            MULTIPART: {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "The signed receipt (CAdES or PAdES).",
                        }
                    },
                }
            }
        },
    },
}
"""Request bodies read by a handler itself, for operations that do not document their own."""


OTHER_RESPONSES: dict[tuple[str, str], dict[int, dict[str, Any]]] = {
    ("GET", "/api/v1/documents/{document_id}/content"): {
        304: {
            "description": "Not modified: `If-None-Match` names the content's ETag",
            "headers": {"ETag": {"required": True, "schema": {"type": "string"}}},
        }
    },
}
"""Statuses other than problems that a handler answers with on its own, for operations
that do not document them themselves."""


@dataclass(frozen=True)
class RouteFacts:
    """What the rules need to know about a route."""

    authenticated: bool
    uses_runtime: bool
    has_parameters: bool
    has_path_parameters: bool
    has_body: bool


def route_problems(facts: RouteFacts) -> dict[int, tuple[str, ...]]:
    """The problem types, by status, any route of this kind can answer with."""
    found: dict[int, tuple[str, ...]] = {500: _SERVER_ERRORS}
    if facts.uses_runtime:
        found[503] = _UNAVAILABLE
    if facts.authenticated:
        found[401] = ("authentication",)
        found[403] = ("forbidden",)
        found[429] = ("rate-limited",)
    if facts.has_parameters or facts.has_body:
        found[422] = (INPUT,)
    if facts.has_path_parameters:
        found[404] = ("not-found",)
    if facts.has_body:
        found[413] = ("too-large",)
        found[415] = ("unsupported-media-type",)
    return found


def operation_problems(method: str, path: str, facts: RouteFacts) -> dict[int, tuple[str, ...]]:
    """Every problem type, by status, the operation can answer with: rules, then table."""
    found = route_problems(facts)
    for status, codes in OPERATION_PROBLEMS.get((method, path), {}).items():
        found[status] = tuple(dict.fromkeys((*found.get(status, ()), *codes)))
    return found


def install(app: FastAPI) -> None:
    """Complete ``app``'s OpenAPI document the first time it is asked for, then keep it."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(generate(), app.routes)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented override


def complete(document: dict[str, Any], routes: Iterable[BaseRoute]) -> dict[str, Any]:
    """The document with request bodies, problem responses and resolvable references."""
    document = copy.deepcopy(document)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = Problem.model_json_schema(by_alias=True)
    for context in iter_route_contexts(list(routes)):
        route = context.original_route
        path = context.path_format
        if not isinstance(route, APIRoute) or not route.include_in_schema or path is None:
            continue
        operations = document.get("paths", {}).get(path, {})
        for method in context.methods or ():
            operation = operations.get(method.lower())
            if operation is None:
                continue
            body = REQUEST_BODIES.get((method, path))
            if body is not None and "requestBody" not in operation:
                operation["requestBody"] = copy.deepcopy(body)
            responses = operation.setdefault("responses", {})
            for status, response in OTHER_RESPONSES.get((method, path), {}).items():
                responses.setdefault(str(status), copy.deepcopy(response))
            _bound_integers(operation)
            facts = _facts(route, operation)
            _document_problems(operation, operation_problems(method, path, facts))
    _publish_signed_formats(document)
    _drop_unused(document, ("HTTPValidationError", "ValidationError"))
    return hoist_definitions(document)


def _publish_signed_formats(document: dict[str, Any]) -> None:
    """Each signed format's schema as a component, named from the submission operation.

    The submission's body carries the signature; what is signed is one of these (see
    docs/formats.md). ``x-signed-content`` on the operation maps each document kind to
    the formats it accepts.
    """
    schemas = document["components"]["schemas"]
    published = json_schemas()
    for name, schema in published.items():
        component = dict(schema)
        # An $id would make the references inside resolve against it, not the document.
        component.pop("$id", None)
        schemas[_format_component(name)] = component
    by_kind = {
        kind.value: [
            {"$ref": f"{COMPONENTS}{_format_component(format_name)}"}
            for format_name, _ in profiles.values()
        ]
        for kind, profiles in FORMATS.items()
    }
    for method, path in (
        ("post", "/api/v1/documents"),
        ("post", "/api/v1/deliveries/{delivery_id}/ack"),
    ):
        operation = document.get("paths", {}).get(path, {}).get(method)
        if operation is not None:
            operation["x-signed-content"] = by_kind


def _format_component(format_name: str) -> str:
    return "Signed-" + format_name.replace("/", "-")


def _bound_integers(operation: dict[str, Any]) -> None:
    """Document the range the request contract enforces on an integer parameter that
    declares none: an ``INTEGER`` column's."""
    for parameter in operation.get("parameters", ()):
        schema = parameter.get("schema", {})
        for option in [schema, *schema.get("anyOf", ()), *schema.get("oneOf", ())]:
            if option.get("type") != "integer":
                continue
            if "minimum" not in option and "exclusiveMinimum" not in option:
                option["minimum"] = INT32_MIN
            if "maximum" not in option and "exclusiveMaximum" not in option:
                option["maximum"] = INT32_MAX
                option.setdefault("format", "int32")


def _facts(route: APIRoute, operation: Mapping[str, Any]) -> RouteFacts:
    calls = set(_calls(route.dependant))
    parameters = operation.get("parameters", ())
    return RouteFacts(
        authenticated=get_principal in calls or get_token_use in calls,
        uses_runtime=get_runtime in calls,
        has_parameters=bool(parameters),
        has_path_parameters=any(p.get("in") == "path" for p in parameters),
        has_body="requestBody" in operation,
    )


def _calls(dependant: Dependant) -> Iterable[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _document_problems(operation: dict[str, Any], problems: Mapping[int, tuple[str, ...]]) -> None:
    responses = operation.setdefault("responses", {})
    for status in sorted(problems):
        codes = problems[status]
        declared = responses.get(str(status), {})
        # Keep a route's own description; FastAPI's default one for 422 is not ours.
        description = declared.get("description")
        if description is None or description == "Validation Error":
            description = STATUS_DESCRIPTIONS.get(status, "Error")
        response: dict[str, Any] = {
            "description": description,
            "content": {PROBLEM_JSON: {"schema": problem_schema(status, codes)}},
        }
        headers = _headers(status, codes)
        if headers:
            response["headers"] = headers
        responses[str(status)] = response


def problem_schema(status: int, codes: Iterable[str]) -> dict[str, Any]:
    """The problem body a status carries, its ``type`` one of ``codes``."""
    return {
        "allOf": [{"$ref": f"{COMPONENTS}Problem"}],
        "properties": {
            "type": {"enum": [f"{TYPE_PREFIX}{code}" for code in codes]},
            "status": {"const": status},
        },
    }


def _headers(status: int, codes: tuple[str, ...]) -> dict[str, Any]:
    string = {"type": "string"}
    if status == 401:
        return {"WWW-Authenticate": {"required": True, "schema": string}}
    if status in (429, 503):
        return {
            "Retry-After": {
                "required": True,
                "description": "Seconds to wait before trying again.",
                "schema": string,
            }
        }
    if status == 415 and "unsupported-media-type" in codes:
        return {
            "Accept": {
                "description": "The media types the operation accepts.",
                "schema": string,
            }
        }
    return {}


def _drop_unused(document: dict[str, Any], names: Iterable[str]) -> None:
    schemas = document["components"]["schemas"]
    remaining = [name for name in names if name in schemas]
    # Dropping one may leave another unused (HTTPValidationError holds ValidationError).
    while True:
        used = set(_references(document))
        unused = [name for name in remaining if f"{COMPONENTS}{name}" not in used]
        if not unused:
            return
        for name in unused:
            del schemas[name]
            remaining.remove(name)


def _references(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        reference = node.get("$ref")
        if isinstance(reference, str):
            yield reference
        for value in node.values():
            yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)
