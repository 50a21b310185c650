"""Caches of what verifying a certificate's revocation evidence proved, piece by piece.

In production every signature embeds its own OCSP responses (the signer's and the TSA's,
produced when it was signed) and the CRLs current that day. The certificate evaluator's
whole-result cache (:mod:`docex.signatures.paths`) is keyed on all of that data, so it
would rarely hit, and a certvalidator run costs ten to twenty times a warm verification.
What does repeat from one signature to the next is smaller, and is cached here, each
piece keyed by exactly what it depends on:

* :class:`CachingSignatureValidator` -- a signature (of a certificate, a CRL, an OCSP
  response) that verified, keyed by the digest of the key, the algorithm, the signature
  and the signed bytes. A structure that differs by one bit has another key and is
  verified afresh; a failure is never remembered.
* :class:`ChainCache` -- everything a successful evaluation established except the
  end-entity certificate's own revocation status: the path, its certificates' signatures
  and validity and the qualification, keyed by the end-entity certificate, the
  certificates offered and the trust configuration, valid within the path's validity and
  the qualification's stretch; and, separately, the CAs' revocation status, keyed by the
  CAs, the certificates offered, the trust configuration and the revocation data about
  the CAs (never the data about an end entity), valid while that data is current. The
  status serves every end entity under the same CAs: on a new CRL day, the first
  certificate evaluated establishes it and the others (the TSA's, other signers') use it.
* :class:`ResponderCache` -- an OCSP responder certificate that certvalidator accepted
  as delegated by a CA (``id-pkix-ocsp-nocheck`` responders only, whose own status is
  never checked), within the responder certificate's validity. certvalidator is asked
  to judge it (a second OCSP check) only during the evaluation of a certificate whose
  chain is already cached, so that a verifier used once pays nothing for it.

With a chain entry and an authorised responder, the end entity's status needs only its
own OCSP response checked (:func:`ocsp_good`): identified, fresh, signed by that
responder, "good". Anything else -- no chain entry, an unknown responder, two responses
about the certificate, a CRL-only certificate -- goes to certvalidator as before.
A signer's verdict is never cached: every signature's own OCSP response is checked.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from asn1crypto import algos, keys, ocsp, x509
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo, ValidationTimingParams
from pyhanko_certvalidator.policy_decl import CertRevTrustPolicy
from pyhanko_certvalidator.revinfo.archival import RevinfoUsabilityRating
from pyhanko_certvalidator.revinfo.archival import _judge_revinfo as judge_revinfo
from pyhanko_certvalidator.sig_validate import (
    DEFAULT_VALIDATION_CONTEXT,
    SignatureValidationContext,
    SignatureValidator,
)
from pyhanko_certvalidator.util import get_declared_revinfo

from docex.signatures.evidence import ValidationData, crl_summary
from docex.signatures.ocsp_facts import OcspFacts, SingleFacts, Unread, ocsp_facts, ocsp_reading

_K = TypeVar("_K", bound=Hashable)
_V = TypeVar("_V")

DEFAULT_SIGNATURE_CACHE_SIZE = 4096
DEFAULT_CHAIN_CACHE_SIZE = 4096
DEFAULT_RESPONDER_CACHE_SIZE = 256


class BoundedCache(Generic[_K, _V]):
    """A thread-safe map that forgets its least recently used entry past ``max_size``."""

    def __init__(self, max_size: int) -> None:
        if max_size < 1:
            raise ValueError("a bounded cache needs room for at least one entry")
        self.max_size = max_size
        self._entries: OrderedDict[_K, _V] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: _K) -> _V | None:
        """The value for ``key``, marked as recently used, or None."""
        with self._lock:
            value = self._entries.get(key)
            if value is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return value

    def peek(self, key: _K) -> _V | None:
        """The value for ``key``, without counting a hit or marking it used."""
        with self._lock:
            return self._entries.get(key)

    def put(self, key: _K, value: _V) -> None:
        """Remember ``value`` for ``key``, evicting the least recently used past the bound."""
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


class CachingSignatureValidator(SignatureValidator):
    """A signature validator that verifies each exact (key, algorithm, signature, data) once.

    Only successes are remembered; the wrapped validator raises on a failure as it always
    does, and the next identical input is verified again. The key is a SHA-256 over
    length-prefixed encodings, so no two different inputs share one.
    """

    def __init__(
        self, inner: SignatureValidator, *, max_size: int = DEFAULT_SIGNATURE_CACHE_SIZE
    ) -> None:
        self.inner = inner
        self.verified: BoundedCache[bytes, bool] = BoundedCache(max_size)

    def validate_signature(
        self,
        signature: bytes,
        signed_data: bytes,
        public_key_info: keys.PublicKeyInfo,
        signature_algorithm: algos.SignedDigestAlgorithm,
        context: SignatureValidationContext = DEFAULT_VALIDATION_CONTEXT,
    ) -> None:
        """Verify as the wrapped validator does, unless this exact input verified before."""
        if context.prehashed or context.contextual_md_algorithm is not None:
            # Only plain signatures over the bytes given are cached; the others are rare.
            self.inner.validate_signature(
                signature, signed_data, public_key_info, signature_algorithm, context
            )
            return
        key = _digest(
            public_key_info.dump(), signature_algorithm.dump(), bytes(signature), signed_data
        )
        if self.verified.get(key):
            return
        self.inner.validate_signature(
            signature, signed_data, public_key_info, signature_algorithm, context
        )
        self.verified.put(key, True)


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _digest(*parts: bytes) -> bytes:
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.digest()


# --- which revocation data speaks about which certificate --------------------------------


@dataclass(frozen=True)
class _Named:
    """What an OCSP CertID is compared with: a certificate's serial and issuer name hashes."""

    serial: int
    issuer_hashes: dict[str, bytes]

    @classmethod
    def of(cls, cert: x509.Certificate) -> _Named:
        issuer = cert.issuer
        return cls(cert.serial_number, {"sha1": issuer.sha1, "sha256": issuer.sha256})


