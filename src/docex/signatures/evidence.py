"""Validation data carried inside a signature: certificates, CRLs and OCSP responses.

pyHanko reads the CMS ``certificates`` field but not CAdES ``certificate-values`` and
``revocation-values`` (EN 319 122-1 §5.5), nor OCSP responses in the CMS ``crls`` field
(RFC 5940). This module collects all of them so that a CAdES B-LT signature can be
validated offline, exactly as its signer intended.

Embedded data is bounded (see :mod:`docex.signatures.limits`): at most
``max_certificates`` certificates, ``max_crls`` CRLs and ``max_ocsp_responses`` OCSP
responses per signature or document, and ``max_validation_data_bytes`` of them in all.
Collection stops at the first item past a bound, and the data is marked
:attr:`ValidationData.refused`; the certificate evaluator then refuses to evaluate with it,
which gives an INDETERMINATE verdict naming the bound. PDF DSS streams are inflated only
up to what is left of the byte bound (:func:`dss_validation_data`).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from asn1crypto import cms, core, crl, ocsp, x509

from docex.signatures import cades_asn1
from docex.signatures.der import OID, SEQUENCE, SET, DerReader, NotDerError, context
from docex.signatures.limits import LimitExceededError, Limits, read_stream_bounded
from docex.signatures.ocsp_facts import OcspFacts, Unread, ocsp_facts, ocsp_reading
from docex.signatures.parsed import ParsedCache, wrap_basic_ocsp
from docex.signatures.report import RevocationEvidence

if TYPE_CHECKING:
    from pyhanko.pdf_utils.reader import PdfFileReader


@dataclass(frozen=True)
class ValidationData:
    """Certificates and revocation data available to a validation."""

    certs: tuple[x509.Certificate, ...] = ()
    crls: tuple[crl.CertificateList, ...] = ()
    ocsps: tuple[ocsp.OCSPResponse, ...] = ()
    source: str = "embedded"
    refused: str | None = None
    """Why this data must not be used: the bound it exceeded (None when within bounds).

    Refused data holds only what was collected before the bound was reached."""

    def merged(self, other: ValidationData) -> ValidationData:
        """The union of two sets of validation data, without duplicates.

        The union of refused data is refused, for the first reason given.
        """
        if other.refused is None and self._includes(other):
            # Nothing new (a time-stamp token's certificates, usually): the union is this
            # data without its repetitions, made once for this object.
            return self._deduplicated
        return ValidationData(
            certs=_unique(self.certs + other.certs),
            crls=_unique(self.crls + other.crls),
            ocsps=_unique(self.ocsps + other.ocsps),
            source=self.source,
            refused=self.refused or other.refused,
        )

    def exceeded(self, limits: Limits) -> str | None:
        """The message naming the bound this data exceeds, or None if it is within all."""
        if self.refused is not None:
            return self.refused
        for bound, items, what in (
            ("max_certificates", self.certs, "the number of certificates"),
            ("max_crls", self.crls, "the number of CRLs"),
            ("max_ocsp_responses", self.ocsps, "the number of OCSP responses"),
        ):
            if len(items) > getattr(limits, bound):
                return limits.exceeded(bound, what=f"{what} ({len(items)})")
        size = self._size
        if size > limits.max_validation_data_bytes:
            return limits.exceeded(
                "max_validation_data_bytes", what=f"the validation data ({size} bytes)"
            )
        return None

    @functools.cached_property
    def _size(self) -> int:
        return sum(len(i.dump()) for i in (*self.certs, *self.crls, *self.ocsps))

    def _includes(self, other: ValidationData) -> bool:
        certs, crls, ocsps = self._encodings
        return (
            all(c.dump() in certs for c in other.certs)
            and all(c.dump() in crls for c in other.crls)
            and all(o.dump() in ocsps for o in other.ocsps)
        )

    @functools.cached_property
    def _encodings(self) -> tuple[frozenset[bytes], frozenset[bytes], frozenset[bytes]]:
        return (
            frozenset(c.dump() for c in self.certs),
            frozenset(c.dump() for c in self.crls),
            frozenset(o.dump() for o in self.ocsps),
        )

    @functools.cached_property
    def _deduplicated(self) -> ValidationData:
        return ValidationData(
            certs=_unique(self.certs),
            crls=_unique(self.crls),
            ocsps=_unique(self.ocsps),
            source=self.source,
            refused=self.refused,
        )

    @functools.cached_property
    def certificates_digest(self) -> bytes:
        """A digest of the set of certificates offered (path building depends on them).

        Of the set: a certificate offered twice is offered once (certvalidator's registry
        keeps one of each), so the signature's certificates and the same without their
        repetitions, as its TSA is evaluated with, have one digest. Computed once per
        object: the caches ask it several times per evaluation.
        """
        h = hashlib.sha256()
        for digest in sorted({c.sha256 for c in self.certs}):
            h.update(len(digest).to_bytes(8, "big"))
            h.update(digest)
        return h.digest()

    @property
    def has_revocation_data(self) -> bool:
        return bool(self.crls or self.ocsps)

    @functools.cached_property
    def cache_key(self) -> tuple[frozenset[bytes], frozenset[bytes], frozenset[bytes]]:
        """Identifies this data by content, for caches of results proven with it.

        Computed once per object (the data is immutable); every lookup would otherwise
        re-encode and hash each CRL and OCSP response.
        """
        return (
            frozenset(c.sha256 for c in self.certs),
            frozenset(hashlib.sha256(c.dump()).digest() for c in self.crls),
            frozenset(hashlib.sha256(o.dump()).digest() for o in self.ocsps),
        )


_Item = TypeVar("_Item", x509.Certificate, crl.CertificateList, ocsp.OCSPResponse)


def _unique(items: tuple[_Item, ...]) -> tuple[_Item, ...]:
    seen: dict[bytes, _Item] = {}
    for item in items:
        seen.setdefault(item.dump(), item)
    return tuple(seen.values())


def from_signed_data(
    signed_data: cms.SignedData,
    *,
    parsed: ParsedCache | None = None,
    limits: Limits | None = None,
) -> ValidationData:
    """Collect the validation data a CMS signature carries.

    With ``parsed``, the certificates, CRLs and OCSP responses are the objects it keeps
    for their DER encodings (see :mod:`docex.signatures.parsed`), and the result itself is
    kept for the encodings it is collected from.

    With ``limits``, collection stops at the first item past a bound and the result is
    :attr:`~ValidationData.refused`. Without, the CMS's own size (bounded by the input
    limit) bounds the collection, and the certificate evaluator applies its limits later.
    """
    if parsed is None:
        return _collect(signed_data, None, limits)
    key = _embedded_key(signed_data)
    if limits is not None:
        key += repr(limits).encode()
    kept = parsed.recall("embedded_validation_data", key)
    if isinstance(kept, ValidationData):
        return kept
    data = _collect(signed_data, parsed, limits)
    parsed.remember("embedded_validation_data", key, data)
    return data


_VALIDATION_DATA_ATTRIBUTES = frozenset({"certificate_values", "revocation_values"})


def _embedded_key(signed_data: cms.SignedData) -> bytes:
    """The encodings of everything :func:`_collect` reads, unambiguously concatenated.

    Each part is the value's contents exactly as they were received (``dump()`` would
    re-encode a value received with an indefinite length), with a mark for absent values.
    """
    parts = [_received(signed_data["certificates"]), _received(signed_data["crls"])]
    for signer_info in signed_data["signer_infos"]:
        for attr in signer_info["unsigned_attrs"] or ():
            if attr["type"].native in _VALIDATION_DATA_ATTRIBUTES:
                parts.append(_received(attr))
    return b"".join(len(part).to_bytes(8, "big") + part for part in parts)


def _received(value: core.Asn1Value) -> bytes:
    if value is core.VOID or value is None:
        return b"\x00"
    return b"\x01" + bytes(value.contents)


class _Budget:
    """Counts collected items against the limits; raises at the first one past a bound."""

    def __init__(self, limits: Limits | None) -> None:
        self.limits = limits
        self.counts = {"max_certificates": 0, "max_crls": 0, "max_ocsp_responses": 0}
        self.size = 0

    def take(self, bound: str, size: int) -> None:
        limits = self.limits
        if limits is None:
            return
        self.counts[bound] += 1
        if self.counts[bound] > getattr(limits, bound):
            what = _WHAT[bound]
            raise LimitExceededError(limits.exceeded(bound, what=f"the number of {what}"))
        self.size += size
        if self.size > limits.max_validation_data_bytes:
            raise LimitExceededError(
                limits.exceeded("max_validation_data_bytes", what="the embedded validation data")
            )


_WHAT = {
    "max_certificates": "certificates",
    "max_crls": "CRLs",
    "max_ocsp_responses": "OCSP responses",
}


_Embedded = tuple[str, int, core.Asn1Value]
"""An item a signature carries: the bound it counts against, its size as embedded, itself."""


def _collect(
    signed_data: cms.SignedData, parsed: ParsedCache | None, limits: Limits | None
) -> ValidationData:
    certs: list[x509.Certificate] = []
    crls: list[crl.CertificateList] = []
    ocsps: list[ocsp.OCSPResponse] = []
    lists: dict[str, list[Any]] = {
        "max_certificates": certs,
        "max_crls": crls,
        "max_ocsp_responses": ocsps,
    }
    budget = _Budget(limits)
    refused: str | None = None
    try:
        for bound, size, item in _items(signed_data, parsed):
            budget.take(bound, size)
            lists[bound].append(item)
    except LimitExceededError as exc:
        refused = str(exc)
    return ValidationData(certs=tuple(certs), crls=tuple(crls), ocsps=tuple(ocsps), refused=refused)


def _items(signed_data: cms.SignedData, parsed: ParsedCache | None) -> Iterator[_Embedded]:
    """Every certificate, CRL and OCSP response the signature carries, in the order met.

    Part by part (the CMS ``certificates`` and ``crls``, each signer's
    ``certificate-values`` and ``revocation-values``): with ``parsed``, what a part
    yields is kept for the part's exact encoding, since signatures by one signer repeat
    their certificates byte for byte even where each embeds its own OCSP responses.
    """
    yield from _part(signed_data["certificates"], "cms_certificates", _cms_certificates, parsed)
    yield from _part(signed_data["crls"], "cms_crls", _cms_revocation, parsed)
    for signer_info in signed_data["signer_infos"]:
        for attr in signer_info["unsigned_attrs"] or ():
            kind = attr["type"].native
            if kind == "certificate_values":
                yield from _part(attr, kind, _certificate_values, parsed)
            elif kind == "revocation_values":
                yield from _part(attr, kind, _revocation_values, parsed)


def _part(
    value: core.Asn1Value,
    kind: str,
    read: Callable[[core.Asn1Value, ParsedCache | None], Iterator[_Embedded]],
    parsed: ParsedCache | None,
) -> Iterator[_Embedded]:
    if parsed is None:
        yield from read(value, None)
        return
    key = _received(value)
    kept = parsed.recall(f"embedded_{kind}", key)
    if isinstance(kept, tuple):
        yield from kept
        return
    # Kept only once read to its end: a part that fails to parse, or whose reading the
    # budget stopped, meets the same end at the same item the next time.
    items: list[_Embedded] = []
    for item in read(value, parsed):
        items.append(item)
        yield item
    parsed.remember(f"embedded_{kind}", key, tuple(items))


def _cms_certificates(value: core.Asn1Value, parsed: ParsedCache | None) -> Iterator[_Embedded]:
    for choice in value or ():
        if choice.name == "certificate":
            cert = choice.chosen
            yield "max_certificates", len(cert.dump()), _cached_certificate(cert, parsed)


def _cms_revocation(value: core.Asn1Value, parsed: ParsedCache | None) -> Iterator[_Embedded]:
    for choice in value or ():
        if choice.name == "crl":
            item = choice.chosen
            yield "max_crls", len(item.dump()), _cached_crl(item, parsed)
        elif choice.chosen["other_rev_info_format"].native == "ocsp_response":
            response = choice.chosen["other_rev_info"]
            yield "max_ocsp_responses", len(response.dump()), _cached_ocsp(response, parsed)


def _certificate_values(attr: core.Asn1Value, parsed: ParsedCache | None) -> Iterator[_Embedded]:
    for value in attr["values"]:
        for cert in value:
            yield "max_certificates", len(cert.dump()), _cached_certificate(cert, parsed)


def _revocation_values(attr: core.Asn1Value, parsed: ParsedCache | None) -> Iterator[_Embedded]:
    read = None if parsed is None else _revocation_values_from_der(attr, parsed)
    if read is not None:
        yield from read
        return
    for value in attr["values"]:
        for item in value["crl_vals"] or ():
            yield "max_crls", len(item.dump()), _cached_crl(item, parsed)
        for basic in value["ocsp_vals"] or ():
            # Counted as embedded (a BasicOCSPResponse), kept wrapped in an OCSPResponse.
            wrapped = None if parsed is None else parsed.cached_wrapped_basic_ocsp(basic)
            response = wrap_basic_ocsp(basic) if wrapped is None else wrapped
            yield "max_ocsp_responses", len(basic.dump()), response


def _revocation_values_from_der(
    attr: core.Asn1Value, parsed: ParsedCache
) -> list[_Embedded] | None:
    """What :func:`_revocation_values` yields, read from the attribute's DER.

    An own-evidence signature's ``revocation-values`` is new every time (its OCSP responses
    are), and reading it with asn1crypto, to reach CRLs and responses that are mostly
    cached by their bytes, cost more than the rest of collecting. The walk takes each
    CRL's and response's exact encoding (what ``dump()`` of asn1crypto's reading gives)
    and looks it up. None for anything but DER of the structure asn1crypto reads
    (``RevocationValues`` with ``crlVals`` and ``ocspVals`` only), which asn1crypto then
    reads as before.
    """
    der = bytes(attr.contents)
    items: list[_Embedded] = []
    try:
        reader = DerReader(der)
        reader.next(OID)  # the attribute's type, already known
        values = reader.inside(SET)
        reader.done()
        while values.peek() is not None:
            value = values.inside(SEQUENCE)
            if value.peek() == context(0):
                listed = value.inside(context(0)).only(SEQUENCE)
                while listed.peek() is not None:
                    start, end = listed.element(SEQUENCE)
                    item = der[start:end]
                    cached = parsed.crl_of(item)
                    found = crl.CertificateList.load(item) if cached is None else cached
                    items.append(("max_crls", len(item), found))
            if value.peek() == context(1):
                listed = value.inside(context(1)).only(SEQUENCE)
                while listed.peek() is not None:
                    start, end = listed.element(SEQUENCE)
                    item = der[start:end]
                    wrapped = parsed.wrapped_basic_ocsp_of(item)
                    if wrapped is None:
                        wrapped = wrap_basic_ocsp(ocsp.BasicOCSPResponse.load(item))
                    # Counted as embedded (a BasicOCSPResponse), kept wrapped.
                    items.append(("max_ocsp_responses", len(item), wrapped))
            value.done()  # otherRevVals, or anything else: asn1crypto's to read
    except NotDerError:
        return None
    return items


def _cached_certificate(cert: x509.Certificate, parsed: ParsedCache | None) -> x509.Certificate:
    return cert if parsed is None else _either(parsed.cached_certificate(cert), cert)


def _cached_crl(item: crl.CertificateList, parsed: ParsedCache | None) -> crl.CertificateList:
    return item if parsed is None else _either(parsed.cached_crl(item), item)


def _cached_ocsp(item: ocsp.OCSPResponse, parsed: ParsedCache | None) -> ocsp.OCSPResponse:
    return item if parsed is None else _either(parsed.cached_ocsp_response(item), item)


def dss_validation_data(
    reader: PdfFileReader, *, limits: Limits, parsed: ParsedCache | None = None
) -> ValidationData:
    """The certificates, OCSP responses and CRLs of a PDF's document security store.

    The streams are counted before any is decoded, and decoded one by one within what is
    left of ``max_validation_data_bytes``: a stream that would inflate past it is not
    inflated further, and the result is refused.

    With ``parsed``, each item is the object that cache keeps for its encoding when it
    keeps one. The DSS repeats the certificates and responses the signatures' CMS carry;
    read through the cache the CMS readers use, each is one object whichever container
    it came from, so certvalidator's registries prepare each certificate's names once
    (asn1crypto keeps the prepared form on the object), not once per copy (issue 12).
    """
    try:
        dss = reader.root["/DSS"]
    except KeyError:
        return ValidationData(source="dss")
    # Indexing dereferences (the arrays may be indirect objects); .get would not.
    refs = {
        key: list(dss[name]) if name in dss else []
        for key, name in (("certs", "/Certs"), ("ocsps", "/OCSPs"), ("crls", "/CRLs"))
    }
    for key, bound, what in (
        ("certs", "max_certificates", "the number of DSS certificates"),
        ("crls", "max_crls", "the number of DSS CRLs"),
        ("ocsps", "max_ocsp_responses", "the number of DSS OCSP responses"),
    ):
        if len(refs[key]) > getattr(limits, bound):
            return ValidationData(
                source="dss", refused=limits.exceeded(bound, what=f"{what} ({len(refs[key])})")
            )
    left = limits.max_validation_data_bytes
    decoded: dict[str, list[bytes]] = {"certs": [], "ocsps": [], "crls": []}
    for key, items in refs.items():
        for ref in items:
            try:
                data = read_stream_bounded(ref.get_object(), max_bytes=left)
            except LimitExceededError as exc:
                what = f"the DSS validation data ({exc} after {_used(limits, left)})"
                return ValidationData(
                    source="dss", refused=limits.exceeded("max_validation_data_bytes", what=what)
                )
            left -= len(data)
            decoded[key].append(data)
    return ValidationData(
        certs=tuple(
            _cached_certificate(x509.Certificate.load(d), parsed) for d in decoded["certs"]
        ),
        crls=tuple(_cached_crl(crl.CertificateList.load(d), parsed) for d in decoded["crls"]),
        ocsps=tuple(_cached_ocsp(ocsp.OCSPResponse.load(d), parsed) for d in decoded["ocsps"]),
        source="dss",
    )


def _used(limits: Limits, left: int) -> str:
    return f"{limits.max_validation_data_bytes - left} bytes"


def _either(cached: _Item | None, own: _Item) -> _Item:
    return own if cached is None else cached


def relevant_evidence(
    data: ValidationData, path: Iterable[x509.Certificate]
) -> tuple[RevocationEvidence, ...]:
    """Describe the revocation data that speaks about the certificates of a path."""
    certs = list(path)
    serials = {c.serial_number for c in certs}
    issuers = {c.issuer.sha256 for c in certs}
    evidence: list[RevocationEvidence] = []
    for item in data.ocsps:
        facts = ocsp_facts(item)
        if facts is None:
            continue
        if any(single.serial in serials for single in facts.singles):
            next_updates = [s.next_update for s in facts.singles if s.next_update]
            evidence.append(
                RevocationEvidence(
                    kind="ocsp",
                    source=data.source,
                    issuer=_responder_name(facts),
                    issued_at=facts.produced_at,
                    next_update=min(next_updates) if next_updates else None,
                    sha256=facts.sha256.hex(),
                )
            )
    for item in data.crls:
        summary = crl_summary(item)
        if summary.issuer_sha256 in issuers:
            evidence.append(
                RevocationEvidence(
                    kind="crl",
                    source=data.source,
                    issuer=item["tbs_cert_list"]["issuer"].human_friendly,
                    issued_at=summary.this_update,
                    next_update=summary.next_update,
                    sha256=summary.sha256.hex(),
                )
            )
    return tuple(evidence)


@dataclass(frozen=True)
class CrlSummary:
    """What the evidence caches and the report ask of every CRL, for every signature."""

    issuer_sha256: bytes
    """The SHA-256 of the issuer name's encoding (asn1crypto's ``Name.sha256``)."""
    this_update: datetime
    next_update: datetime | None
    sha256: bytes
    """The SHA-256 of the CRL's encoding."""


