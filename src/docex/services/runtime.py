"""What a running docex needs, built once from settings and passed down.

Nothing here is created at import time: the API's lifespan, a CLI command or a test builds a
:class:`Runtime` from a :class:`~docex.settings.Settings` and closes it when done.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from docex.db.engine import create_engine_from_settings, session_factory
from docex.db.migrate import upgrade
from docex.registry.tokens import TokenPolicy
from docex.services.events import Events
from docex.settings import Settings
from docex.signatures.isolation import (
    SignatureVerifier,
    build_verifier,
    verification_limits,
    verifier_config,
)
from docex.signatures.policy import DOCEX_GATE_2026, AcceptancePolicy
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
    acceptance_policy: AcceptancePolicy = DOCEX_GATE_2026
    """What the gate requires of a verified document before accepting it."""

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
    verifier_config(settings).trust_store()
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


__all__ = ["Runtime", "build_runtime", "build_verifier", "verification_limits"]
