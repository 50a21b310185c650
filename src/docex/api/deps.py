"""Dependencies the routes declare: the container the app was built with, and the
authenticated principal. (What every route gets is in :mod:`docex.api.contract`.)"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from docex.composition import Container
from docex.errors import AuthenticationError
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
