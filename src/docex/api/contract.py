"""The request contract: what every operation's OpenAPI description promises about the
requests it accepts, enforced for every route by one app-wide dependency.

``create_app`` installs :data:`RequestContract` (and :data:`ClosingRequestBody`) on the
app, so a route gets them without declaring anything: its body media types, date-time and
integer parameters are read from the OpenAPI document (:func:`operation_contracts`), and
a request outside them is refused as a problem before the handler runs.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Depends, Request
from fastapi.routing import iter_route_contexts
from pydantic import TypeAdapter, ValidationError

from docex.errors import InvalidParameterError, UnsupportedMediaTypeError


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
    does not document is 415 ``unsupported-media-type``; these are the 422 ``input``
    problem naming the parameter or field:

    * a date-time parameter without a time zone: signing and validation times are legal
      instants, and a naive one would be read in whatever zone the server runs in;
    * an integer parameter outside its documented range (by default what a database
      ``INTEGER`` holds), and a parameter or JSON body field holding U+0000: both would
      otherwise fail inside the database driver, as a 500.
    """
    contract = _contract(request)
    if contract is None:
        return
    if contract.media_types and _has_body(request):
        await _check_body(request, contract.media_types)
    for location, name in _parameters_with_nul(request):
        raise InvalidParameterError(name, location, NUL_REASON)
    for location, name in contract.datetime_params:
        for value in _values(request, location, name):
            _check_datetime(name, location, value)
    for location, name, low, high in contract.integer_params:
        for value in _values(request, location, name):
            _check_integer(name, location, value, low, high)


async def _check_body(request: Request, accepted: tuple[str, ...]) -> None:
    given = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if given not in accepted:
        shown = f"Content-Type {given}" if given else "no Content-Type"
        raise UnsupportedMediaTypeError(
            f"{shown}: this operation accepts {', '.join(accepted)}", accepted=accepted
        )
    if given == "application/json":
        field = _json_field_with_nul(await request.body())
        if field is not None:
            raise InvalidParameterError(field, "body", NUL_REASON)


def _check_datetime(name: str, location: str, value: str) -> None:
    try:
        parsed = _DATETIME.validate_python(value)
    except ValidationError:
        return  # Not a date-time at all: the framework's validation says so.
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise InvalidParameterError(
            name,
            location,
            "needs a time zone: an RFC 3339 date-time such as 2026-12-01T00:00:00Z "
            "or 2026-12-01T00:00:00+02:00",
        )


def _check_integer(name: str, location: str, value: str, low: int, high: int) -> None:
    try:
        number = int(value)
    except ValueError:
        return  # Not an integer: the framework's validation says so.
    if not low <= number <= high:
        raise InvalidParameterError(name, location, f"is out of range: {low} to {high}")


NUL_REASON = "may not contain the NUL character (U+0000)"
"""Why a text with U+0000 is refused: PostgreSQL's text columns cannot hold it, so it
would fail inside the database instead of being refused as input."""


def _parameters_with_nul(request: Request) -> Iterator[tuple[str, str]]:
    for name, value in request.query_params.multi_items():
        if "\x00" in name or "\x00" in value:
            yield "query", name
    for name, value in request.path_params.items():
        if isinstance(value, str) and "\x00" in value:
            yield "path", name


def _json_field_with_nul(body: bytes) -> str | None:
    """The dotted path of a JSON string (or key) holding U+0000, if any."""
    # JSON can carry U+0000 only escaped; a body without the escape has none, and large
    # submissions are not parsed a second time to find that out.
    if b"\\u0000" not in body:
        return None
    try:
        document = json.loads(body)
    except ValueError:
        return None  # Not JSON: the framework's or the handler's parsing says so.
    return _find_nul(document, ())


def _find_nul(node: object, path: tuple[str, ...]) -> str | None:
    if isinstance(node, str):
        return (".".join(path) or "body") if "\x00" in node else None
    items: Iterable[tuple[str, object]] = ()
    if isinstance(node, dict):
        for key in node:
            if "\x00" in key:
                return ".".join((*path, key))
        items = node.items()
    elif isinstance(node, list):
        items = ((str(index), item) for index, item in enumerate(node))
    for key, value in items:
        found = _find_nul(value, (*path, key))
        if found is not None:
            return found
    return None


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
