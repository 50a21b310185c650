"""The verifier's and the audit log's fixed words, in the reader's language (issue 12).

The verifier reports in English: its indications, check names and messages are data that
API clients, the PDF protocol and auditors' quotations rely on, so they stay English in
the report. The pages translate them when they render, through the catalogue the pages'
own text uses, and keep the English beside the translation (``lang="en"``) for whoever
quotes it. Three kinds of text:

* values from a fixed set (sub-indications, check names and outcomes, audit actions,
  target types, actor kinds, outcomes): a table from the value to an English phrase,
  whose translation is shown;
* fixed messages: the English message is its own msgid;
* messages with values inside (a time, a name, a list): a pattern takes the values out,
  and the translation of an English template with named fields puts them back.

A text none of these knows is shown as it is, marked as English.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Final

from markupsafe import Markup

Gettext = Callable[[str], str]


def N_(message: str) -> str:  # noqa: N802  # the name pybabel extracts by default
    """Mark ``message`` for the catalogue; it is translated where it is shown."""
    return message


SUB_INDICATIONS: Final[Mapping[str, str]] = {
    "FORMAT_FAILURE": N_("the signature's format is wrong or cannot be read"),
    "HASH_FAILURE": N_("the signed data does not match the signature (hash failure)"),
    "SIG_CRYPTO_FAILURE": N_("the signature value does not verify"),
    "REVOKED": N_("the signing certificate was revoked"),
    "EXPIRED": N_("the signing certificate had expired at the signing time"),
    "NOT_YET_VALID": N_("the signing certificate was not yet valid at the signing time"),
    "SIG_CONSTRAINTS_FAILURE": N_("the signature does not meet the validation constraints"),
    "CHAIN_CONSTRAINTS_FAILURE": N_(
        "the certificate chain does not meet the validation constraints"
    ),
    "CERTIFICATE_CHAIN_GENERAL_FAILURE": N_("the certificate chain could not be validated"),
    "CRYPTO_CONSTRAINTS_FAILURE": N_("an algorithm or key size is not acceptable"),
    "CRYPTO_CONSTRAINTS_FAILURE_NO_POE": N_(
        "an algorithm is no longer acceptable and nothing proves the signature existed before"
    ),
    "NO_SIGNING_CERTIFICATE_FOUND": N_("the signing certificate was not found"),
    "NO_CERTIFICATE_CHAIN_FOUND": N_("no certificate chain to a trust anchor was found"),
    "REVOKED_NO_POE": N_(
        "the signing certificate was revoked and nothing proves the signature existed before"
    ),
    "REVOKED_CA_NO_POE": N_(
        "a CA certificate of the chain was revoked and nothing proves the signature existed before"
    ),
    "OUT_OF_BOUNDS_NO_POE": N_(
        "the signing certificate is out of its validity and nothing proves the signature "
        "existed while it was valid"
    ),
    "OUT_OF_BOUNDS_NOT_REVOKED": N_(
        "the signing certificate is out of its validity, but not revoked"
    ),
    "REVOCATION_OUT_OF_BOUNDS_NO_POE": N_(
        "the revocation data is out of the certificate's validity and nothing proves "
        "the signature existed before"
    ),
    "TIMESTAMP_ORDER_FAILURE": N_("the time-stamps are in the wrong order"),
    "NO_POE": N_("nothing proves the signature existed at the time it needs to"),
    "TRY_LATER": N_("revocation data is not available yet; try again later"),
    "SIGNED_DATA_NOT_FOUND": N_("the signed data was not found"),
}
"""What each ETSI sub-indication (EN 319 102-1, clause 5.1.3) means."""

CHECKS: Final[Mapping[str, str]] = {
    "algorithms": N_("algorithms"),
    "budget": N_("resource budget"),
    "byte_range": N_("byte range"),
    "byte_range_digest": N_("byte range digest"),
    "certificate_path": N_("certificate path"),
    "content": N_("signed content"),
    "format": N_("format"),
    "key_usage": N_("key usage"),
    "message_digest": N_("message digest"),
    "modifications": N_("changes after signing"),
    "qualification": N_("qualification"),
    "revocation": N_("revocation status"),
    "signature": N_("verdict on the signature"),
    "signature_value": N_("signature value"),
    "signing_certificate": N_("signing certificate"),
    "signing_time": N_("signing time"),
    "timestamps": N_("time-stamps"),
    "validity": N_("certificate validity"),
}
"""The verifier's check names (``Check.name``)."""

