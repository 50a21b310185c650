"""What a verified signed content says: the facts a submission is recorded and routed by."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from docex.domain import DocumentKind, ReferralPriority


@dataclass(frozen=True, kw_only=True)
class Author:
    """Who the content says wrote it: a practitioner at an organization, or the organization.

    ``rnokpp`` is None for a document sealed by the organization itself.
    """

    rnokpp: str | None
    edrpou: str


@dataclass(frozen=True, kw_only=True)
class ServiceOrder:
    """What a referral orders, and until when."""

    service_code: str
    service_text: str
    priority: ReferralPriority
    valid_until: datetime | None


@dataclass(frozen=True, kw_only=True)
class SignedFacts:
    """The routing facts of one signed content, read after its signature was verified."""

    format: str
    """The format and version, e.g. ``referral/1``."""
    kind: DocumentKind
    patient_ref: str
    """The patient's identifier value: an eHealth person id (UUID) or an RNOKPP."""
    author: Author
    authored_at: datetime
    recipient_edrpou: str | None = None
    """The facility the document is addressed to (a referral's performer)."""
    answers_document_id: uuid.UUID | None = None
    """The document this one acts on: the referral a result answers, a recall or a
    cancellation changes, or the delivered document a receipt acknowledges."""
    replaces_document_id: uuid.UUID | None = None
    """The earlier result a corrected result replaces."""
    order: ServiceOrder | None = None
    """What a referral orders (referrals only)."""
    document_sha256: str | None = None
    """For a manifest: the SHA-256 of the signed payload it describes."""
