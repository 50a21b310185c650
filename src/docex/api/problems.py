"""Errors to RFC 9457 problem documents: the one place the API maps our exceptions.

Every problem has a stable ``type`` (``urn:docex:problem:<code>``) that clients may switch on,
a ``title``, a human ``detail``, and for signature problems the full validation report.
:data:`PROBLEM_TYPES` lists every type the API returns, with its status; the README's error
table and the OpenAPI document (:mod:`docex.api.openapi`) are checked against it.

Every input error, whether the framework found it (a malformed parameter or body) or one of
our services did (:class:`~docex.errors.InputError`), is one type, ``input``, status 422;
when the problem is in a named parameter, ``invalid_params`` says which.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from docex import errors

log = logging.getLogger("docex.api")

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:docex:problem:"

INPUT = "input"
"""The one problem type of every input error."""


class InvalidParam(BaseModel):
    """One request parameter or body field that was refused, and why."""

    name: str = Field(description="The parameter's name, or the body field's dotted path.")
    location: str = Field(
        alias="in", description="Where it was: `query`, `path`, `header` or `body`."
    )
    reason: str

    model_config = ConfigDict(populate_by_name=True)


class Problem(BaseModel):
    """An RFC 9457 problem document; clients switch on ``type``."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="`urn:docex:problem:<code>`: stable, see the README.")
    title: str
    status: int
    detail: str
    validation_report: dict[str, Any] | None = Field(
        default=None, description="For refused signatures: the full validation report."
    )
    invalid_params: list[InvalidParam] | None = Field(
        default=None, description="For input errors: the parameters or fields refused."
    )
    field: str | None = Field(
        default=None,
        description="For `content-mismatch`: the request field that differs from the signed "
        "content.",
    )
    path: str | None = Field(
        default=None,
        description="For `signed-content`: where in the signed JSON the problem is, e.g. "
        "`subject.identifier`.",
    )


# (error class, status, problem code or None for the class's own, title); the first
# class that matches wins, so subclasses come before their bases. Input errors at 422 all
# share the ``input`` type: a client handles a bad parameter the same way whichever layer
# found it. A trust or settings error met while serving a request is the deployment's
# fault, not the caller's: 500.
_STATUS: list[tuple[type[errors.DocexError], int, str | None, str]] = [
    (errors.AuthorMismatchError, 403, None, "Signer is not the author the content names"),
    (errors.SignatureRejectedError, 422, None, "Signature not valid or not qualified"),
    (errors.SignerNotAuthorizedError, 403, None, "Signer not authorised for this facility"),
    (errors.InputTooLargeError, 413, None, "Request too large"),
    (errors.NotASignatureError, 415, None, "Not a signature"),
    (errors.UnsupportedMediaTypeError, 415, None, "Unsupported media type"),
    (errors.TrustConfigError, 500, None, "Trust configuration unusable"),
    (errors.SettingsError, 500, None, "Configuration unusable"),
    (errors.AuthenticationError, 401, None, "Authentication required"),
    (errors.PermissionDeniedError, 403, None, "Forbidden"),
    (errors.NotFoundError, 404, None, "Not found"),
    (errors.NotAcceptableError, 406, None, "Not acceptable"),
    (errors.IdempotencyConflictError, 409, None, "Idempotency key reused"),
    (errors.RevalidationLimitError, 409, None, "Re-validation limit reached"),
    (errors.TransitionError, 409, None, "Transition not allowed"),
    (errors.DocumentReusedError, 409, None, "Signed content already recorded"),
    # Refusals of what was signed, not of the request's syntax: each names where.
    (errors.ContentMismatchError, 422, None, "Request differs from the signed content"),
    (errors.SignedContentError, 422, None, "Signed content breaks its format"),
    (errors.ConflictError, 409, None, "Conflict"),
    (errors.InputError, 422, INPUT, "Invalid request"),
    (errors.RateLimitedError, 429, None, "Too many requests"),
    (errors.StorageUnavailableError, 503, None, "Object store unavailable"),
    (errors.DatabaseUnavailableError, 503, None, "Database unavailable"),
    (errors.StorageError, 500, None, "Object store error"),
    (errors.DatabaseError, 500, None, "Database error"),
]

