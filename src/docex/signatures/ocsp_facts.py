"""What docex reads of an OCSP response, read once per response and without asn1crypto's machinery.

Every own-evidence signature embeds OCSP responses never seen before (the signer's and the
TSA's), and the evidence caches, the proof-of-existence filter and the report each ask
them the same few questions: which certificates they may name, who signed them, when,
their status, their signed bytes. asn1crypto answers each through its general machinery
(specs resolved per field, lazily parsed children, conversions on every ``.native``),
which cost more than the rest of the response's checking. :func:`ocsp_facts` reads
those fields once, from the DER, into an immutable :class:`OcspFacts` kept on the
response object.

Nothing here is trusted because it was read: the facts are used to find the response a
certificate's status rests on and to ask certvalidator's own rules about it, and the
response counts only once its signature has verified over :attr:`OcspFacts.tbs`, the exact
bytes the facts were read from. What this reader does not read exactly as DER (a long
length in a non-minimal form, an indefinite length, a time in another form than
``YYYYMMDDHHMMSS[.f]Z``, a tag out of place) it leaves to asn1crypto, whose reading of
the same fields gives the same facts (``tests/signatures/test_ocsp_facts.py`` compares the
two on every response the tests and corpora hold); a response asn1crypto cannot read
either has no facts (None), and everything that uses them then leaves the response to
certvalidator.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import Enum

from asn1crypto import algos, ocsp

from docex.signatures.der import (
    BIT_STRING,
    ENUMERATED,
    GENERALIZED_TIME,
    INTEGER,
    OCTET_STRING,
    OID,
    SEQUENCE,
    DerReader,
    NotDerError,
)

# DER encodings (tag, length, value) of the object identifiers read here.
_BASIC_OCSP = bytes.fromhex("06092b0601050507300101")  # id-pkix-ocsp-basic
_DIGESTS = {
    bytes.fromhex("06052b0e03021a"): "sha1",
    bytes.fromhex("0609608648016503040201"): "sha256",
    bytes.fromhex("0609608648016503040202"): "sha384",
    bytes.fromhex("0609608648016503040203"): "sha512",
}


@dataclass(frozen=True)
class SingleFacts:
    """One ``SingleResponse``: the certificate it names and what it says about it."""

    serial: int
    hash_algorithm: str
    """The CertID's hash, named as asn1crypto names it (``sha1``, ``sha256``, a dotted OID)."""
    issuer_name_hash: bytes
    issuer_key_hash: bytes
    status: str
    """``good``, ``revoked`` or ``unknown``."""
    revocation_time: datetime | None
    this_update: datetime
    next_update: datetime | None


@dataclass(frozen=True)
class OcspFacts:
    """A successful basic OCSP response, as far as docex reads it."""

    produced_at: datetime
    by_key: bool
    """Whether the responder is identified by its key hash (else by its name)."""
    responder_id: bytes
    """The responder's key hash, or the DER of its name."""
    singles: tuple[SingleFacts, ...]
    certs: tuple[bytes, ...]
    """The DER of the certificates the response carries."""
    tbs: bytes
    """The DER of ``tbsResponseData``: the bytes the signature is over."""
    signature_algorithm: bytes
    """The DER of the signature's ``AlgorithmIdentifier``."""
    signature: bytes
    sha256: bytes = b""
    """The SHA-256 of the whole response's encoding (what the report and the keys name)."""

    def signed_digest_algorithm(self) -> algos.SignedDigestAlgorithm:
        """The signature algorithm, as certvalidator's signature validator takes it."""
        return algos.SignedDigestAlgorithm.load(self.signature_algorithm)


class Unread(Enum):
    """Why a response has no facts."""

    NOT_BASIC = "not_basic"
    """Not a successful basic response (another status or type): certvalidator ignores it."""
    MALFORMED = "malformed"
    """A successful basic response, as far as asn1crypto reads it, that it cannot read
    whole: certvalidator may still use part of it, so nothing may be concluded without it."""


_ATTRIBUTE = "_docex_ocsp_facts"


