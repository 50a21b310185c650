"""The exchange's vocabulary: enums and value constraints that need no ORM to be named.

The API, the CLI and the services name a role, a document kind or a status through this
module; the database models (:mod:`docex.db`) store these same enums, so a value that is
valid here is exactly one the schema's CHECK constraints accept. Adding a member means a
migration (the constraint lists the values).
"""

from __future__ import annotations

from enum import StrEnum


class FacilityStatus(StrEnum):
    """Whether a facility may use the exchange."""

    ACTIVE = "active"
    INACTIVE = "inactive"


class EmployeeRole(StrEnum):
    """What an employee does at a facility."""

    DOCTOR = "doctor"
    SPECIALIST = "specialist"
    ADMINISTRATOR = "administrator"


class TokenRole(StrEnum):
    """Whom an API token speaks for."""

    FACILITY = "facility"
    """A facility's medical information system; the token names the facility."""
    AUDITOR = "auditor"
    """An auditor, who reads everything and belongs to no facility."""


class DocumentKind(StrEnum):
    """The kinds of signed document the exchange carries."""

    REFERRAL = "referral"
    EXAMINATION_RESULT = "examination_result"
    MEDICAL_DOCUMENT = "medical_document"
    REFERRAL_RECALL = "referral_recall"
    """The issuer's signed recall of an active referral."""
    REFERRAL_CANCELLATION = "referral_cancellation"
    """The issuer's signed statement that a referral was entered in error."""
    RECEIPT = "receipt"
    """A recipient's signed receipt for a delivered document."""


class DocumentStatus(StrEnum):
    """Whether a document is the current version of itself."""

    CURRENT = "current"
    SUPERSEDED = "superseded"
    """Replaced by a later corrected document from the same facility (both stay readable)."""


class ReferralStatus(StrEnum):
    """A referral's lifecycle, after FHIR ServiceRequest and eHealth service requests."""

    ACTIVE = "active"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    RECALLED = "recalled"
    ENTERED_IN_ERROR = "entered_in_error"


class ReferralPriority(StrEnum):
    """FHIR request priority."""

    ROUTINE = "routine"
    URGENT = "urgent"
    ASAP = "asap"
    STAT = "stat"


class DeliveryStatus(StrEnum):
    """How far a routed document got with its recipient."""

    PENDING = "pending"
    FETCHED = "fetched"
    ACKNOWLEDGED = "acknowledged"


class ActorKind(StrEnum):
    """Who an audit entry says acted."""

    FACILITY = "facility"
    """A facility's information system, authenticated by one of its tokens."""
    AUDITOR = "auditor"
    """An auditor, authenticated by an auditor token."""
    SYSTEM = "system"
    """docex itself or an operator at the command line (delivery, webhooks, admin)."""
    ANONYMOUS = "anonymous"
    """Nobody authenticated: a refused token, for example."""


class Outcome(StrEnum):
    """How an audited action ended."""

    OK = "ok"
    REFUSED = "refused"
    """Refused by a rule: a signature that does not verify, a token that is revoked..."""
    ERROR = "error"
    """docex could not complete it (storage or database failure)."""


class OutboxStatus(StrEnum):
    """Where a webhook event in the outbox stands."""

    PENDING = "pending"
    """Not yet acknowledged; the dispatcher will try at ``next_attempt_at``."""
    DELIVERED = "delivered"
    """The receiver answered 2xx."""
    DEAD = "dead"
    """The retry window ran out (or no webhook was registered); the facility may replay it."""


MAX_WEBHOOK_URL_LENGTH = 2048
"""The longest webhook URL a facility may register (the column's width)."""