PROBLEM_TYPES: dict[str, int] = {
    "authentication": 401,
    "forbidden": 403,
    "signer-not-authorized": 403,
    "author-mismatch": 403,
    "not-found": 404,
    "method-not-allowed": 405,
    "not-acceptable": 406,
    "conflict": 409,
    "idempotency-conflict": 409,
    "transition": 409,
    "document-reused": 409,
    "revalidation-limit": 409,
    "too-large": 413,
    "not-a-signature": 415,
    "unsupported-media-type": 415,
    INPUT: 422,
    "signature-rejected": 422,
    "signed-content": 422,
    "content-mismatch": 422,
    "rate-limited": 429,
    "internal": 500,
    "trust-config": 500,
    "settings": 500,
    "storage": 500,
    "object-not-found": 500,
    "object-conflict": 500,
    "object-integrity": 500,
    "database": 500,
    "storage-unavailable": 503,
    "database-unavailable": 503,
}
"""Every problem code the API returns and its status: the contract clients rely on."""

# Starlette's own errors: no route for the path (404), a method the path does not offer
# (405). Any other status it raises is a malformed request (400 from the form parser),
# which is an input error like the rest.
_HTTP_CODES = {404: "not-found", 405: "method-not-allowed"}


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem+json response."""
    body = {
        "type": f"{TYPE_PREFIX}{code}",
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
    }
    merged = dict(headers or {})
    if status == 401:
        merged["WWW-Authenticate"] = "Bearer"
    if status == 503:
        merged["Retry-After"] = "5"
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=merged or None)


def _mapping(exc: errors.DocexError) -> tuple[int, str, str]:
    for cls, status, code, title in _STATUS:
        if isinstance(exc, cls):
            return status, code or exc.code, title
    return 500, exc.code, "Internal error"


def for_error(exc: errors.DocexError) -> JSONResponse:
    """The problem response for one of our errors."""
    status, code, title = _mapping(exc)
    extra: dict[str, Any] = {}
    report = getattr(exc, "report", None)
    if report is not None:
        extra["validation_report"] = report.to_dict()
    params = getattr(exc, "invalid_params", None)
    if params:
        extra["invalid_params"] = params
    headers = None
    if isinstance(exc, errors.UnsupportedMediaTypeError):
        # RFC 9110 §15.5.16: a 415 may say which media types would have been accepted.
        headers = {"Accept": ", ".join(exc.accepted)} if exc.accepted else None
    if isinstance(exc, errors.RateLimitedError):
        # RFC 6585 §4: a 429 may say how long to wait; clients and proxies honour it.
        headers = {"Retry-After": str(exc.retry_after)}
    # Where the problem is: the request field that contradicts the signed content, or
    # the place in the signed JSON that breaks its format.
    if isinstance(exc, errors.ContentMismatchError):
        extra["field"] = exc.field
        extra["invalid_params"] = [{"name": exc.field, "in": "body", "reason": str(exc)}]
    if isinstance(exc, errors.SignedContentError) and exc.path:
        extra["path"] = exc.path
    if status >= 500:
        # The first line only: PostgreSQL puts the offending row's values (an RNOKPP, a
        # requisition number) on the DETAIL line of its message, after the first.
        log.error("%s: %s", code, str(exc).partition("\n")[0])
    return problem(status, code, title, str(exc), headers=headers, **extra)


def input_problem(detail: str, params: list[dict[str, str]]) -> JSONResponse:
    """The ``input`` problem (422) for refused parameters or body fields."""
    return problem(422, INPUT, "Invalid request", detail, invalid_params=params)


def validation_params(exc: RequestValidationError) -> list[dict[str, str]]:
    """What the framework refused, one entry per parameter or field."""
    params = []
    for error in exc.errors():
        location, *path = [str(part) for part in error["loc"]] or ["body"]
        params.append({"name": ".".join(path) or location, "in": location, "reason": error["msg"]})
    return params


def allowed_methods(request: Request) -> list[str]:
    """Every method some route offers on the request's path (RFC 9110 §10.2.1 ``Allow``).

    Starlette's 405 names only the methods of the first route it tried on the path.
    """
    path = request.scope["path"]
    methods: set[str] = set()
    for context in iter_route_contexts(request.app.routes):
        pattern = getattr(context, "path_regex", None)
        if pattern is not None and pattern.match(path):
            methods |= set(context.methods or ())
    return sorted(methods)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem+json (never a stack trace)."""

    async def docex_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, errors.DocexError)  # noqa: S101 -- registered for this class
        return for_error(exc)

    async def validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)  # noqa: S101 -- registered for it
        params = validation_params(exc)
        detail = "; ".join(f"{p['name']}: {p['reason']}" for p in params)
        return input_problem(detail, params)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)  # noqa: S101 -- registered for it
        code = _HTTP_CODES.get(exc.status_code)
        if code is None:
            return input_problem(str(exc.detail), [])
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        return problem(exc.status_code, code, str(exc.detail), str(exc.detail), headers=headers)

    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return problem(500, "internal", "Internal error", "an unexpected error occurred")

    app.add_exception_handler(errors.DocexError, docex_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
