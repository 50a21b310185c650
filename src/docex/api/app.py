"""The FastAPI application, built from settings: ``create_app(settings)``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from fastapi import FastAPI

from docex import __version__
from docex.api import problems
from docex.api.limits import BodySizeLimit
from docex.api.routes import audit, deliveries, documents, health, referrals, webhooks
from docex.services.periodic import ReferralExpiry
from docex.services.runtime import Runtime, build_runtime
from docex.settings import Settings

log = logging.getLogger("docex.api")

DESCRIPTION = """
The central gate of the eHealth document exchange. Every document is accepted only if it
carries a valid **qualified electronic signature** (CAdES or PAdES) by an employee of the
submitting facility; rejections are RFC 9457 problem documents with the validation report.

Authenticate every call with `Authorization: Bearer <token>` (tokens: `docex token issue`).
"""


def create_app(settings: Settings, *, runtime: Runtime | None = None) -> FastAPI:
    """Build the API. The runtime (database, store, verifier) is made in the lifespan,
    unless a test passes one in."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The embedded SQLite default migrates itself; PostgreSQL is migrated by the
        # operator (`docex db upgrade`) before the workers start.
        own = runtime is None
        app.state.runtime = runtime or build_runtime(settings, migrate=settings.is_sqlite)
        expiry = None
        if settings.referral_expiry_interval_seconds > 0:
            expiry = ReferralExpiry(
                app.state.runtime, interval=settings.referral_expiry_interval_seconds
            )
            expiry.start()
        log.info("docex %s ready on %s", __version__, settings.database_url.split("@")[-1])
        try:
            with _webhook_dispatcher(app.state.runtime, settings):
                yield
        finally:
            if expiry is not None:
                expiry.stop()
            if own:
                app.state.runtime.close()

    app = FastAPI(
        title="docex",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    problems.install(app)
    app.include_router(documents.router)
    app.include_router(referrals.router)
    app.include_router(deliveries.router)
    app.include_router(webhooks.router)
    app.include_router(audit.router)
    app.include_router(health.router)
    app.add_middleware(BodySizeLimit, limit=settings.max_upload_bytes)
    return app


@contextmanager
def _webhook_dispatcher(runtime: Runtime, settings: Settings) -> Iterator[None]:
    """Send webhook events from this process while the app runs, if ``webhooks_enabled``.

    Every worker runs one; their leases on the outbox keep them from sending an event twice.
    """
    if not settings.webhooks_enabled:
        yield
        return
    from docex.webhooks.dispatcher import Dispatcher, RetryPolicy, dispatching_in_background
    from docex.webhooks.transport import HttpxTransport

    transport = HttpxTransport()
    dispatcher = Dispatcher(
        runtime.sessions, transport=transport, policy=RetryPolicy.from_settings(settings)
    )
    try:
        with dispatching_in_background(dispatcher):
            yield
    finally:
        transport.close()