_CRL_SUMMARY = "_docex_crl_summary"


def crl_summary(item: crl.CertificateList) -> CrlSummary:
    """The :class:`CrlSummary` of ``item``, read once per CRL object and kept on it.

    CRLs repeat from one signature to the next (one a day per CA) and are kept parsed by
    their bytes (:mod:`docex.signatures.parsed`); their fields were read through asn1crypto
    for each evaluation. A CRL whose fields cannot be read raises as reading them did,
    and nothing is kept.
    """
    kept: CrlSummary | None = getattr(item, _CRL_SUMMARY, None)
    if kept is None:
        tbs = item["tbs_cert_list"]
        kept = CrlSummary(
            issuer_sha256=tbs["issuer"].sha256,
            this_update=tbs["this_update"].native,
            next_update=tbs["next_update"].native,
            sha256=hashlib.sha256(item.dump()).digest(),
        )
        setattr(item, _CRL_SUMMARY, kept)
    return kept


def revocation_times(data: ValidationData, path: Iterable[x509.Certificate]) -> Iterator[datetime]:
    """Every revocation time the data states for a certificate of the path."""
    certs = list(path)
    wanted = {(c.issuer.sha256, c.serial_number) for c in certs}
    serials = {s for _, s in wanted}
    issuers = {i for i, _ in wanted}
    for item in data.ocsps:
        facts = ocsp_facts(item)
        if facts is None:
            continue
        for single in facts.singles:
            if single.serial in serials and single.revocation_time is not None:
                yield single.revocation_time
    for item in data.crls:
        tbs = item["tbs_cert_list"]
        if tbs["issuer"].sha256 not in issuers:
            continue
        for entry in tbs["revoked_certificates"] or ():
            if entry["user_certificate"].native in serials:
                yield entry["revocation_date"].native