def _may_name(single: SingleFacts, certs: Iterable[_Named]) -> bool:
    """Whether certvalidator could take ``single`` to be about one of ``certs``.

    It needs the serial and the issuer name hash to match (and the key hash); this
    checks the first two, and counts a hash algorithm it cannot compute as a match.
    """
    candidates = [c for c in certs if c.serial == single.serial]
    if not candidates:
        return False
    algorithm = single.hash_algorithm
    return any(
        algorithm not in c.issuer_hashes or c.issuer_hashes[algorithm] == single.issuer_name_hash
        for c in candidates
    )


def about(data: ValidationData, certs: Iterable[x509.Certificate]) -> ValidationData:
    """The revocation data in ``data`` that may speak about any of ``certs``.

    An OCSP response is counted when one of its responses may be about one of ``certs``
    (the serial and issuer name hash; counting too much only makes a key stricter), or
    when it cannot be read; a CRL when its issuer's encoding is that of an issuer of
    ``certs`` (compared by the SHA-256 of the encoding).
    The certificates offered are kept as they are.
    """
    wanted = [_Named.of(c) for c in certs]
    issuers = {c.issuer_hashes["sha256"] for c in wanted}
    ocsps = []
    for item in data.ocsps:
        facts = ocsp_facts(item)
        if facts is None or any(_may_name(s, wanted) for s in facts.singles):
            ocsps.append(item)
    crls = [c for c in data.crls if crl_summary(c).issuer_sha256 in issuers]
    return ValidationData(
        certs=data.certs, crls=tuple(crls), ocsps=tuple(ocsps), source=data.source
    )


def about_certificates(data: ValidationData, certs: Iterable[x509.Certificate]) -> bytes:
    """A digest of :func:`about` ``certs``'s revocation data: what the CAs' status rests on."""
    subset = about(data, certs)
    # Sets: an item embedded twice is the same evidence (certvalidator keeps one of each),
    # and the data a TSA is evaluated with is the signature's without its repetitions.
    return _digest(
        *sorted({b"o" + _ocsp_sha256(o) for o in subset.ocsps}),
        *sorted({b"c" + crl_summary(c).sha256 for c in subset.crls}),
    )


def _ocsp_sha256(item: ocsp.OCSPResponse) -> bytes:
    facts = ocsp_facts(item)
    return _sha256(item.dump()) if facts is None else facts.sha256


