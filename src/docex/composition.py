"""The composition root: where docex's parts are built from settings, once.

The API's lifespan (:func:`docex.api.app.create_app`), the CLI's commands and tests call
these builders; nothing is built at import time, and nothing below this module builds its
own engine, store, verifier or dispatcher. Use cases in :mod:`docex.services` receive
what they need as arguments: a session factory, a store, or, for the submission and
reading use cases that need most of it, the whole :class:`Container`.

- :func:`open_database`: the engine, the embedded SQLite default migrated and any other
  database checked to be at the newest revision (the one place that rule lives);
- :func:`open_store`, :func:`build_events`: the object store, the routing event sink;
- :func:`build_container`: the database, the object store and the verifier of one process;
- :func:`webhook_dispatcher`: the webhook dispatcher on a database, with its transport.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from docex.errors import DatabaseError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from docex.registry.tokens import TokenPolicy
    from docex.services.events import Events
    from docex.settings import Settings
    from docex.signatures.isolation import SignatureVerifier
    from docex.signatures.policy import AcceptancePolicy
    from docex.storage.base import ObjectStore
    from docex.webhooks.dispatcher import Dispatcher


def build_events() -> Events:
    """The sink every routing change is reported to (audit log, webhook outbox)."""
    from docex.services.events import Events

    return Events()


def _gate_policy() -> AcceptancePolicy:
    from docex.signatures.policy import DOCEX_GATE_2026

    return DOCEX_GATE_2026


@dataclass(frozen=True)
class Container:
    """The database, object store and verifier of one docex process, built once."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    store: ObjectStore
    verifier: SignatureVerifier
    token_policy: TokenPolicy
    events: Events = field(default_factory=build_events)
    acceptance_policy: AcceptancePolicy = field(default_factory=_gate_policy)
    """What the gate requires of a verified document before accepting it."""

    def close(self) -> None:
        """Release connections, files and worker processes."""
        self.verifier.close()
        self.engine.dispose()


def ensure_schema(engine: Engine, *, migrate: bool) -> None:
    """Migrate the database (``migrate``) or check that it is at the newest revision.

    ``DatabaseError`` naming ``docex db upgrade`` if it is not.
    """
    from docex.db.migrate import current_revision, head_revision, upgrade

    if migrate:
        upgrade(engine)
        return
    current, head = current_revision(engine), head_revision()
    if current != head:
        state = "has never been migrated" if current is None else f"is at revision {current}"
        raise DatabaseError(
            f"the database {state}; this docex needs revision {head}: run `docex db upgrade`"
        )


def open_database(settings: Settings) -> Engine:
    """An engine on ``settings.database_url`` whose schema is known to be current.

    The embedded SQLite default is migrated here, as it has no operator; any other
    database must have been migrated with ``docex db upgrade``, so that starting docex
    never changes a production schema as a side effect.
    """
    from docex.db.engine import create_engine_from_settings

    engine = create_engine_from_settings(settings)
    try:
        ensure_schema(engine, migrate=settings.is_sqlite)
    except BaseException:
        engine.dispose()
        raise
    return engine


def open_store(settings: Settings, *, ensure_ready: bool = True) -> ObjectStore:
    """The object store ``settings.object_store`` names; with ``ensure_ready``, its folder
    or bucket is created if missing and checked to answer."""
    from docex.storage.factory import open_object_store

    return open_object_store(settings, ensure_ready=ensure_ready)


def token_policy(settings: Settings) -> TokenPolicy:
    """How this deployment hashes API tokens (its pepper and parameters)."""
    from docex.registry.tokens import TokenPolicy

    return TokenPolicy.from_settings(settings)


def build_container(settings: Settings, *, ensure_store: bool = True) -> Container:
    """Everything a docex process needs, from ``settings``; close it when done."""
    from docex.db.engine import session_factory
    from docex.registry.tokens import TokenPolicy
    from docex.signatures.isolation import build_verifier, verifier_config

    # Load the trust configuration here too, so that an error in it stops the start
    # rather than the first verification; the workers start in the background.
    verifier_settings = settings.verifier_settings
    verifier_config(verifier_settings).trust_store()
    verifier = build_verifier(verifier_settings, wait=False)
    try:
        engine = open_database(settings)
        try:
            store = open_store(settings, ensure_ready=ensure_store)
        except BaseException:
            engine.dispose()
            raise
    except BaseException:
        verifier.close()
        raise
    return Container(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine, audit_chains=settings.audit_chains),
        store=store,
        verifier=verifier,
        token_policy=TokenPolicy.from_settings(settings),
    )


@contextmanager
def webhook_dispatcher(sessions: sessionmaker[Session], settings: Settings) -> Iterator[Dispatcher]:
    """The dispatcher that sends the outbox's events over HTTP under the deployment's
    outbound policy, retrying as ``settings`` say; its workers stop when the block ends."""
    from docex.webhooks.dispatcher import Dispatcher, RetryPolicy
    from docex.webhooks.transport import PolicedTransport
    from docex.webhooks.url_policy import WebhookUrlPolicy

    transport = PolicedTransport(WebhookUrlPolicy.from_settings(settings).outbound)
    dispatcher = Dispatcher(
        sessions, transport=transport, policy=RetryPolicy.from_settings(settings)
    )
    try:
        yield dispatcher
    finally:
        dispatcher.close()
        transport.close()