CHECK_OUTCOMES: Final[Mapping[str, str]] = {
    "passed": N_("passed"),
    "failed": N_("failed"),
    "indeterminate": N_("indeterminate"),
}

ACTIONS: Final[Mapping[str, str]] = {
    "document.submit": N_("document submitted"),
    "document.refuse": N_("document refused"),
    "document.read": N_("document read"),
    "document.read_content": N_("document's content read"),
    "document.read_payload": N_("document's payload read"),
    "document.list": N_("documents listed"),
    "document.revalidate": N_("document revalidated"),
    "token.use": N_("token used"),
    "token.refused": N_("token refused"),
    "token.issue": N_("token issued"),
    "token.revoke": N_("token revoked"),
    "token.rotate": N_("token rotated"),
    "audit.read": N_("audit trail read"),
    "referral.transition": N_("referral's status changed"),
    "delivery.create": N_("delivery created"),
    "delivery.fetch": N_("delivery fetched"),
    "delivery.ack": N_("delivery acknowledged"),
    "facility.add": N_("facility added"),
    "facility.deactivate": N_("facility deactivated"),
    "employee.add": N_("employee added"),
    "employee.deactivate": N_("employee deactivated"),
    "webhook.register": N_("webhook registered"),
    "webhook.delete": N_("webhook deleted"),
}
"""The audit log's action names (:mod:`docex.audit.actions`)."""

TARGETS: Final[Mapping[str, str]] = {
    "document": N_("document"),
    "api_token": N_("token"),
    "audit_log": N_("audit log"),
    "referral": N_("referral"),
    "delivery": N_("delivery"),
    "facility": N_("facility"),
    "employee": N_("employee"),
    "webhook": N_("webhook"),
}
"""The audit log's target types."""

ACTORS: Final[Mapping[str, str]] = {
    "facility": N_("facility"),
    "auditor": N_("auditor"),
    "system": N_("system"),
    "anonymous": N_("anonymous"),
}

AUDIT_OUTCOMES: Final[Mapping[str, str]] = {
    "ok": N_("ok"),
    "refused": N_("refused"),
    "error": N_("error"),
}

TERMS: Final[Mapping[str, Mapping[str, str]]] = {
    "sub_indication": SUB_INDICATIONS,
    "check": CHECKS,
    "check_outcome": CHECK_OUTCOMES,
    "action": ACTIONS,
    "target": TARGETS,
    "actor": ACTORS,
    "audit_outcome": AUDIT_OUTCOMES,
}

