"""Proof of existence: which evidence existed at the validation time, and what it proves.

Validation time semantics (``docex verify --at T``): evidence that did not exist at ``T``
is not used. A time-stamp generated after ``T`` proves nothing at ``T``; revocation data
issued after ``T`` (OCSP ``producedAt``, CRL ``thisUpdate``) embedded in the signature is
set aside (:func:`available_at`); and a signature dated after ``T`` (by its claimed signing
time, or by a content time-stamp it signs) cannot pass as of ``T``
(:func:`dated_after_validation_time`).

The time-stamps that prove something give the signature's best signature time
(ETSI EN 319 102-1 §5.5.4, :func:`check_timestamps`) and, with the long-term data the
container holds, its baseline level (:func:`baseline_level`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from asn1crypto import crl, ocsp

from docex.signatures.evidence import ValidationData, crl_summary
from docex.signatures.ocsp_facts import ocsp_facts
from docex.signatures.report import Check, CheckOutcome, Indication, SubIndication
from docex.signatures.signer_context import ReportBuilder
from docex.signatures.timestamps import (
    TimestampResult,
    as_of,
    best_poe,
    confirm_at_poe,
    digest_imprint,
    validate_timestamp,
)
from docex.signatures.verdicts import Finding

CLOCK_SKEW = timedelta(minutes=5)
"""How far a signer's or a responder's clock may run ahead of ours without consequence.

