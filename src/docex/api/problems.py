"""Errors to RFC 9457 problem documents: the one place the API maps our exceptions.

Every problem has a stable ``type`` (``urn:docex:problem:<code>``) that clients may switch on,
a ``title``, a human ``detail``, and for signature problems the full validation report.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from docex import errors

log = logging.getLogger("docex.api")

PROBLEM_JSON = "application/problem+json"

# (status, title) per error class; the most specific class wins.
_STATUS: list[tuple[type[errors.DocexError], int, str]] = [
    (errors.AuthorMismatchError, 403, "Signer is not the author the content names"),
    (errors.SignatureRejectedError, 422, "Signature not valid or not qualified"),
    (errors.SignerNotAuthorizedError, 403, "Signer not authorised for this facility"),
    (errors.InputTooLargeError, 413, "Request too large"),
    (errors.NotASignatureError, 415, "Not a signature"),
    (errors.AuthenticationError, 401, "Authentication required"),
    (errors.PermissionDeniedError, 403, "Forbidden"),
    (errors.NotFoundError, 404, "Not found"),
    (errors.NotAcceptableError, 406, "Not acceptable"),
    (errors.IdempotencyConflictError, 409, "Idempotency key reused"),
    (errors.DocumentReusedError, 409, "Signed content already recorded"),
    (errors.ContentMismatchError, 422, "Request differs from the signed content"),
    (errors.SignedContentError, 422, "Signed content breaks its format"),
    (errors.ConflictError, 409, "Conflict"),
    (errors.InputError, 422, "Invalid request"),
    (errors.StorageUnavailableError, 503, "Object store unavailable"),
    (errors.DatabaseUnavailableError, 503, "Database unavailable"),
    (errors.StorageError, 500, "Object store error"),
    (errors.DatabaseError, 500, "Database error"),
]


def problem(status: int, code: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    """A problem+json response."""
    body = {
        "type": f"urn:docex:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status == 503:
        headers = {"Retry-After": "5"}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def for_error(exc: errors.DocexError) -> JSONResponse:
    """The problem response for one of our errors."""
    status, title = next(
        ((status, title) for cls, status, title in _STATUS if isinstance(exc, cls)),
        (500, "Internal error"),
    )
    extra: dict[str, Any] = {}
    report = getattr(exc, "report", None)
    if report is not None:
        extra["validation_report"] = report.to_dict()
    # Where the problem is: the request field that contradicts the signed content, or
    # the place in the signed JSON that breaks its format.
    if isinstance(exc, errors.ContentMismatchError):
        extra["field"] = exc.field
    if isinstance(exc, errors.SignedContentError) and exc.path:
        extra["path"] = exc.path
    if status >= 500:
        log.error("%s: %s", exc.code, exc)
    return problem(status, exc.code, title, str(exc), **extra)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem+json (never a stack trace)."""

    async def docex_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, errors.DocexError)  # noqa: S101 -- registered for this class
        return for_error(exc)

    async def validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)  # noqa: S101 -- registered for it
        details = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        return problem(422, "invalid-request", "Invalid request", details)

    async def http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)  # noqa: S101 -- registered for it
        return problem(exc.status_code, f"http-{exc.status_code}", str(exc.detail), str(exc.detail))

    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return problem(500, "internal", "Internal error", "an unexpected error occurred")

    app.add_exception_handler(errors.DocexError, docex_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
