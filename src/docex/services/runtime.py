"""What a running docex needs, built once from settings and passed down.

Nothing here is created at import time: the API's lifespan, a CLI command or a test builds a
:class:`Runtime` from a :class:`~docex.settings.Settings` and closes it when done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from docex.db.engine import create_engine_from_settings, session_factory
from docex.db.migrate import upgrade
from docex.registry.tokens import TokenPolicy
from docex.services.events import Events
from docex.settings import Settings
from docex.signatures.isolation import (
    GuardedVerifier,
    IsolatedVerifier,
    SignatureVerifier,
    VerifierConfig,
)
from docex.signatures.limits import Limits
from docex.signatures.trust import load_trust_store
from docex.storage.base import ObjectStore
from docex.storage.factory import open_object_store


@dataclass(frozen=True)
class Runtime:
    """The database, object store and verifier of one docex process."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    store: ObjectStore
    verifier: SignatureVerifier
    token_policy: TokenPolicy
    events: Events = field(default_factory=Events)

    def close(self) -> None:
        """Release connections, files and event loops."""
        self.verifier.close()
        self.engine.dispose()


def build_runtime(
    settings: Settings, *, migrate: bool = False, ensure_store: bool = True
) -> Runtime:
    """Connect to what ``settings`` names; with ``migrate``, bring the schema up to date."""
    # Load the trust configuration here too, so that an error in it stops the start
    # rather than the first verification; the workers start in the background.
    load_trust_store(settings.trust)
    verifier = build_verifier(settings, wait=False)
    try:
        engine = create_engine_from_settings(settings)
        if migrate:
            upgrade(engine)
        store = open_object_store(settings, ensure_ready=ensure_store)
    except BaseException:
        verifier.close()
        raise
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        store=store,
        verifier=verifier,
        token_policy=TokenPolicy.from_settings(settings),
    )


def verification_limits(settings: Settings) -> Limits:
    """The bounds on one verification's work that ``settings`` configure."""
    return Limits(
        max_certificates=settings.max_embedded_certificates,
        max_crls=settings.max_embedded_crls,
        max_ocsp_responses=settings.max_embedded_ocsp_responses,
        max_validation_data_bytes=settings.max_validation_data_bytes,
        max_path_length=settings.max_path_length,
        max_issuer_candidates_per_step=settings.max_issuer_candidates_per_step,
        max_issuer_candidates=settings.max_issuer_candidates,
    )


def build_verifier(
    settings: Settings,
    *,
    trust: Sequence[str] | None = None,
    online: bool | None = None,
    max_input_bytes: int | None = None,
    workers: int | None = None,
    wait: bool = True,
) -> SignatureVerifier:
    """The verifier ``settings`` describe: worker processes within a budget, or in process.

    The keyword arguments override the settings of the same meaning (the CLI's flags);
    ``wait=False`` lets the worker processes start in the background.
    With ``verify_workers`` 0 the verifier runs in the calling process: no time or memory
    budget, but a recursion or memory error still gives a report (see
    :mod:`docex.signatures.isolation`).

    :raises TrustConfigError: the trust configuration cannot be loaded.
    """
    config = VerifierConfig(
        trust=tuple(trust) if trust is not None else tuple(str(p) for p in settings.trust),
        online=settings.online_revocation if online is None else online,
        max_input_bytes=(
            max(settings.max_upload_bytes, settings.max_content_bytes)
            if max_input_bytes is None
            else max_input_bytes
        ),
        limits=verification_limits(settings),
    )
    count = settings.verify_workers if workers is None else workers
    if count == 0:
        return GuardedVerifier(config)
    return IsolatedVerifier(
        config,
        workers=count,
        timeout_seconds=settings.verify_timeout_seconds,
        memory_bytes=settings.verify_memory_bytes or None,
        wait=wait,
    )
