"""Dependencies the routes declare: the container the app was built with, and the
authenticated principal; and the one every route gets (:func:`check_request_contract`):
the request's body media type and date-time parameters are what the operation documents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import iter_route_contexts
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import TypeAdapter, ValidationError

from docex.composition import Container
from docex.errors import AuthenticationError, InvalidParameterError, UnsupportedMediaTypeError
from docex.registry.records import Principal
from docex.services.authentication import authenticate_request

_bearer = HTTPBearer(auto_error=False, description="An API token issued by `docex token issue`.")


def get_runtime(request: Request) -> Container:
    """The container the composition root built in the app's lifespan."""
    container: Container = request.app.state.runtime
    return container


RuntimeDep = Annotated[Container, Depends(get_runtime)]


async def get_principal(
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Who the request speaks for; every API call needs a valid bearer token.

    FastAPI resolves a dependency once per request, so each request records one use.
    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationError("an API token is required (Authorization: Bearer …)")
    return await run_in_threadpool(
        authenticate_request,
        sessions=runtime.sessions,
        policy=runtime.token_policy,
        token=credentials.credentials,
        method=request.method,
        path=request.url.path,
    )


PrincipalDep = Annotated[Principal, Depends(get_principal)]


# ----------------------------------------------------------------- the request contract


@dataclass(frozen=True)
class OperationContract:
    """What one operation's OpenAPI description promises about the request it accepts."""

    media_types: tuple[str, ...]
    """The request body's media types; empty if the operation documents no body."""
    datetime_params: tuple[tuple[str, str], ...]
    """``(location, name)`` of every parameter whose schema is a ``date-time``."""
    integer_params: tuple[tuple[str, str, int, int], ...] = ()
    """``(location, name, minimum, maximum)`` of every integer parameter."""


INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
"""The range of an integer parameter that declares none: what an ``INTEGER`` column of
PostgreSQL holds (identifiers are such columns). A route that takes larger numbers says
so with its own bounds."""


_DATETIME: TypeAdapter[datetime] = TypeAdapter(datetime)


def _options(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [schema, *schema.get("anyOf", ()), *schema.get("oneOf", ())]


def _is_datetime(schema: dict[str, Any]) -> bool:
    return any(option.get("format") == "date-time" for option in _options(schema))


def _integer_range(schema: dict[str, Any]) -> tuple[int, int] | None:
    for option in _options(schema):
        if option.get("type") == "integer":
            low = option.get("minimum", INT32_MIN)
            high = option.get("maximum", INT32_MAX)
            if "exclusiveMinimum" in option:
                low = option["exclusiveMinimum"] + 1
            if "exclusiveMaximum" in option:
                high = option["exclusiveMaximum"] - 1
            return int(low), int(high)
    return None


def operation_contracts(document: dict[str, Any]) -> dict[tuple[str, str], OperationContract]:
    """Each operation's contract, by ``(METHOD, path template)``, read from ``document``.

    The OpenAPI document is the one description of what the API accepts, so the checks
    below enforce exactly what it says, for routes added later too.
    """
    contracts = {}
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {})
            parameters = operation.get("parameters", ())
            contracts[(method.upper(), path)] = OperationContract(
                media_types=tuple(body),
                datetime_params=tuple(
                    (p["in"], p["name"]) for p in parameters if _is_datetime(p.get("schema", {}))
                ),
                integer_params=tuple(
                    (p["in"], p["name"], *bounds)
                    for p in parameters
                    if (bounds := _integer_range(p.get("schema", {}))) is not None
                ),
            )
    return contracts


def _contract(request: Request) -> OperationContract | None:
    app = request.app
    contracts: dict[tuple[str, str], OperationContract] | None = getattr(
        app.state, "operation_contracts", None
    )
    if contracts is None:
        contracts = operation_contracts(app.openapi())
        app.state.operation_contracts = contracts
        # The route FastAPI puts in the scope knows its path within its router; the
        # document knows the path as served, prefixes of every inclusion included.
        app.state.served_paths = {
            id(context.original_route): context.path_format
            for context in iter_route_contexts(app.routes)
        }
    path = app.state.served_paths.get(id(request.scope.get("route")))
    if path is None:
        return None
    return contracts.get((request.method, path))


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    if length is not None:
        return length.strip() not in ("", "0")
    return "transfer-encoding" in request.headers


async def check_request_contract(request: Request) -> None:
    """Refuse, before anything else reads it, a request its operation does not accept.

    Installed once for every route (``create_app``): a body in a media type the operation
    does not document is 415 ``unsupported-media-type``; a date-time parameter without a
    time zone is the 422 ``input`` problem naming it, since signing and validation times
    are legal instants and a naive one would be read in whatever zone the server runs in;
    so is an integer parameter outside its documented range (by default what a database
    ``INTEGER`` holds), which would otherwise fail inside the database driver.
    """
    contract = _contract(request)
    if contract is None:
        return
    if contract.media_types and _has_body(request):
        given = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if given not in contract.media_types:
            accepted = ", ".join(contract.media_types)
            shown = f"Content-Type {given}" if given else "no Content-Type"
            raise UnsupportedMediaTypeError(
                f"{shown}: this operation accepts {accepted}", accepted=contract.media_types
            )
    for location, name in contract.datetime_params:
        values = _values(request, location, name)
        for value in values:
            try:
                parsed = _DATETIME.validate_python(value)
            except ValidationError:
                continue  # Not a date-time at all: the framework's validation says so.
            if parsed.tzinfo is None or parsed.utcoffset() is None:
                raise InvalidParameterError(
                    name,
                    location,
                    "needs a time zone: an RFC 3339 date-time such as 2026-12-01T00:00:00Z "
                    "or 2026-12-01T00:00:00+02:00",
                )

    for location, name, low, high in contract.integer_params:
        for value in _values(request, location, name):
            try:
                number = int(value)
            except ValueError:
                continue  # Not an integer: the framework's validation says so.
            if not low <= number <= high:
                raise InvalidParameterError(name, location, f"is out of range: {low} to {high}")


def _values(request: Request, location: str, name: str) -> list[str]:
    if location == "query":
        return request.query_params.getlist(name)
    if location == "header":
        return request.headers.getlist(name)
    if location == "path":
        value = request.path_params.get(name)
        return [value] if isinstance(value, str) else []
    return []


RequestContract = Depends(check_request_contract)
"""The app-wide dependency enforcing each operation's documented request contract."""


async def close_request_body(request: Request) -> AsyncIterator[None]:
    """Close the files of a multipart form the handler parsed, whatever became of it.

    A handler that reads ``request.form()`` itself and refuses the form (a missing part,
    a field that does not validate) leaves its spooled files open until the garbage
    collector finds them; this closes them when the request is done.
    """
    try:
        yield
    finally:
        await request.close()


ClosingRequestBody = Depends(close_request_body)
"""The app-wide dependency that closes what a handler left open of the request body."""