MESSAGES: Final = (
    N_("the signature is valid"),
    N_("no changes after signing"),
    N_("only validation data or metadata added after signing"),
    N_("revocation data shows the certificates were not revoked"),
    N_("signing-certificate attribute binds the signer's certificate"),
    N_("the byte range covers the signed revision"),
    N_("the signature's byte range does not cover the whole signed revision"),
    N_("the content time-stamp is later than the signature time-stamp"),
    N_("the encapsulated SHA-1 digest (adbe.pkcs7.sha1) does not match the byte range"),
    N_("the encapsulated SHA-1 digest matches the byte range"),
    N_("the given content differs from the content attached to the signature"),
    N_("the message digest matches the signed content"),
    N_("the signed content does not match the message digest in the signature"),
    N_("the signature has no signed attributes, so it is not an AdES signature"),
    N_("the signature is detached and the signed content was not provided"),
    N_("the signature value verifies with the signer's public key"),
    N_("the signature value does not verify with the signer's public key"),
    N_("the signing certificate does not chain to a configured trust anchor"),
    N_("the signing certificate's key usage does not allow signatures"),
    N_(
        "format not baseline: the signing-certificate attribute is missing "
        "(ETSI EN 319 122-1 requires signing-certificate-v2)"
    ),
    N_("qualified electronic signature (qualified certificate, QSCD)"),
    N_("qualified electronic signature (qualified certificate by the Ukrainian profile, QSCD)"),
    N_("qualified electronic seal (qualified certificate, QSCD)"),
    N_("qualified electronic seal (qualified certificate by the Ukrainian profile, QSCD)"),
    N_(
        "the certificate is not a qualified certificate under the trusted CA "
        "(no qcCompliance or Ukrainian qualified-certificate statement, or the CA is "
        "not qualified at the signing time)"
    ),
    N_(
        "the certificate's QC statements or extensions cannot be parsed, so it claims "
        "no qualification"
    ),
    N_("the certificate declares more than one QcType, so its type is ambiguous"),
    N_("the certificate is qualified for websites, not signatures"),
    N_("the qualified certificate does not declare a qualified signature device (QSCD)"),
    N_("the certificate lacks the nonRepudiation key usage a qualified signature needs"),
    N_("time-stamp signer certificate not found"),
    N_("time-stamp token signature is not valid"),
    N_("time-stamp signer certificate is not for time-stamping"),
    N_("time-stamp signing-certificate names another certificate"),
    N_("verification ran out of memory"),
)
"""The verifier's messages that carry no value: each is its own msgid."""

# Each pattern matches one of the verifier's formatted messages whole; the template is the
# same sentence with the pattern's groups as named fields, and its translation keeps them.
PATTERNS: Final = (
    (re.compile(r"(?P<format>\S+) signature structure"), N_("{format} signature structure")),
    (
        re.compile(r"algorithms are acceptable \((?P<algorithms>.+)\)"),
        N_("algorithms are acceptable ({algorithms})"),
    ),
    (
        re.compile(r"a time-stamp proves the signature existed at (?P<time>\S+)"),
        N_("a time-stamp proves the signature existed at {time}"),
    ),
    (
        re.compile(r"the certificate path to (?P<anchor>.+) is valid at (?P<time>\S+)"),
        N_("the certificate path to {anchor} is valid at {time}"),
    ),
    (re.compile(r"key usage: (?P<usages>.+)"), N_("key usage: {usages}")),
    (
        re.compile(r"time-stamp by (?P<tsa>.+) at (?P<time>\S+)"),
        N_("time-stamp by {tsa} at {time}"),
    ),
    (
        re.compile(r"qualified time-stamp by (?P<tsa>.+) at (?P<time>\S+)"),
        N_("qualified time-stamp by {tsa} at {time}"),
    ),
    (
        re.compile(r"time-stamp \(not qualified\) by (?P<tsa>.+) at (?P<time>\S+)"),
        N_("time-stamp (not qualified) by {tsa} at {time}"),
    ),
    (
        re.compile(
            r"time-stamp authority is not a configured time-stamping service: no trusted "
            r"list, TSA anchor or configured TSA certificate names it"
        ),
        N_(
            "time-stamp authority is not a configured time-stamping service: no trusted "
            "list, TSA anchor or configured TSA certificate names it"
        ),
    ),
    (
        re.compile(
            r"time-stamp authority is not a configured time-stamping service: the service "
            r"(?P<service>.+) was not granted at (?P<time>\S+)"
        ),
        N_(
            "time-stamp authority is not a configured time-stamping service: the service "
            "{service} was not granted at {time}"
        ),
    ),
    (
        re.compile(
            r"the time-stamp authority's certificate was revoked at (?P<revoked>\S+), and "
            r"nothing proves the token existed before then \(its earliest proof of "
            r"existence is (?P<time>\S+)\)"
        ),
        N_(
            "the time-stamp authority's certificate was revoked at {revoked}, and nothing "
            "proves the token existed before then (its earliest proof of existence is {time})"
        ),
    ),
    (
        re.compile(
            r"the time-stamp authority's CA's certificate was revoked at (?P<revoked>\S+), "
            r"and nothing proves the token existed before then \(its earliest proof of "
            r"existence is (?P<time>\S+)\)"
        ),
        N_(
            "the time-stamp authority's CA's certificate was revoked at {revoked}, and "
            "nothing proves the token existed before then (its earliest proof of existence "
            "is {time})"
        ),
    ),
    (
        re.compile(r"changes after signing are allowed: (?P<changes>.+)"),
        N_("changes after signing are allowed: {changes}"),
    ),
    (
        re.compile(r"changes after signing could not be analysed: (?P<reason>.+)"),
        N_("changes after signing could not be analysed: {reason}"),
    ),
    (
        re.compile(
            r"the signing certificate is revoked \((?P<reason>.+)\) and nothing proves "
            r"the signature was made before that"
        ),
        N_(
            "the signing certificate is revoked ({reason}) and nothing proves the "
            "signature was made before that"
        ),
    ),
    (
        re.compile(r"malformed signature structure: (?P<reason>.+)"),
        N_("malformed signature structure: {reason}"),
    ),
    (
        re.compile(r"verification exceeded its time budget of (?P<limit>.+)"),
        N_("verification exceeded its time budget of {limit}"),
    ),
    (
        re.compile(r"verification exceeded its memory budget of (?P<limit>.+)"),
        N_("verification exceeded its memory budget of {limit}"),
    ),
)
_FIXED: Final = frozenset(MESSAGES)


