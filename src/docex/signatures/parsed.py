"""Embedded certificates and revocation data parsed once per distinct encoding.

Signatures by one signer within one OCSP validity period embed byte-identical
certificates, OCSP responses and CRLs (CAdES ``certificate-values`` and
``revocation-values``, the time-stamp token's certificates). Parsing them again for every
document, and re-deriving what docex reads from them, was most of the cost of a warm
verification. A :class:`ParsedCache` hands out one parsed object per distinct DER
encoding instead, and keeps values derived from nothing but such encodings.

What makes this sound:

* the key is the complete DER encoding (what ``dump()`` returns, which the rest of docex
  also hashes and compares), so only a byte-identical input can hit;
* the value is what loading exactly those bytes gives, or a pure function of them; nothing
  derived from a validation is kept here: every document's signature values, digests and
  time-stamps are still checked, and certificate paths go through their own cache
  (:mod:`docex.signatures.paths`), keyed by the certificates and revocation data offered;
* the cache is bounded in entries and in bytes, and keeps no item larger than
  ``max_item_bytes``.

The byte bound counts the keys (the encodings); what a warm verification has parsed of
them takes about eight times as much memory. Every thread that verifies has a cache (a
server's thread pool may have dozens), hence the small default: 256 KiB of encodings,
about 2 MB, holds the CA and time-stamping certificates and CRLs that all signers share
and what is particular to about a dozen signers (some 17 KB each for a CAdES B-LT
signature: the signer's certificate and OCSP response, and the collected data's key).

A cache belongs to one thread (the :class:`~docex.signatures.verifier.Verifier` keeps
one per thread). asn1crypto parses lazily and mutates objects as it does, so a parsed
object must not be read by two threads at once. Confined to a thread, a cached object is
parsed exactly as a fresh one would be, on first use; a part that fails to parse is not
marked parsed, so the next document meets the same error at the same place. (Cached
certificates do reach the certificate evaluator's shared cache, as the path of a result;
other threads only take their encoding from there, which a cached object returns without
looking at its parsed state.)
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from asn1crypto import crl, ocsp, parser, x509

_T = TypeVar("_T")

DEFAULT_MAX_ENTRIES = 256
DEFAULT_MAX_BYTES = 256 * 1024
DEFAULT_MAX_ITEM_BYTES = 64 * 1024


class ParsedCache:
    """A bounded map from exact DER bytes to the parsed object, for one thread."""

    def __init__(
        self,
        *,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_item_bytes: int = DEFAULT_MAX_ITEM_BYTES,
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_item_bytes = min(max_item_bytes, max_bytes)
        self._entries: OrderedDict[tuple[str, bytes], Any] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def total_bytes(self) -> int:
        """The bytes of the keys kept (DER encodings), which the bound applies to."""
        return self._bytes

    def certificate(self, cert: x509.Certificate) -> x509.Certificate:
        """The cached certificate with the DER encoding of ``cert``, else ``cert`` itself."""
        cached = self.cached_certificate(cert)
        return cert if cached is None else cached

    def cached_certificate(self, cert: x509.Certificate) -> x509.Certificate | None:
        """The cached certificate with the DER encoding of ``cert``; None if not kept."""
        return self._get("certificate", cert.dump(), _load_certificate)

    def cached_ocsp_response(self, response: ocsp.OCSPResponse) -> ocsp.OCSPResponse | None:
        """The cached OCSP response with the DER encoding of ``response``."""
        return self._get("ocsp", response.dump(), _load_ocsp_response)

    def cached_wrapped_basic_ocsp(self, basic: ocsp.BasicOCSPResponse) -> ocsp.OCSPResponse | None:
        """The cached :func:`wrap_basic_ocsp` of the DER encoding of ``basic``."""
        return self.wrapped_basic_ocsp_of(basic.dump())

    def wrapped_basic_ocsp_of(self, der: bytes) -> ocsp.OCSPResponse | None:
        """The cached :func:`wrap_basic_ocsp` of the ``BasicOCSPResponse`` encoded as ``der``."""
        return self._get("basic_ocsp", der, _load_wrapped_basic_ocsp)

    def cached_crl(self, certificate_list: crl.CertificateList) -> crl.CertificateList | None:
        """The cached CRL with the DER encoding of ``certificate_list``."""
        return self.crl_of(certificate_list.dump())

    def crl_of(self, der: bytes) -> crl.CertificateList | None:
        """The cached CRL encoded as ``der``; None if it is not kept (or does not load)."""
        return self._get("crl", der, _load_crl)

    def recall(self, kind: str, key: bytes) -> Any:
        """What :meth:`remember` kept under ``kind`` and ``key``, or None."""
        hit = self._entries.get((kind, key))
        if hit is None:
            self.misses += 1
            return None
        self._entries.move_to_end((kind, key))
        self.hits += 1
        return hit

    def remember(self, kind: str, key: bytes, value: object) -> None:
        """Keep ``value``, derived from nothing but the bytes of ``key`` (``kind`` says how).

        Nothing is kept for a key longer than ``max_item_bytes``.
        """
        if len(key) <= self.max_item_bytes:
            self._store((kind, key), value)

    def _get(self, kind: str, der: bytes, load: Callable[[bytes], _T]) -> _T | None:
        if len(der) > self.max_item_bytes:
            return None
        hit = self.recall(kind, der)
        if hit is not None:
            return hit  # type: ignore[no-any-return]
        try:
            value = load(der)
        except Exception:  # asn1crypto raises ValueError, TypeError, KeyError, ...
            return None  # the caller keeps its own object, which will meet the same error
        self._store((kind, der), value)
        return value

    def _store(self, key: tuple[str, bytes], value: object) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= len(key[1])
        self._entries[key] = value
        self._bytes += len(key[1])
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            (_, evicted), _ = self._entries.popitem(last=False)
            self._bytes -= len(evicted)


def wrap_basic_ocsp(basic: ocsp.BasicOCSPResponse) -> ocsp.OCSPResponse:
    """Wrap a ``BasicOCSPResponse`` (as CAdES and PDF DSS may store it) in an ``OCSPResponse``."""
    return ocsp.OCSPResponse(
        {
            "response_status": "successful",
            "response_bytes": {"response_type": "basic_ocsp_response", "response": basic},
        }
    )


class _KeepsEncoding:
    """For an object loaded from DER to be cached: its encoding is the DER it came from.

    Once parsed, asn1crypto's ``dump()`` walks the whole structure to see whether anything
    was changed before it returns the encoding; nothing changes a cached object, and it
    is dumped often (hashes, duplicate checks, name comparisons, the report's facts).
    """

    _der: bytes | None = None

    def dump(self, force: bool = False) -> bytes:
        if self._der is None or force:
            return super().dump(force)  # type: ignore[misc,no-any-return]
        return self._der


class _CachedCertificate(_KeepsEncoding, x509.Certificate):  # type: ignore[misc]
    pass


class _CachedOCSPResponse(_KeepsEncoding, ocsp.OCSPResponse):  # type: ignore[misc]
    pass


class _CachedCRL(_KeepsEncoding, crl.CertificateList):  # type: ignore[misc]
    pass


_K = TypeVar("_K", bound=_KeepsEncoding)


def _loaded(cls: type[_K], der: bytes) -> _K:
    value: _K = cls.load(der, strict=True)  # type: ignore[attr-defined]
    value._der = der
    return value


def _load_certificate(der: bytes) -> x509.Certificate:
    return _loaded(_CachedCertificate, der)


def _load_ocsp_response(der: bytes) -> ocsp.OCSPResponse:
    return _loaded(_CachedOCSPResponse, der)


def _load_wrapped_basic_ocsp(der: bytes) -> ocsp.OCSPResponse:
    return _load_ocsp_response(wrapped_basic_ocsp_encoding(der))


# id-pkix-ocsp-basic (1.3.6.1.5.5.7.48.1.1), DER-encoded with its tag and length.
_BASIC_OCSP_OID = bytes.fromhex("06092b0601050507300101")


def wrapped_basic_ocsp_encoding(basic_der: bytes) -> bytes:
    """The DER of the ``OCSPResponse`` that :func:`wrap_basic_ocsp` makes of ``basic_der``.

    Written out from its parts (RFC 6960 §4.2.1: ``responseStatus`` successful, then
    ``[0] EXPLICIT ResponseBytes`` of the basic type and the response as an OCTET STRING)
    rather than built by asn1crypto, which parses ``basic_der`` and encodes it again to do
    so: every own-evidence signature embeds OCSP responses never seen before, and building
    them that way cost more than the rest of reading them.
    """
    response_bytes = parser.emit(0, 1, 16, _BASIC_OCSP_OID + parser.emit(0, 0, 4, basic_der))
    successful = parser.emit(0, 0, 10, b"\x00")
    wrapped: bytes = parser.emit(0, 1, 16, successful + parser.emit(2, 1, 0, response_bytes))
    return wrapped


def _load_crl(der: bytes) -> crl.CertificateList:
    return _loaded(_CachedCRL, der)
