"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from docex.api.deps import RuntimeDep
from docex.services.health import check_ready

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(runtime: RuntimeDep) -> dict[str, str]:
    """The database and the object store answer (503 otherwise)."""
    await run_in_threadpool(check_ready, sessions=runtime.sessions, store=runtime.store)
    return {"status": "ready"}
