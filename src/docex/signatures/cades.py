"""CAdES: CMS signatures over attached or detached content (ETSI EN 319 122-1)."""

from __future__ import annotations

import hashlib
import logging

from asn1crypto import core

from docex.signatures.cms_signature import Engine, SignerInput, content_type_of, validate_signer
from docex.signatures.evidence import from_signed_data
from docex.signatures.failures import error_report
from docex.signatures.inputs import CmsInput
from docex.signatures.report import (
    Check,
    CheckOutcome,
    DocumentInfo,
    Indication,
    Qualification,
    SignatureReport,
    SubIndication,
)
from docex.signatures.timestamps import digest_imprint

logger = logging.getLogger("docex.signatures")


async def validate_cades(
    cms_input: CmsInput, *, content: bytes | None, engine: Engine
) -> tuple[DocumentInfo, list[SignatureReport]]:
    """Validate every signer of a CMS signature; ``content`` is the detached content, if any."""
    signed_data = cms_input.signed_data
    encapsulated = signed_data["encap_content_info"]["content"]
    attached = encapsulated is not core.VOID and encapsulated is not None
    document = DocumentInfo(
        kind="cades",
        sha256=hashlib.sha256(cms_input.der).hexdigest(),
        size=len(cms_input.der),
        detached=not attached,
    )
    extra: list[Check] = []
    if attached:
        signed_content: bytes = encapsulated.native
        if content is not None and content != signed_content:
            extra.append(
                Check(
                    "content",
                    CheckOutcome.FAILED,
                    "the given content differs from the content attached to the signature",
                )
            )
    elif content is None:
        return document, [_no_content(engine)]
    else:
        signed_content = content
    digest = digest_imprint(signed_content)
    data = from_signed_data(signed_data, parsed=engine.parsed)
    reports = []
    for index, signer_info in enumerate(signed_data["signer_infos"], start=1):
        subject = SignerInput(
            id=f"S{index}",
            format_prefix="CAdES",
            signed_data=signed_data,
            signer_info=signer_info,
            content_digest=digest,
            data=data,
            expected_content_type=content_type_of(signed_data),
            has_long_term_data=data.has_revocation_data,
            # Archive time-stamps (archive-time-stamp-v3) are not evaluated yet, so a CAdES
            # signature is never reported as LTA: it stands on its B-LT data alone.
            has_archive_timestamp=False,
            extra_checks=tuple(extra),
        )
        try:
            reports.append(await validate_signer(subject, engine))
        except Exception as exc:
            # A bug or an unforeseen input: this signer gets a verdict, the others theirs.
            logger.error("verifying CMS signer %s failed", subject.id, exc_info=exc)
            reports.append(
                error_report(subject.id, "CAdES-BASELINE-B", engine.validation_time, exc)
            )
    return document, reports


def _no_content(engine: Engine) -> SignatureReport:
    return SignatureReport(
        id="S1",
        format="CAdES-BASELINE-B",
        indication=Indication.INDETERMINATE,
        sub_indication=SubIndication.SIGNED_DATA_NOT_FOUND,
        qualification=Qualification.NA,
        signer=None,
        claimed_signing_time=None,
        timestamp_time=None,
        best_signature_time=engine.validation_time,
        certificate_chain=(),
        revocation=(),
        timestamps=(),
        checks=(
            Check(
                "content",
                CheckOutcome.INDETERMINATE,
                "the signature is detached and the signed content was not provided",
            ),
        ),
    )