def earliest_next_update(data: ValidationData) -> datetime | None:
    """The earliest ``nextUpdate`` over all revocation data, or None if some has none.

    None too when an OCSP response cannot be read whole
    (:attr:`~docex.signatures.ocsp_facts.Unread.MALFORMED`).
    """
    times: list[datetime] = []
    for item in data.ocsps:
        facts = ocsp_reading(item)
        if facts is Unread.MALFORMED:
            return None  # what it says about when it ends is unknown: nothing is cached on it
        if facts is Unread.NOT_BASIC:
            continue
        for single in facts.singles:
            if single.next_update is None:
                return None
            times.append(single.next_update)
    for item in data.crls:
        next_update = item["tbs_cert_list"]["next_update"].native
        if next_update is None:
            return None
        times.append(next_update)
    return min(times) if times else None


@functools.lru_cache(maxsize=256)
def _name_text(der: bytes) -> str:
    # Responders repeat from one response to the next; their names are read once.
    return str(x509.Name.load(der).human_friendly)


def _responder_name(facts: OcspFacts) -> str:
    if not facts.by_key:
        return _name_text(facts.responder_id)
    return f"key {facts.responder_id.hex()}"


__all__ = [
    "CrlSummary",
    "ValidationData",
    "cades_asn1",
    "crl_summary",
    "dss_validation_data",
    "earliest_next_update",
    "from_signed_data",
    "relevant_evidence",
    "revocation_times",
    "wrap_basic_ocsp",
]