def ocsp_reading(response: ocsp.OCSPResponse) -> OcspFacts | Unread:
    """The facts of ``response``, or why it has none.

    Read once per response object and kept on it (a pure function of its encoding, which
    nothing changes once it is collected); two threads reading one object at once read
    the same facts.
    """
    kept: OcspFacts | Unread | None = getattr(response, _ATTRIBUTE, None)
    if kept is None:
        kept = read_ocsp_response(bytes(response.dump()))
        setattr(response, _ATTRIBUTE, kept)
    return kept


def ocsp_facts(response: ocsp.OCSPResponse) -> OcspFacts | None:
    """The facts of ``response``; None when it has none (:func:`ocsp_reading` says why)."""
    reading = ocsp_reading(response)
    return reading if isinstance(reading, OcspFacts) else None


def read_ocsp_response(der: bytes) -> OcspFacts | Unread:
    """The facts of the ``OCSPResponse`` encoded as ``der`` (see :func:`ocsp_reading`)."""
    try:
        facts: OcspFacts | Unread = _read_response(der)
    except NotDerError:
        facts = read_with_asn1crypto(der)
    if isinstance(facts, OcspFacts):
        facts = replace(facts, sha256=hashlib.sha256(der).digest())
    return facts


def read_with_asn1crypto(der: bytes) -> OcspFacts | Unread:
    """The same facts as asn1crypto reads them: the reference for :func:`read_ocsp_response`."""
    try:
        response = ocsp.OCSPResponse.load(der)
        if response["response_status"].native != "successful":
            return Unread.NOT_BASIC
        response_bytes = response["response_bytes"]
        if response_bytes["response_type"].native != "basic_ocsp_response":
            return Unread.NOT_BASIC
        basic = response_bytes["response"].parsed
        tbs = basic["tbs_response_data"]
        responder = tbs["responder_id"]
        by_key = responder.name == "by_key"
        singles = tuple(_single_with_asn1crypto(single) for single in tbs["responses"])
        return OcspFacts(
            produced_at=tbs["produced_at"].native,
            by_key=by_key,
            responder_id=responder.chosen.native if by_key else responder.chosen.untag().dump(),
            singles=singles,
            certs=tuple(cert.dump() for cert in basic["certs"] or ()),
            tbs=tbs.dump(),
            signature_algorithm=basic["signature_algorithm"].dump(),
            signature=basic["signature"].native,
        )
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
        # asn1crypto raises all of these on malformed input, at first access.
        return Unread.MALFORMED


def _single_with_asn1crypto(single: ocsp.SingleResponse) -> SingleFacts:
    cert_id = single["cert_id"]
    status = single["cert_status"]
    revoked = status.name == "revoked"
    return SingleFacts(
        serial=cert_id["serial_number"].native,
        hash_algorithm=cert_id["hash_algorithm"]["algorithm"].native,
        issuer_name_hash=cert_id["issuer_name_hash"].native,
        issuer_key_hash=cert_id["issuer_key_hash"].native,
        status=status.name,
        revocation_time=status.chosen["revocation_time"].native if revoked else None,
        this_update=single["this_update"].native,
        next_update=single["next_update"].native,
    )


# --- the DER reading ----------------------------------------------------------------------


def _read_response(der: bytes) -> OcspFacts:
    # Only a successful basic response is read here; whatever else the bytes are (another
    # status, another response type), asn1crypto says, so that both readers agree on it.
    top = DerReader(der)
    response = top.inside(SEQUENCE)
    top.done()
    start, end = response.next(ENUMERATED)
    if der[start:end] != b"\x00":
        raise NotDerError
    response_bytes = response.inside(0xA0).only(SEQUENCE)
    response.done()
    start, end = response_bytes.element(OID)
    if der[start:end] != _BASIC_OCSP:
        raise NotDerError
    start, end = response_bytes.next(OCTET_STRING)
    response_bytes.done()
    return _read_basic(der, start, end)


