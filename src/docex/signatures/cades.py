"""CAdES: CMS signatures over attached or detached content (ETSI EN 319 122-1)."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace

from docex.signatures.cms_signature import Engine, SignerInput, content_type_of, validate_signer
from docex.signatures.detached import ContentDigests
from docex.signatures.envelopes import ENVELOPE_BOUND, attached_content, layer_signature_id, unwrap
from docex.signatures.evidence import from_signed_data
from docex.signatures.failures import error_report, unevaluated_report
from docex.signatures.inputs import CmsInput, check_size
from docex.signatures.limits import LimitExceededError
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
    cms_input: CmsInput,
    *,
    content: bytes | ContentDigests | None,
    engine: Engine,
    content_if_detached: bytes | None = None,
    content_limit: int | None = None,
) -> tuple[DocumentInfo, list[SignatureReport]]:
    """Validate every signer of a CMS signature; ``content`` is the detached content, if any.

    ``content_if_detached`` is content offered only in case the signature is detached (the
    file beside a ``.p7s``): it is used, and then held to ``content_limit`` bytes, when the
    innermost CMS carries no content of its own and ``content`` is None; an attached
    signature is checked against what it carries, whatever is offered.

    A CMS whose attached content is itself a CMS (a doctor's signature sealed by the
    facility, see :mod:`docex.signatures.envelopes`) is verified layer by layer: each
    outer layer over the bytes of the CMS it wraps, the innermost over its own attached
    content or, when it is detached, over ``content``. The signers of every layer are
    reported, innermost first, each with its ``layer``.
    """
    limits = engine.evaluator.limits
    try:
        layers = unwrap(cms_input, max_depth=limits.max_envelope_depth)
    except LimitExceededError as exc:
        return _document(cms_input, detached=False), [_too_deep(engine, str(exc))]
    innermost = layers[0]
    detached = attached_content(innermost.signed_data) is None
    document = _document(cms_input, detached=detached)
    if detached and content is None and content_if_detached is not None:
        if content_limit is not None:
            check_size(content_if_detached, what="signed content", limit=content_limit)
        content = content_if_detached
    reports: list[SignatureReport] = []
    for layer, layer_input in enumerate(layers):
        # The caller's content is the document's, so it belongs to the innermost layer;
        # every outer layer has the inner CMS attached by construction.
        given = content if layer == 0 else None
        try:
            reports.extend(await _validate_layer(layer_input, layer, content=given, engine=engine))
        except MemoryError:
            raise  # the memory budget's to report, not a signature's
        except Exception as exc:
            # A layer whose structure cannot even be read (its embedded data, say) gets a
            # verdict of its own; the other layers keep theirs.
            if len(layers) == 1:
                raise  # a single CMS: the verifier's own guard reports it, as it always has
            sig_id = layer_signature_id(layer, 1)
            logger.error("verifying CMS layer %s failed", layer, exc_info=exc)
            failed = error_report(sig_id, "CAdES-BASELINE-B", engine.validation_time, exc)
            reports.append(replace(failed, layer=layer))
    return document, reports


def _document(cms_input: CmsInput, *, detached: bool) -> DocumentInfo:
    return DocumentInfo(
        kind="cades",
        sha256=hashlib.sha256(cms_input.der).hexdigest(),
        size=len(cms_input.der),
        detached=detached,
    )


async def _validate_layer(
    cms_input: CmsInput, layer: int, *, content: bytes | ContentDigests | None, engine: Engine
) -> list[SignatureReport]:
    signed_data = cms_input.signed_data
    attached = attached_content(signed_data)
    extra: list[Check] = []
    if attached is not None:
        digest = digest_imprint(attached)
        differs = (
            not content.matches(attached)
            if isinstance(content, ContentDigests)
            else content is not None and content != attached
        )
        if differs:
            extra.append(
                Check(
                    "content",
                    CheckOutcome.FAILED,
                    "the given content differs from the content attached to the signature",
                )
            )
    elif content is None:
        return [_no_content(engine, layer)]
    elif isinstance(content, ContentDigests):
        # Hashed while streaming, under the algorithms the signers name.
        digest = content.digest
    else:
        digest = digest_imprint(content)
    data = from_signed_data(signed_data, parsed=engine.parsed, limits=engine.evaluator.limits)
    reports = []
    for index, signer_info in enumerate(signed_data["signer_infos"], start=1):
        subject = SignerInput(
            id=layer_signature_id(layer, index),
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
            report = await validate_signer(subject, engine)
        except MemoryError:
            raise  # the memory budget's to report, not a signature's
        except Exception as exc:
            # A bug or an unforeseen input: this signer gets a verdict, the others theirs.
            logger.error("verifying CMS signer %s failed", subject.id, exc_info=exc)
            report = error_report(subject.id, "CAdES-BASELINE-B", engine.validation_time, exc)
        reports.append(replace(report, layer=layer))
    return reports


def _too_deep(engine: Engine, message: str) -> SignatureReport:
    # No layer is verified: past the bound, which layer is the author's cannot be told, and
    # a verdict on the outer seals alone would say nothing about the document.
    return unevaluated_report(
        "envelope",
        "CAdES",
        engine.validation_time,
        indication=Indication.INDETERMINATE,
        sub_indication=SubIndication.SIG_CONSTRAINTS_FAILURE,
        message=engine.evaluator.limits.exceeded(ENVELOPE_BOUND, what=message),
        check="bounds",
    )


def _no_content(engine: Engine, layer: int) -> SignatureReport:
    return SignatureReport(
        id=layer_signature_id(layer, 1),
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
        layer=layer,
    )