def certificates_digest(data: ValidationData) -> bytes:
    """A digest of the set of certificates offered (path building depends on them).

    :attr:`ValidationData.certificates_digest`, kept on the data object.
    """
    return data.certificates_digest


# --- the caches ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainEntry(Generic[_V]):
    """An evaluation's result minus the revocation status of its certificates, and when it holds.

    The window is that of the path alone: every certificate of it within its validity,
    and the qualification unchanged (no trust service starts or ends within it). The
    CAs' revocation status is not part of it: :class:`CaStatus` says for which data.
    """

    result: _V
    valid_from: datetime
    valid_until: datetime


@dataclass(frozen=True)
class CaStatus:
    """The CAs of a path shown not revoked by one set of revocation data, and when that holds.

    The window is within every CA's (and the anchor's) validity and before the data's
    earliest ``nextUpdate``; data recording the revocation of any of them, at any time,
    is never made a status (a later evaluation time could cross it).
    """

    valid_from: datetime
    valid_until: datetime


class ChainCache(Generic[_V]):
    """Chain entries per (end-entity certificate, certificates offered, trust, purpose).

    Beside them, the CAs' status per (the CAs and anchor of a path, the certificates
    offered and the trust configuration, the revocation data about those CAs): what a
    successful evaluation established about the CAs, which any end entity under the same
    CAs may use. The CAs' revocation status is a function of the CA certificates, the
    certificates offered (the issuers of their CRLs and OCSP responses are found among
    them), the trust configuration, the revocation data about the CAs and the time; it
    does not depend on the end entity below them, nor on what the end entity is used for.
    So a signer's chain proven on Monday and the CAs' status proven with Tuesday's CRLs
    (by any certificate under them, a TSA's) together give what a certvalidator run on
    Tuesday would: the path (unchanged within its window) and the CAs not revoked.
    """

    def __init__(self, max_size: int = DEFAULT_CHAIN_CACHE_SIZE, per_key: int = 8) -> None:
        self._entries: BoundedCache[Hashable, tuple[ChainEntry[_V], ...]] = BoundedCache(max_size)
        self.statuses: BoundedCache[Hashable, CaStatus] = BoundedCache(max_size)
        """CA status by (CAs and anchor, context, digest of the data about the CAs)."""
        self._per_key = per_key
        self._lock = threading.Lock()

    @property
    def hits(self) -> int:
        return self._entries.hits

    @property
    def max_size(self) -> int:
        return self._entries.max_size

    def __len__(self) -> int:
        return len(self._entries)

    def find(
        self,
        key: Hashable,
        *,
        context: Hashable,
        data: ValidationData,
        at: datetime,
        issuers_of: Callable[[_V], tuple[x509.Certificate, ...]],
    ) -> ChainEntry[_V] | None:
        """An entry for ``key`` whose window holds ``at``, with its CAs' status proven.

        ``issuers_of`` gives a result's path above the end entity: its CAs, then the
        anchor. The CAs' status must have been established (:meth:`establish`) with the
        same ``context`` and exactly the revocation data about the CAs that ``data`` holds
        (:func:`about_certificates`), for a window that holds ``at`` too.
        """
        digests: dict[tuple[bytes, ...], bytes] = {}
        for entry in self._entries.get(key) or ():
            if not entry.valid_from <= at <= entry.valid_until:
                continue
            issuers = issuers_of(entry.result)
            # Entries of one certificate share their path; the digest is computed once.
            names = tuple(c.sha256 for c in issuers)
            if names not in digests:
                digests[names] = about_certificates(data, issuers[:-1])
            status = self.statuses.get((names, context, digests[names]))
            if status is not None and status.valid_from <= at <= status.valid_until:
                return entry
        return None

    def knows(self, key: Hashable) -> bool:
        """Whether any entry is kept for ``key`` (whatever its window and CA data)."""
        return bool(self._entries.peek(key))

    def add(self, key: Hashable, entry: ChainEntry[_V]) -> None:
        """Remember ``entry``; a key keeps its ``per_key`` most recent entries.

        An entry with the same window as one kept (the same path proven again, with the
        CAs' newer revocation data) replaces it rather than crowding out the others.
        """
        with self._lock:
            previous = tuple(
                e
                for e in self._entries.get(key) or ()
                if (e.valid_from, e.valid_until) != (entry.valid_from, entry.valid_until)
            )
            self._entries.put(key, (*previous, entry)[-self._per_key :])

    def establish(
        self,
        issuers: tuple[x509.Certificate, ...],
        *,
        context: Hashable,
        about_cas: bytes,
        status: CaStatus,
    ) -> None:
        """Record that the CAs ``issuers[:-1]`` (under the anchor ``issuers[-1]``) are good.

        ``about_cas`` is :func:`about_certificates` of those CAs in the data it was shown
        with; ``context`` identifies the certificates offered and the trust configuration.
        """
        names = tuple(c.sha256 for c in issuers)
        self.statuses.put((names, context, about_cas), status)