def _read_basic(der: bytes, start: int, end: int) -> OcspFacts:
    outer = DerReader(der, start, end)
    basic = outer.inside(SEQUENCE)
    outer.done()
    tbs_start, tbs_end = basic.element(SEQUENCE)
    algorithm_start, algorithm_end = basic.element(SEQUENCE)
    signature_start, signature_end = basic.next(BIT_STRING)
    if signature_end == signature_start or der[signature_start] != 0:
        raise NotDerError  # a signature of whole bytes, as certvalidator reads it
    certs: tuple[bytes, ...] = ()
    if basic.peek() is not None:
        listed = basic.inside(0xA0).only(SEQUENCE)
        found = []
        while listed.peek() is not None:
            cert_start, cert_end = listed.element(SEQUENCE)
            found.append(der[cert_start:cert_end])
        certs = tuple(found)
    basic.done()
    tbs = DerReader(der, tbs_start, tbs_end).inside(SEQUENCE)
    if tbs.peek() == 0xA0:
        tbs.next(0xA0)  # the version, v1 whatever it says: nothing reads it
    by_key = tbs.peek() == 0xA2
    if by_key:
        key_hash = tbs.inside(0xA2)
        start, end = key_hash.next(OCTET_STRING)
        key_hash.done()
        responder_id = der[start:end]
    else:
        chosen = tbs.inside(0xA1)
        start, end = chosen.element(SEQUENCE)
        chosen.done()
        responder_id = der[start:end]
    produced_at = _time(der, *tbs.next(GENERALIZED_TIME))
    responses = tbs.inside(SEQUENCE)
    singles = []
    while responses.peek() is not None:
        singles.append(_read_single(der, responses.inside(SEQUENCE)))
    if tbs.peek() == 0xA1:
        tbs.next(0xA1)  # responseExtensions: nothing reads them
    tbs.done()
    return OcspFacts(
        produced_at=produced_at,
        by_key=by_key,
        responder_id=responder_id,
        singles=tuple(singles),
        certs=certs,
        tbs=der[tbs_start:tbs_end],
        signature_algorithm=der[algorithm_start:algorithm_end],
        signature=der[signature_start + 1 : signature_end],
    )


def _read_single(der: bytes, single: DerReader) -> SingleFacts:
    cert_id = single.inside(SEQUENCE)
    algorithm = cert_id.inside(SEQUENCE)
    oid_start, oid_end = algorithm.element(OID)
    hash_algorithm = _DIGESTS.get(der[oid_start:oid_end])
    if hash_algorithm is None:
        raise NotDerError  # named by asn1crypto, which knows every digest's name
    start, end = cert_id.next(OCTET_STRING)
    name_hash = der[start:end]
    start, end = cert_id.next(OCTET_STRING)
    key_hash = der[start:end]
    start, end = cert_id.next(INTEGER)
    if start == end:
        raise NotDerError
    serial = int.from_bytes(der[start:end], "big", signed=True)
    cert_id.done()
    revocation_time = None
    tag = single.peek()
    if tag == 0x80:
        single.next(0x80)
        status = "good"
    elif tag == 0xA1:
        revoked = single.inside(0xA1)
        revocation_time = _time(der, *revoked.next(GENERALIZED_TIME))
        status = "revoked"
    elif tag == 0x82:
        single.next(0x82)
        status = "unknown"
    else:
        raise NotDerError
    this_update = _time(der, *single.next(GENERALIZED_TIME))
    next_update = None
    if single.peek() == 0xA0:
        explicit = single.inside(0xA0)
        next_update = _time(der, *explicit.next(GENERALIZED_TIME))
        explicit.done()
    if single.peek() == 0xA1:
        single.next(0xA1)  # singleExtensions: nothing reads them
    single.done()
    return SingleFacts(
        serial=serial,
        hash_algorithm=hash_algorithm,
        issuer_name_hash=name_hash,
        issuer_key_hash=key_hash,
        status=status,
        revocation_time=revocation_time,
        this_update=this_update,
        next_update=next_update,
    )


def _time(der: bytes, start: int, end: int) -> datetime:
    # DER's GeneralizedTime without fractions (RFC 5280 §4.1.2.5.2 and RFC 6960's
    # responders): YYYYMMDDHHMMSSZ. Any other form is asn1crypto's to read.
    text = der[start:end]
    if len(text) != 15 or text[14] != 0x5A or not text[:14].isdigit():
        raise NotDerError
    try:
        return datetime(
            int(text[0:4]),
            int(text[4:6]),
            int(text[6:8]),
            int(text[8:10]),
            int(text[10:12]),
            int(text[12:14]),
            tzinfo=UTC,
        )
    except ValueError:
        raise NotDerError from None
