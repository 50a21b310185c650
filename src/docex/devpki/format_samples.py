"""The samples of ``certs-dev/samples`` that follow the signed formats.  DEVELOPMENT ONLY.

Each is a document the gate accepts as its kind: a referral (attached) and an unaddressed
referral (detached, beside its content), a standalone examination result, and the
manifest that makes the signed PDF sample a ``medical_document``; plus a referral by the
``nonqualified`` certificate, whose content is right, so that it is refused for its
signature alone. They are signed at the samples' fixed time, and their content says so
(``authoredOn``, ``issued``, ``date``).

A signed content makes one record: submitted again, a sample is answered with the document
it first made. ``docex sign`` makes new ones.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from typing import Final

from docex.devpki.documents import DevSigners
from docex.domain import ReferralPriority
from docex.formats import building

SAMPLE_PATIENT: Final = "1234567890"
"""The samples' patient: a fictitious RNOKPP."""
FACILITY_1: Final = "38291045"
FACILITY_2: Final = "40123457"
SAMPLE_SERVICE: Final = ("K-CARD-01", "Cardiology consultation")

_KYIV_WINTER = timezone(timedelta(hours=2))
SAMPLE_VALID_UNTIL: Final = datetime(2027, 12, 31, 23, 59, 59, tzinfo=_KYIV_WINTER)
"""How long the sample referrals stay valid: long enough for the demo to use them."""


def format_samples(
    signers: DevSigners,
    *,
    signed_pdf: bytes,
    signing_time: datetime,
    timestamp_time: datetime,
) -> dict[str, bytes]:
    """The format samples, by file name; ``signed_pdf`` is the PAdES sample they describe."""

    def referral_by(
        signer: str, service: tuple[str, str] = SAMPLE_SERVICE, performer: str | None = FACILITY_2
    ) -> bytes:
        author = signers.author(signer)
        return building.encode(
            building.referral(
                patient=SAMPLE_PATIENT,
                author_rnokpp=author.rnokpp,
                author_edrpou=author.edrpou,
                service_code=service[0],
                service_text=service[1],
                performer_edrpou=performer,
                priority=ReferralPriority.ROUTINE,
                valid_until=SAMPLE_VALID_UNTIL,
                authored_at=signing_time,
            )
        )

    def cades(content: bytes, *, signer: str, detached: bool = False) -> bytes:
        return signers.sign_cades(
            content,
            signer=signer,
            detached=detached,
            level="B-LT",
            signing_time=signing_time,
            timestamp_time=timestamp_time,
        )

    doctor_2 = signers.author("doctor2-ecdsa")
    result = building.encode(
        building.examination_result(
            patient=SAMPLE_PATIENT,
            author_rnokpp=doctor_2.rnokpp,
            author_edrpou=doctor_2.edrpou,
            recipient_edrpou=FACILITY_1,
            code="11524-6",
            code_text="EKG study",
            conclusion="Sinus rhythm, within normal limits. DEVELOPMENT SAMPLE.",
            issued=signing_time,
        )
    )
    # The PDF sample is signed by doctor-rsa; its manifest must be too.
    doctor_rsa = signers.author("doctor-rsa")
    manifest = building.encode(
        building.manifest(
            payload_sha256=hashlib.sha256(signed_pdf).hexdigest(),
            patient=SAMPLE_PATIENT,
            author_rnokpp=doctor_rsa.rnokpp,
            author_edrpou=doctor_rsa.edrpou,
            content_type="application/pdf",
            size=len(signed_pdf),
            recipient_edrpou=FACILITY_2,
            date=signing_time,
        )
    )
    referral = referral_by("doctor-ecdsa")
    # A different referral: a signed content is recorded once, and both may be submitted.
    # Unaddressed: any facility may take it by its requisition number.
    detached_referral = referral_by(
        "doctor-ecdsa", ("K-NEUR-01", "Neurology consultation"), performer=None
    )
    return {
        "referral.p7s": cades(referral, signer="doctor-ecdsa"),
        "referral.json": detached_referral,
        "referral.json.p7s": cades(detached_referral, signer="doctor-ecdsa", detached=True),
        "result.p7s": cades(result, signer="doctor2-ecdsa"),
        "examination-result.pdf.manifest.p7s": cades(manifest, signer="doctor-rsa"),
        "referral-nonqualified.p7s": cades(
            # nonqualified works at facility 2: it refers to facility 1.
            referral_by("nonqualified", performer=FACILITY_1),
            signer="nonqualified",
        ),
    }