@dataclass(frozen=True)
class Responder:
    """An OCSP responder certvalidator accepted for a CA, and its certificate's validity."""

    valid_from: datetime
    valid_until: datetime


Identifiers = BoundedCache[bytes, tuple[bytes, bytes]]
"""Certificate SHA-256 -> (SHA-1 of its key, SHA-256 of its subject's encoding).

Pure functions of a certificate's bytes, kept (by the evaluator, like its other caches)
because the same CA and responder certificates are searched for every signature and
asn1crypto's field access is slow."""


class ResponderCache:
    """Delegated OCSP responders (``ocsp-nocheck``) accepted per issuing CA."""

    def __init__(self, max_size: int = DEFAULT_RESPONDER_CACHE_SIZE) -> None:
        self.entries: BoundedCache[tuple[bytes, bytes, str], Responder] = BoundedCache(max_size)
        self.identifiers: Identifiers = BoundedCache(4 * max_size)
        """What responder certificates are identified by, per certificate."""

    def accepted(
        self, responder: x509.Certificate, *, issuer: x509.Certificate, trust: str, at: datetime
    ) -> bool:
        """Whether ``responder`` was accepted for ``issuer`` and its validity holds ``at``."""
        entry = self.entries.get((responder.sha256, issuer.sha256, trust))
        return entry is not None and entry.valid_from <= at <= entry.valid_until

    def accept(self, responder: x509.Certificate, *, issuer: x509.Certificate, trust: str) -> None:
        """Record that certvalidator accepted a response by ``responder`` for ``issuer``."""
        validity = responder["tbs_certificate"]["validity"]
        self.entries.put(
            (responder.sha256, issuer.sha256, trust),
            Responder(validity["not_before"].native, validity["not_after"].native),
        )


# --- the end entity's own OCSP response ------------------------------------------------------


@dataclass(frozen=True)
class OwnResponse:
    """The one OCSP response about a certificate, what it says, and who signed it."""

    response: ocsp.OCSPResponse
    facts: OcspFacts
    """What the response says (:mod:`docex.signatures.ocsp_facts`), unproven until checked."""
    single: SingleFacts
    responder: x509.Certificate


def own_response(
    cert: x509.Certificate,
    issuer: x509.Certificate,
    data: ValidationData,
    configured: tuple[x509.Certificate, ...],
    identifiers: Identifiers,
) -> OwnResponse | None:
    """The only OCSP response in ``data`` naming ``cert``, if exactly one does.

    None when no response or several may name the certificate, when that response
    has several single responses, when a response cannot be read whole, when the
    certificate declares no OCSP responder (certvalidator then relies on CRLs), or when
    the responder is not one certificate of those offered and ``configured`` (the trust
    store's, which certvalidator also searches): certvalidator decides all of these.
    ``identifiers`` memoises what the responder is looked up by.
    """
    if not get_declared_revinfo(cert)[1]:
        return None
    found: list[tuple[ocsp.OCSPResponse, OcspFacts]] = []
    named = (_Named.of(cert),)
    for item in data.ocsps:
        facts = ocsp_reading(item)
        if facts is Unread.MALFORMED:
            # certvalidator may read part of it (one single response of two, say): a
            # "revoked" it finds there must not be passed over for a "good" elsewhere.
            return None
        if isinstance(facts, OcspFacts) and any(_may_name(s, named) for s in facts.singles):
            found.append((item, facts))
    if len(found) != 1 or len(found[0][1].singles) != 1:
        return None
    item, facts = found[0]
    (single,) = facts.singles
    algorithm = single.hash_algorithm
    if algorithm not in ("sha1", "sha256"):
        return None
    if single.issuer_name_hash != getattr(cert.issuer, algorithm) or (
        single.issuer_key_hash != getattr(issuer.public_key, algorithm)
    ):
        return None
    responder = _responder(facts, (*data.certs, *configured), identifiers)
    if responder is None:
        return None
    return OwnResponse(item, facts, single, responder)


