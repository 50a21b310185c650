"""The FastAPI application, built from settings: ``create_app(settings)``."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from fastapi import FastAPI

from docex import __version__
from docex.api import openapi, problems, ui
from docex.api.contract import ClosingRequestBody, RequestContract
from docex.api.limits import BodySizeLimit
from docex.api.log_privacy import redacting_access_log
from docex.api.rate_limits import RateLimits
from docex.api.routes import audit, deliveries, documents, facilities, health, referrals, webhooks
from docex.composition import Container, build_container, webhook_dispatcher
from docex.errors import ConfigurationError, TrustConfigError
from docex.services.audit_checkpoint import checkpoint_signing_key
from docex.services.periodic import AuditCheckpointing, ReferralExpiry
from docex.services.refusals import RefusalCounter, RefusalFlushing
from docex.settings import Settings, environment_variable, shown_value

log = logging.getLogger("docex.api")

DESCRIPTION = """
The central gate of the eHealth document exchange. Every document is accepted only if it
carries a valid **qualified electronic signature** (CAdES or PAdES) by an employee of the
submitting facility; rejections are RFC 9457 problem documents with the validation report.

Authenticate every call with `Authorization: Bearer <token>` (tokens: `docex token issue`).
"""


def create_app(
    settings: Settings, *, container: Container | None = None, freeze_heap: bool = False
) -> FastAPI:
    """Build the API. Its container (database, store, verifier) is built in the lifespan
    by the composition root, unless a test passes one in.

    With ``freeze_heap`` (a server process: ``docex serve``, ``docex.asgi``), everything
    alive once the app has started is moved out of the garbage collector's sight
    (:func:`_frozen_heap`); a test's app, sharing its process with others, leaves the
    collector alone.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The embedded SQLite default migrates itself; PostgreSQL is migrated by the
        # operator (`docex db upgrade`) before the workers start, and checked here.
        own = container is None
        built = container or build_container(settings)
        app.state.runtime = built
        # Refused unknown tokens are counted, and audited once per window and client.
        refusals = RefusalCounter(window=settings.refusal_aggregate_window_seconds)
        app.state.refusals = refusals
        app.state.rate_limits = RateLimits.from_settings(settings)
        flushing = RefusalFlushing(counter=refusals, sessions=built.sessions)
        expiry = None
        if settings.referral_expiry_interval_seconds > 0:
            expiry = ReferralExpiry(
                sessions=built.sessions,
                events=built.events,
                interval=settings.referral_expiry_interval_seconds,
            )
            expiry.start()
        checkpointing = _audit_checkpointing(built, settings)
        # Started last, so that a refused start-up leaves no thread behind it.
        flushing.start()
        log.info("docex %s ready on %s", __version__, settings.database_url.split("@")[-1])
        try:
            # The access log's query strings carry patient references: pseudonymised
            # with the token pepper, so that equal ones still match.
            with (
                redacting_access_log(key=settings.token_pepper.get_secret_value().encode()),
                _dispatching_webhooks(built, settings),
                _frozen_heap(enabled=freeze_heap),
            ):
                yield
        finally:
            # Before the container closes: the last counts are written to its database.
            flushing.stop()
            if expiry is not None:
                expiry.stop()
            if checkpointing is not None:
                checkpointing.stop()
            if own:
                built.close()

    app = FastAPI(
        title="docex",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        # Served by docex.api.ui from local files instead of FastAPI's CDN-loading pages.
        docs_url=None,
        redoc_url=None,
        # Every route enforces the request contract its OpenAPI operation documents, and
        # closes the files of a form its handler parsed.
        dependencies=[RequestContract, ClosingRequestBody],
    )
    problems.install(app)
    openapi.install(app)
    app.include_router(documents.router)
    app.include_router(referrals.router)
    app.include_router(deliveries.router)
    app.include_router(webhooks.router)
    app.include_router(audit.router)
    app.include_router(facilities.router)
    app.include_router(health.router)
    ui.install(app)
    app.add_middleware(BodySizeLimit, limit=settings.max_upload_bytes)
    return app


@contextmanager
def _frozen_heap(*, enabled: bool) -> Iterator[None]:
    """Collect once, then freeze what is left: the modules, the OpenAPI schema, the trust
    store and the verifier's caches built at start-up live as long as the process.

    Without this every full collection walks those few hundred thousand objects again:
    about 0.5 ms of CPU per submission under load (issue 14); frozen, a collection sees
    only what requests made. Unfrozen at shutdown, so that the process ends as it began.
    """
    if not enabled:
        yield
        return
    gc.collect()
    gc.freeze()
    log.debug("heap frozen: %d objects left out of garbage collection", gc.get_freeze_count())
    try:
        yield
    finally:
        gc.unfreeze()


def check_configuration(settings: Settings) -> None:
    """Load now what the app loads when it starts, so that a bad setting stops the start
    as a ``ConfigurationError`` naming its ``DOCEX_`` variable, not a traceback in the
    server's lifespan.

    Checked: every trust source and trusted-list signer exists, the trust store they
    make loads, and the rate limits' storage is one docex can use.
    """
    RateLimits.from_settings(settings)
    from docex.signatures.isolation import verifier_config

    for name in ("trust", "trusted_list_signer"):
        paths: list[Path] = getattr(settings, name)
        shown = shown_value(name, paths)
        for path in paths:
            if not path.exists():
                where = "" if shown == str(path) else f" {path}:"
                raise ConfigurationError(
                    (f"{environment_variable(name)}={shown}:{where} no such file or directory",)
                )
    try:
        verifier_config(settings.verifier_settings).trust_store()
    except TrustConfigError as exc:
        problem = f"{environment_variable('trust')}={shown_value('trust', settings.trust)}: {exc}"
        raise ConfigurationError((problem,)) from None


@contextmanager
def _dispatching_webhooks(container: Container, settings: Settings) -> Iterator[None]:
    """Send webhook events from this process while the app runs, if ``webhooks_enabled``.

    Every worker runs one; their leases on the outbox keep them from sending an event twice.
    """
    if not settings.webhooks_enabled:
        yield
        return
    from docex.webhooks.dispatcher import dispatching_in_background

    with (
        webhook_dispatcher(container.sessions, settings) as dispatcher,
        dispatching_in_background(dispatcher),
    ):
        yield


def _audit_checkpointing(built: Container, settings: Settings) -> AuditCheckpointing | None:
    """The periodic audit checkpoint job, started, when the settings ask for one."""
    interval = settings.audit_checkpoint_interval_seconds
    if interval <= 0 or settings.audit_checkpoint_key is None:
        return None
    if settings.audit_checkpoint_tsa_url is None:
        raise ConfigurationError(
            (
                "DOCEX_AUDIT_CHECKPOINT_TSA_URL: unset, but DOCEX_AUDIT_CHECKPOINT_INTERVAL_"
                "SECONDS asks for checkpoints, which a time-stamping authority signs",
            )
        )
    job = AuditCheckpointing(
        sessions=built.sessions,
        store=built.store,
        key=checkpoint_signing_key(settings),
        tsa_url=settings.audit_checkpoint_tsa_url,
        tsa_timeout=settings.audit_checkpoint_tsa_timeout_seconds,
        interval=interval,
        retention_days=settings.audit_checkpoint_retention_days,
    )
    job.start()
    return job
