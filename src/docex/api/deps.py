"""Dependencies the routes declare: the container the app was built with, and the
authenticated principal. (What every route gets is in :mod:`docex.api.contract`.)"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from docex.api.rate_limits import RateLimits
from docex.composition import Container
from docex.errors import AuthenticationError, RateLimitedError
from docex.registry.records import Principal
from docex.services.authentication import TokenUse, authenticate_use
from docex.services.refusals import RATE_LIMITED, RefusalCounter

_bearer = HTTPBearer(auto_error=False, description="An API token issued by `docex token issue`.")


async def get_runtime(request: Request) -> Container:
    """The container the composition root built in the app's lifespan.

    ``async`` as every dependency here that does no I/O: FastAPI runs a plain ``def`` one in
    its thread pool, a hop to another thread and back on every request.
    """
    container: Container = request.app.state.runtime
    return container


RuntimeDep = Annotated[Container, Depends(get_runtime)]


def get_rate_limits(request: Request) -> RateLimits:
    """The rate limits the app was built with."""
    limits: RateLimits = request.app.state.rate_limits
    return limits


async def _rate_limits(request: Request) -> RateLimits:
    return get_rate_limits(request)


RateLimitsDep = Annotated[RateLimits, Depends(_rate_limits)]


def client_address(request: Request) -> str:
    """The address the request came from, as the ASGI server reports it.

    Behind a proxy that is the proxy's, unless uvicorn is told to trust its
    ``X-Forwarded-For`` (``--forwarded-allow-ips``); the header itself is never read here,
    since any client can send one.
    """
    return request.client.host if request.client is not None else "unknown"


async def authenticate_limited(request: Request, runtime: Container, token: str) -> Principal:
    """Who ``token`` speaks for, within the rate limits: of the client address first (its
    requests and its refused tokens), then of the token.

    :raises RateLimitedError: over a limit; nothing is looked up or recorded for it
        beyond a count in the refused-token aggregate.
    :raises AuthenticationError: the token does not authenticate.
    """
    use = await _authenticate_limited(request, runtime, token, defer_use=False)
    return use.principal


async def _authenticate_limited(
    request: Request, runtime: Container, token: str, *, defer_use: bool
) -> TokenUse:
    limits = get_rate_limits(request)
    refusals: RefusalCounter = request.app.state.refusals
    client = client_address(request)
    path = request.url.path

    def guarded() -> TokenUse:
        # The limits' storage may be a network service: its calls run here, in the
        # thread pool, with the database work.
        try:
            limits.check_client(client)
            return authenticate_use(
                sessions=runtime.sessions,
                policy=runtime.token_policy,
                token=token,
                method=request.method,
                path=path,
                refusals=refusals,
                client=client,
                admit=lambda principal: limits.check_token(principal.token_id),
                defer_use=defer_use,
            )
        except RateLimitedError:
            refusals.count(client=client, reason=RATE_LIMITED, lookup_id=None, path=path)
            raise
        except AuthenticationError:
            limits.count_refusal(client)
            raise

    return await run_in_threadpool(guarded)


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
    return await authenticate_limited(request, runtime, credentials.credentials)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_token_use(
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> AsyncIterator[TokenUse]:
    """Who the request speaks for, as :func:`get_principal` decides it, with the request's
    ``token.use`` entry still to be recorded: by the route's own transaction (a document
    submission's), so that the request commits once.

    Whatever the route does, the use is recorded once: if no transaction of the route
    recorded it (the body was refused before the service ran, a parameter was invalid,
    the database failed), it is recorded here, after the route, on its own.
    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationError("an API token is required (Authorization: Bearer …)")
    use = await _authenticate_limited(request, runtime, credentials.credentials, defer_use=True)
    try:
        yield use
    finally:
        if not use.recorded:
            await run_in_threadpool(use.record_alone, runtime.sessions)


TokenUseDep = Annotated[TokenUse, Depends(get_token_use)]
