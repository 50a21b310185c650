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
from docex.signatures.trust import load_trust_store
from docex.signatures.verifier import Verifier
from docex.storage.base import ObjectStore
from docex.storage.factory import open_object_store


@dataclass(frozen=True)
class Runtime:
    """The database, object store and verifier of one docex process."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    store: ObjectStore
    verifier: Verifier
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
    trust = load_trust_store(
        settings.trust,
        trusted_list_signers=settings.trusted_list_signer,
        allow_unsigned_trusted_list=settings.trusted_list_unsigned_dev_only,
    )
    engine = create_engine_from_settings(settings)
    if migrate:
        upgrade(engine)
    store = open_object_store(settings, ensure_ready=ensure_store)
    verifier = Verifier(
        trust,
        online=settings.online_revocation,
        max_input_bytes=max(settings.max_upload_bytes, settings.max_content_bytes),
    )
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        store=store,
        verifier=verifier,
        token_policy=TokenPolicy.from_settings(settings),
    )
