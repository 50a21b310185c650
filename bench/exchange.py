"""The documents the submission benchmark submits: the signed formats, between two facilities.

Every document is a signed FHIR content (``docex.formats``), detached CAdES B-LT, as the
exchange takes it: even indexes are referrals (``ServiceRequest``) by ``doctor-ecdsa`` of
facility 38291045 addressed to facility 40123457, odd ones standalone examination results
(``DiagnosticReport``) by ``doctor2-ecdsa`` of 40123457 addressed back to 38291045. Each
facility submits its own with its own token, so the gate checks the author against the
signer and the submitting facility for both.

Every content is distinct (the exchange records a signed content once): the index is in
the patient's RNOKPP and in the text. All are signed at :data:`corpus.SIGNED_AT`, for the
reason ``corpus.py`` gives, and say so (``authoredOn``, ``issued``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from corpus import SIGNED_AT, Sample
from docex.domain import DocumentKind
from docex.formats import building

REFERRER = ("doctor-ecdsa", "38291045", "3012345670")
"""Signer label, facility EDRPOU and RNOKPP of the referring doctor."""
PERFORMER = ("doctor2-ecdsa", "40123457", "3105678913")
"""Signer label, facility EDRPOU and RNOKPP of the performing facility's doctor."""
SIGNERS = (REFERRER[0], PERFORMER[0])

REFERRAL_VALID_UNTIL = datetime(2030, 12, 31, 21, 59, 59, tzinfo=UTC)
"""Far ahead of the fixed signing time: a referral is refused once it has expired."""


@dataclass(frozen=True)
class Exchanged(Sample):
    """A signed document, who signs it and which facility submits it."""

    kind: DocumentKind
    signer: str
    edrpou: str


def document_for(index: int) -> tuple[DocumentKind, str, str, bytes]:
    """Kind, signer, submitting facility and signed content of document ``index``."""
    patient = f"{index % 10**10:010d}"
    if index % 2 == 0:
        signer, edrpou, rnokpp = REFERRER
        resource = building.referral(
            patient=patient,
            author_rnokpp=rnokpp,
            author_edrpou=edrpou,
            service_code="K-CARD-01",
            service_text=f"Cardiology consultation (benchmark referral {index})",
            performer_edrpou=PERFORMER[1],
            valid_until=REFERRAL_VALID_UNTIL,
            authored_at=SIGNED_AT,
        )
        return DocumentKind.REFERRAL, signer, edrpou, building.encode(resource)
    signer, edrpou, rnokpp = PERFORMER
    resource = building.examination_result(
        patient=patient,
        author_rnokpp=rnokpp,
        author_edrpou=edrpou,
        recipient_edrpou=REFERRER[1],
        code="11524-6",
        code_text="EKG study",
        conclusion=f"Sinus rhythm, within normal limits (benchmark result {index}).",
        issued=SIGNED_AT,
    )
    return DocumentKind.EXAMINATION_RESULT, signer, edrpou, building.encode(resource)
