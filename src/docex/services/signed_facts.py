"""From a verified submission to its facts: the signed content read, the request checked.

The facts of a document come from what was signed, never from the request beside it
(:mod:`docex.formats`). This module, used by :mod:`docex.services.submission` after the
signature has been verified and accepted:

1. takes the signed payload out of the signature file (:mod:`docex.signatures.payload`);
   for a medical document, the payload is the file and the facts come from its signed
   manifest, which must name that payload by SHA-256 and be signed by the same person;
2. reads the facts (:func:`docex.formats.reading.read_facts`);
3. compares every field the request repeats with the signed value (:class:`Claims`);
4. checks that the signer is the author the content names, of the submitting facility.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, fields
from datetime import datetime

from docex.domain import DocumentKind, ReferralPriority
from docex.errors import AuthorMismatchError, ContentMismatchError, InputError, SignedContentError
from docex.formats.facts import SignedFacts
from docex.formats.reading import read_facts
from docex.signatures.detached import ContentDigests
from docex.signatures.payload import PayloadSource, signed_payload
from docex.signatures.report import Qualification, SignatureReport, ValidationReport


@dataclass(frozen=True, kw_only=True)
class Claims:
    """What a request says beside the signature: each field, when given, must be signed.

    None means "not said"; the signed content is the source of every one of these.
    """

    patient_ref: str | None = None
    recipient_edrpou: str | None = None
    answers_document_id: uuid.UUID | None = None
    replaces_document_id: uuid.UUID | None = None
    service_code: str | None = None
    service_text: str | None = None
    priority: ReferralPriority | None = None
    valid_until: datetime | None = None

    def said(self) -> dict[str, object]:
        """The fields the request gave, by name."""
        return {
            f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None
        }


@dataclass(frozen=True)
class ReadContent:
    """A submission's facts, and the signed content they were read from."""

    facts: SignedFacts
    record_bytes: bytes
    """The signed content the facts come from (a medical document's manifest content)."""
    payload: bytes | ContentDigests
    """The signed payload of the submitted file (a large detached one by its digests)."""
    payload_source: PayloadSource

    @property
    def record_sha256(self) -> str:
        """SHA-256 of the signed content the facts come from: the record's identity."""
        return hashlib.sha256(self.record_bytes).hexdigest()


def read_content(
    *,
    kind: DocumentKind,
    signed: bytes,
    content: bytes | ContentDigests | None,
    manifest_payload: bytes | None,
    max_envelope_depth: int,
) -> ReadContent:
    """The facts of a verified submission; ``manifest_payload`` is a verified manifest's content.

    ``content`` is the detached content, given only when the verifier found the signature
    detached; then it is the payload, and the signature is not parsed a second time. Given
    by its digests (too large to hold), it can only be a medical document's file, whose
    facts come from the manifest.

    :raises SignedContentError: the content (or the manifest) does not follow its format,
        or a manifest names another file.
    """
    payload: bytes | ContentDigests
    if content is not None:
        payload, source = content, PayloadSource.DETACHED
    else:
        attached = signed_payload(signed, max_envelope_depth=max_envelope_depth)
        payload, source = attached.data, attached.source
    if kind is DocumentKind.MEDICAL_DOCUMENT:
        if manifest_payload is None:
            raise SignedContentError(
                "a medical document comes with its signed manifest (a DocumentReference "
                "naming the file by SHA-256), in the 'manifest' part"
            )
        facts = read_facts(kind, manifest_payload)
        payload_sha256 = (
            payload.sha256
            if isinstance(payload, ContentDigests)
            else hashlib.sha256(payload).hexdigest()
        )
        if facts.document_sha256 != payload_sha256:
            raise SignedContentError(
                f"the manifest names the file with SHA-256 {facts.document_sha256}, but the "
                f"signed file's content has SHA-256 {payload_sha256}",
                path="content[0].attachment.url",
            )
        return ReadContent(facts, manifest_payload, payload, source)
    if manifest_payload is not None:
        raise InputError("only a medical document comes with a manifest")
    if isinstance(payload, ContentDigests):
        raise InputError("a signed record is read whole; only a medical document's file streams")
    return ReadContent(read_facts(kind, payload), payload, payload, source)


def check_claims(facts: SignedFacts, claims: Claims) -> None:
    """Every field the request gives equals the signed value.

    :raises ContentMismatchError: naming the first field that differs.
    """
    order = facts.order
    signed: dict[str, object] = {
        "patient_ref": facts.patient_ref,
        "recipient_edrpou": facts.recipient_edrpou,
        "answers_document_id": facts.answers_document_id,
        "replaces_document_id": facts.replaces_document_id,
        "service_code": order.service_code if order else None,
        "service_text": order.service_text if order else None,
        "priority": order.priority if order else None,
        "valid_until": order.valid_until if order else None,
    }
    for name, value in claims.said().items():
        if value != signed[name]:
            shown = "nothing" if signed[name] is None else repr(str(signed[name]))
            raise ContentMismatchError(
                f"{name} is {str(value)!r} in the request but {shown} in the signed content",
                field=name,
            )


def check_author(
    facts: SignedFacts,
    report: ValidationReport,
    *,
    facility_edrpou: str,
    manifest_report: ValidationReport | None = None,
) -> None:
    """The signer (layer 0 of an envelope) is the author the content names, of this facility.

    A practitioner author is a signer with that RNOKPP; an organization author (a seal) a
    QESeal with that EDRPOU. Either way the author's organization is the submitting
    facility. A medical document's manifest is signed by its author too.

    :raises AuthorMismatchError: with the report, naming what differs.
    """
    author = facts.author
    if author.edrpou != facility_edrpou:
        raise AuthorMismatchError(
            f"the signed content names facility {author.edrpou} as the author's, not the "
            f"submitting facility ({facility_edrpou})",
            report=report,
        )
    for which, checked in (("document", report), ("manifest", manifest_report)):
        if checked is None:
            continue
        authors = [s for s in checked.signatures if s.layer == 0]
        if not any(_is_author(signature, facts) for signature in authors):
            named = (
                f"practitioner RNOKPP {author.rnokpp}"
                if author.rnokpp is not None
                else f"the seal of {author.edrpou}"
            )
            raise AuthorMismatchError(
                f"the {which} is not signed by its author, {named}, as the signed content says",
                report=report,
            )


def _is_author(signature: SignatureReport, facts: SignedFacts) -> bool:
    signer = signature.signer
    if signer is None:
        return False
    if facts.author.rnokpp is None:
        return (
            signature.qualification is Qualification.QESEAL and signer.edrpou == facts.author.edrpou
        )
    return signer.rnokpp == facts.author.rnokpp
