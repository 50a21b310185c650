"""Reports for signatures that could not be evaluated: every input gets a verdict.

Two kinds (see ``docs/report.md``):

* a structure docex cannot process (a malformed CMS or PDF signature dictionary) is
  ``TOTAL_FAILED`` / ``FORMAT_FAILURE``, the ETSI EN 319 102-1 answer for a signature
  "not conformant to the extent that it cannot be processed";
* an unexpected error inside docex is ``INDETERMINATE`` with no sub-indication and a
  check named ``internal`` saying so: the signature may well be valid, docex could not
  tell. Such errors are bugs, and the caller logs them with their traceback.
"""

from __future__ import annotations

from datetime import datetime

from pyhanko.pdf_utils.misc import PdfError

from docex.signatures.report import (
    Check,
    CheckOutcome,
    Indication,
    Qualification,
    SignatureReport,
    SubIndication,
)

# What parsers raise on malformed input: asn1crypto raises ValueError (and TypeError or
# KeyError on structurally wrong values), pyHanko PdfError. Anything else is our bug.
MALFORMED_INPUT_ERRORS: tuple[type[Exception], ...] = (ValueError, PdfError)


def unevaluated_report(
    sig_id: str,
    signature_format: str,
    validation_time: datetime,
    *,
    indication: Indication,
    sub_indication: SubIndication | None,
    message: str,
    check: str = "format",
) -> SignatureReport:
    """A report on a signature whose validation could not go further than ``check``."""
    outcome = (
        CheckOutcome.FAILED if indication is Indication.TOTAL_FAILED else CheckOutcome.INDETERMINATE
    )
    return SignatureReport(
        id=sig_id,
        format=signature_format,
        indication=indication,
        sub_indication=sub_indication,
        qualification=Qualification.NA,
        signer=None,
        claimed_signing_time=None,
        timestamp_time=None,
        best_signature_time=validation_time,
        certificate_chain=(),
        revocation=(),
        timestamps=(),
        checks=(Check(check, outcome, message),),
    )


def error_report(
    sig_id: str, signature_format: str, validation_time: datetime, exc: BaseException
) -> SignatureReport:
    """The report for a signature whose validation raised ``exc``.

    Malformed structure (:data:`MALFORMED_INPUT_ERRORS`) is ``FORMAT_FAILURE``; any other
    exception is an internal error, ``INDETERMINATE``.
    """
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, MALFORMED_INPUT_ERRORS):
        return unevaluated_report(
            sig_id,
            signature_format,
            validation_time,
            indication=Indication.TOTAL_FAILED,
            sub_indication=SubIndication.FORMAT_FAILURE,
            message=f"malformed signature structure: {detail}",
        )
    return unevaluated_report(
        sig_id,
        signature_format,
        validation_time,
        indication=Indication.INDETERMINATE,
        sub_indication=None,
        message=f"internal error while verifying ({type(exc).__name__}: {detail}); "
        "the signature could not be evaluated",
        check="internal",
    )