A signature validated "now" whose claimed signing time, or whose embedded OCSP response, is
a minute in the future is the work of a fast clock, not of a signature from the future.
Proof of existence is never stretched by it: a time-stamp proves existence at its time only.
"""


def available_at(data: ValidationData, at: datetime) -> ValidationData:
    """``data`` less the revocation data issued after ``at`` (and the clock skew).

    Validating as of a past time must not use an OCSP response produced, or a CRL issued,
    later: at that time it did not exist. The same object comes back when nothing is set
    aside, so that caches keyed on it keep working.
    """
    limit = at + CLOCK_SKEW
    crls = tuple(c for c in data.crls if _crl_issued(c) <= limit)
    ocsps = tuple(o for o in data.ocsps if (_ocsp_produced(o) or at) <= limit)
    if len(crls) == len(data.crls) and len(ocsps) == len(data.ocsps):
        return data
    return ValidationData(certs=data.certs, crls=crls, ocsps=ocsps, source=data.source)


def _crl_issued(item: crl.CertificateList) -> datetime:
    return crl_summary(item).this_update


def _ocsp_produced(item: ocsp.OCSPResponse) -> datetime | None:
    facts = ocsp_facts(item)
    if facts is not None:
        return facts.produced_at
    try:
        # Not read whole: asn1crypto may still find the time, and certvalidator use the rest.
        basic = item["response_bytes"]["response"].parsed
        produced: datetime = basic["tbs_response_data"]["produced_at"].native
    except (ValueError, TypeError, KeyError, AttributeError):
        # Not a basic response with a time (or not parsable): certvalidator judges it.
        return None
    return produced


async def collect_timestamps(b: ReportBuilder) -> None:
    """Validate the signer's content and signature time-stamps, as of the validation time.

    The container's document time-stamps (already validated, and confirmed under their own
    proofs of existence) are taken as of that time too. Each signature time-stamp's TSA is
    then validated again at its best proof of existence, the earliest document time-stamp
    that covers it (or the validation time), and each content time-stamp's at the earliest
    signature or document time-stamp (:func:`~docex.signatures.timestamps.confirm_at_poe`).
    """
    s, engine = b.subject, b.engine
    signer_info = s.signer_info
    at = engine.validation_time
    content: list[TimestampResult] = []
    signature: list[TimestampResult] = []
    for attr in signer_info["signed_attrs"] or ():
        if attr["type"].native == "content_time_stamp":
            for token in attr["values"]:
                ts = await validate_timestamp(
                    token["content"],
                    kind="content",
                    expected_imprint=s.content_digest,
                    data=b.data,
                    evaluator=engine.evaluator,
                    parsed=engine.parsed,
                )
                content.append(as_of(ts, at))
    signature_value = signer_info["signature"].native
    for attr in signer_info["unsigned_attrs"] or ():
        if attr["type"].native == "signature_time_stamp_token":
            for token in attr["values"]:
                ts = await validate_timestamp(
                    token["content"],
                    kind="signature",
                    expected_imprint=digest_imprint(signature_value),
                    data=b.data,
                    evaluator=engine.evaluator,
                    parsed=engine.parsed,
                )
                signature.append(as_of(ts, at))
    b.document_timestamps = [as_of(poe, at) for poe in s.proofs_of_existence]
    for ts in signature:
        poe = best_poe(ts.time, b.document_timestamps, validation_time=at)
        b.signature_timestamps.append(
            await confirm_at_poe(ts, poe_time=poe, evaluator=engine.evaluator)
        )
    covering = (*b.signature_timestamps, *b.document_timestamps)
    for ts in content:
        poe = best_poe(ts.time, covering, validation_time=at)
        b.content_timestamps.append(
            await confirm_at_poe(ts, poe_time=poe, evaluator=engine.evaluator)
        )
    b.timestamps = [
        ts.info for ts in (*b.content_timestamps, *b.signature_timestamps, *b.document_timestamps)
    ]


def _claims_level(ts: TimestampResult) -> bool:
    # A broken token, or one by a TSA the configuration does not name, is no time-stamp
    # in the sense of the baseline levels: anyone can make one.
    return not ts.broken and not ts.unconfigured_tsa


def baseline_level(b: ReportBuilder) -> str:
    """The baseline level the structure reaches.

    A broken time-stamp claims nothing, nor does one whose TSA is not a configured
    time-stamping service.
    """
    if not any(_claims_level(ts) for ts in b.signature_timestamps):
        return "B"
    if not b.subject.has_long_term_data:
        return "T"
    archived = b.subject.has_archive_timestamp and any(
        _claims_level(ts) for ts in b.document_timestamps
    )
    return "LTA" if archived else "LT"


def proven_time(b: ReportBuilder) -> datetime | None:
    """The earliest time an intact signature or document time-stamp proves, if any."""
    proven = [ts.time for ts in (*b.signature_timestamps, *b.document_timestamps) if ts.valid]
    return min(proven) if proven else None


def check_timestamps(b: ReportBuilder) -> Finding | None:
    """Take the time-stamps that prove something as proof of existence (EN 319 102-1 §5.5.4).

    A broken one is reported and ignored, as is one that does not exist yet at the
    validation time: neither makes the signature fail, and the signature then stands on
    what else it has.
    """
    for ts in (*b.content_timestamps, *b.signature_timestamps, *b.document_timestamps):
        info = ts.info
        if ts.broken:
            b.checks.append(
                Check(
                    "timestamps",
                    CheckOutcome.FAILED,
                    f"a {info.kind} time-stamp is broken and is ignored: {info.message}",
                )
            )
        elif info.indication is Indication.INDETERMINATE:
            b.checks.append(
                Check("timestamps", CheckOutcome.INDETERMINATE, f"{info.kind}: {info.message}")
            )
    proven = proven_time(b)
    content_times = [ts.time for ts in b.content_timestamps if ts.valid]
    if proven is not None:
        b.timestamp_time = proven
        if content_times and min(content_times) > proven:
            return Finding(
                SubIndication.TIMESTAMP_ORDER_FAILURE,
                "timestamps",
                "the content time-stamp is later than the signature time-stamp",
            )
        b.passed("timestamps", f"a time-stamp proves the signature existed at {proven.isoformat()}")
    b.best_time = b.timestamp_time or b.engine.validation_time
    return None


def dated_after_validation_time(b: ReportBuilder) -> Finding | None:
    """A signature dated after the validation time cannot pass as of that time.

    Its claimed signing time says so, and an intact content time-stamp proves it (the
    signature signs the token, so it was made after the token's time). ETSI EN 319 102-1
    has no sub-indication for this and EU DSS no check of its own; docex reports
    INDETERMINATE/NO_POE: nothing proves the signature existed at the validation time.
    """
    at = b.engine.validation_time
    limit = at + CLOCK_SKEW
    reasons = []
    if b.claimed_time is not None and b.claimed_time > limit:
        reasons.append(f"its claimed signing time is {b.claimed_time.isoformat()}")
    later = [ts.time for ts in b.content_timestamps if not ts.broken and ts.time > limit]
    if later:
        reasons.append(f"its content time-stamp is dated {min(later).isoformat()}")
    if not reasons:
        return None
    return Finding(
        SubIndication.NO_POE,
        "signing_time",
        f"the signature is dated after the validation time {at.isoformat()} "
        f"({'; '.join(reasons)}): nothing proves it existed then",
    )
