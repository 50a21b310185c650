"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import text

from docex.api.deps import RuntimeDep
from docex.db.engine import unit_of_work

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(runtime: RuntimeDep) -> dict[str, str]:
    """The database and the object store answer (503 otherwise)."""

    def check() -> None:
        with unit_of_work(runtime.sessions) as session:
            session.execute(text("SELECT 1"))
        runtime.store.ensure_ready()

    await run_in_threadpool(check)
    return {"status": "ready"}
