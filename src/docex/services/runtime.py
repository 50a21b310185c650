"""What the use cases that need more than a database receive: :class:`Runtime`.

A structural type, not a locator: nothing here builds or finds anything. The composition
root (:mod:`docex.composition`) builds a :class:`~docex.composition.Container`, which has
these attributes, and the API passes it to the submission and document-reading use cases
(and to acknowledging a delivery with a signed receipt, which makes a submission).
Use cases that need less (a session factory, a store, the event sink) take exactly that as
keyword arguments instead.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from docex.registry.tokens import TokenPolicy
from docex.services.events import Events
from docex.settings import Settings
from docex.signatures.isolation import SignatureVerifier
from docex.signatures.policy import AcceptancePolicy
from docex.storage.base import ObjectStore


class Runtime(Protocol):
    """The database, object store, verifier and policies of one docex process."""

    @property
    def settings(self) -> Settings:
        """The settings everything was built from (upload limits, webhook URL policy)."""

    @property
    def sessions(self) -> sessionmaker[Session]:
        """The factory every unit of work opens its session on."""

    @property
    def store(self) -> ObjectStore:
        """Where signed documents' bytes are kept."""

    @property
    def verifier(self) -> SignatureVerifier:
        """Verifies signatures, in worker processes or in process."""

    @property
    def token_policy(self) -> TokenPolicy:
        """How API tokens are hashed."""

    @property
    def events(self) -> Events:
        """Fans routing changes out to the audit log and the webhook outbox."""

    @property
    def acceptance_policy(self) -> AcceptancePolicy:
        """What the gate requires of a verified document before accepting it."""


__all__ = ["Runtime"]