def message_in(text: str, gettext: Gettext) -> str | None:
    """``text``, one of the verifier's messages, in ``gettext``'s language; ``None`` if
    the catalogue does not know it."""
    if text in _FIXED:
        return gettext(text)
    for pattern, template in PATTERNS:
        found = pattern.fullmatch(text)
        if found is not None:
            return gettext(template).format(**found.groupdict())
    return None


def term_in(kind: str, value: str, gettext: Gettext) -> str | None:
    """The phrase for ``value`` of the fixed set ``kind`` (a key of :data:`TERMS`) in
    ``gettext``'s language; ``None`` for a value the set does not hold."""
    phrase = TERMS[kind].get(value)
    return None if phrase is None else gettext(phrase)


def said(text: str | None, gettext: Gettext, *, locale: str) -> Markup:
    """A verifier's message as a page shows it: translated with the English beside it, or
    English, marked as such, when the catalogue does not know it."""
    if not text:
        return Markup("")
    local = message_in(text, gettext)
    if locale == "en" or local is None:
        return Markup('<span lang="en">{}</span>').format(text)
    return Markup('{} <span class="original" lang="en">({})</span>').format(local, text)


def term(value: object, kind: str, gettext: Gettext) -> Markup:
    """A value of a fixed set as a page shows it: its phrase, with the value itself beside
    it as code (the value is what the API, the logs and the exports carry)."""
    if value is None or value == "":
        return Markup("")
    code = str(value)
    phrase = term_in(kind, code, gettext)
    if phrase is None:
        return Markup('<code lang="en">{}</code>').format(code)
    return Markup('{} <code class="original" lang="en">{}</code>').format(phrase, code)


__all__ = [
    "ACTIONS",
    "ACTORS",
    "AUDIT_OUTCOMES",
    "CHECKS",
    "CHECK_OUTCOMES",
    "MESSAGES",
    "N_",
    "PATTERNS",
    "SUB_INDICATIONS",
    "TARGETS",
    "TERMS",
    "Gettext",
    "message_in",
    "said",
    "term",
    "term_in",
]