def _responder(
    facts: OcspFacts, known: tuple[x509.Certificate, ...], identifiers: Identifiers
) -> x509.Certificate | None:
    # certvalidator looks in the response's certificates first, then in everything it
    # knows; a responder identified by only one certificate of all is the one it uses.
    # Only by its key hash: certvalidator finds a responder named by its name with
    # asn1crypto's normalised name comparison, which this search does not repeat (and
    # which two certificates with different encodings of one name could both pass).
    if not facts.by_key:
        return None
    wanted = facts.responder_id
    matches: dict[bytes, x509.Certificate | None] = {}
    for cert in known:
        if _identifiers(cert, identifiers)[0] == wanted:
            matches[cert.sha256] = cert
    for der in facts.certs:
        digest = _sha256(der)
        key_hash = _embedded_key_hash(der, digest, identifiers)
        if key_hash is None:
            return None  # a certificate it carries that cannot be read: certvalidator's case
        if key_hash == wanted and digest not in matches:
            matches[digest] = None
    if len(matches) != 1:
        return None
    ((digest, found),) = matches.items()
    if found is not None:
        return found
    # A responder only the response carries: read now, a new object per call (the
    # evaluator's caches are shared by threads, and asn1crypto's objects must not be).
    return x509.Certificate.load(next(d for d in facts.certs if _sha256(d) == digest))


def _identifiers(cert: x509.Certificate, known: Identifiers) -> tuple[bytes, bytes]:
    found = known.get(cert.sha256)
    if found is None:
        found = (cert.public_key.sha1, cert.subject.sha256)
        known.put(cert.sha256, found)
    return found


def _embedded_key_hash(der: bytes, digest: bytes, known: Identifiers) -> bytes | None:
    """The SHA-1 of the key of the certificate ``der`` (whose SHA-256 is ``digest``)."""
    found = known.get(digest)
    if found is None:
        try:
            cert = x509.Certificate.load(der)
            found = (cert.public_key.sha1, cert.subject.sha256)
        except (ValueError, TypeError, KeyError):
            return None  # not a certificate certvalidator could use either
        known.put(digest, found)
    return found[0]


def ocsp_good(
    own: OwnResponse,
    *,
    at: datetime,
    policy: CertRevTrustPolicy,
    tolerance: timedelta,
    validator: SignatureValidator,
) -> bool:
    """Whether ``own`` proves its certificate good at ``at``, as certvalidator would judge.

    The same checks in the same terms as certvalidator's single-response handling:
    freshness by certvalidator's own rule (``_judge_revinfo``, which its
    ``OCSPContainer.usable_at`` applies to the single response's ``thisUpdate`` and
    ``nextUpdate``) under the evaluator's policy and tolerance, the signature by the
    (caching) signature validator over the exact ``tbsResponseData``, and the status
    "good". The responder's authority is the caller's to have established
    (:class:`ResponderCache`).
    """
    single = own.single
    if single.status != "good":
        return False
    timing = ValidationTimingParams(
        ValidationTimingInfo(
            validation_time=at, best_signature_time=at, point_in_time_validation=True
        ),
        time_tolerance=tolerance,
    )
    usability = judge_revinfo(
        single.this_update, single.next_update, policy=policy, timing_params=timing
    )
    if usability.rating is not RevinfoUsabilityRating.OK:
        return False
    try:
        validator.validate_signature(
            signature=own.facts.signature,
            signed_data=own.facts.tbs,
            public_key_info=own.responder.public_key,
            signature_algorithm=own.facts.signed_digest_algorithm(),
        )
    except Exception:
        # Whatever does not verify (a wrong key, an unknown algorithm, a bad encoding)
        # leaves the decision to certvalidator.
        return False
    return True
