"""Signed content in docex's formats, authored by the development PKI's signers.

Each function returns the bytes to sign (``docex.formats.building.encode``); the author is
the signer's certificate identity, as the gate requires. Every call is authored at a new
instant, so two calls make two different signed contents (two records).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from docex.devpki.pki import DevPki
from docex.domain import DocumentKind, ReferralPriority
from docex.formats import building
from docex.signatures.identity import signer_identity

PATIENT = "1234567890"
"""The patient of the tests, by RNOKPP."""
OTHER_PATIENT = "2222222222"


def author(pki: DevPki, signer: str) -> tuple[str | None, str]:
    """The author of ``signer``'s content: its RNOKPP (None for a seal) and its EDRPOU."""
    who = signer_identity(pki.cert(signer))
    assert who.edrpou is not None, f"{signer} names no EDRPOU"
    return who.rnokpp, who.edrpou


def referral(
    pki: DevPki,
    signer: str = "doctor-ecdsa",
    *,
    patient: str = PATIENT,
    performer: str | None = None,
    service_code: str = "K-CARD-01",
    service_text: str = "Cardiology consultation",
    priority: ReferralPriority = ReferralPriority.ROUTINE,
    valid_until: datetime | None = None,
    **changes: Any,
) -> bytes:
    """A ``referral/1`` for ``patient`` by ``signer``, to ``performer`` if given."""
    resource = building.referral(
        patient=patient,
        author_rnokpp=author(pki, signer)[0],
        author_edrpou=author(pki, signer)[1],
        service_code=service_code,
        service_text=service_text,
        performer_edrpou=performer,
        priority=priority,
        valid_until=valid_until,
    )
    resource.update(changes)
    return building.encode(resource)


def result(
    pki: DevPki,
    signer: str = "doctor2-ecdsa",
    *,
    patient: str = PATIENT,
    answers: str | uuid.UUID | None = None,
    replaces: str | uuid.UUID | None = None,
    recipient: str | None = None,
    conclusion: str | None = "No pathology found.",
) -> bytes:
    """An ``examination-result/1`` by ``signer``."""
    return building.encode(
        building.examination_result(
            patient=patient,
            author_rnokpp=author(pki, signer)[0],
            author_edrpou=author(pki, signer)[1],
            answers=_uuid(answers),
            replaces=_uuid(replaces),
            recipient_edrpou=recipient,
            conclusion=conclusion,
        )
    )


def task(
    pki: DevPki,
    kind: DocumentKind,
    signer: str,
    *,
    focus: str | uuid.UUID,
    patient: str = PATIENT,
    reason: str | None = None,
) -> bytes:
    """A recall, cancellation or receipt of the document ``focus``, by ``signer``."""
    focus_id = _uuid(focus)
    assert focus_id is not None
    return building.encode(
        building.task(
            kind=kind,
            focus=focus_id,
            patient=patient,
            author_rnokpp=author(pki, signer)[0],
            author_edrpou=author(pki, signer)[1],
            reason=reason,
        )
    )


def manifest(
    pki: DevPki,
    signer: str,
    *,
    payload_sha256: str,
    patient: str = PATIENT,
    recipient: str | None = None,
    content_type: str = "application/pdf",
) -> bytes:
    """A ``document-manifest/1`` naming a signed payload by its SHA-256."""
    return building.encode(
        building.manifest(
            payload_sha256=payload_sha256,
            patient=patient,
            author_rnokpp=author(pki, signer)[0],
            author_edrpou=author(pki, signer)[1],
            content_type=content_type,
            recipient_edrpou=recipient,
        )
    )


def _uuid(value: str | uuid.UUID | None) -> uuid.UUID | None:
    return uuid.UUID(str(value)) if value is not None else None
