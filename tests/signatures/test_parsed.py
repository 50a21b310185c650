"""The cache of parsed embedded data: exact-bytes hits only, bounded, and no verdict changes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from asn1crypto import tsp, x509

from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.signatures.evidence import ValidationData, from_signed_data
from docex.signatures.inputs import CmsInput, decode_signature
from docex.signatures.integrity import ess_binds
from docex.signatures.parsed import ParsedCache
from docex.signatures.report import Indication, SubIndication
from docex.signatures.trust import load_trust_store
from docex.signatures.verifier import Verifier
from tests.signatures import tamper
from tests.signatures.conftest import CONTENT, DEV_TRUST

SIGNED_AT = datetime(2025, 6, 1, 10, 0, tzinfo=UTC)
VALIDATED_AT = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
REVOKED_SIGNING = datetime(2026, 1, 20, 10, 0, tzinfo=UTC)


def _flipped(cert: x509.Certificate) -> x509.Certificate:
    der = bytearray(cert.dump())
    der[-10] ^= 0x01  # inside the CA's signature: still a well-formed certificate
    return x509.Certificate.load(bytes(der))


def _signed(
    pki: DevPki, signer: str = "doctor-ecdsa", *, content: bytes = CONTENT, at: datetime = SIGNED_AT
) -> bytes:
    return sign_cades(pki, content, signer=signer, level="B-LT", signing_time=at)


def _data(signature: bytes, parsed: ParsedCache | None) -> ValidationData:
    decoded = decode_signature(signature)
    assert isinstance(decoded, CmsInput)
    return from_signed_data(decoded.signed_data, parsed=parsed)


def _encodings(data: ValidationData) -> tuple[list[bytes], list[bytes], list[bytes]]:
    return (
        [c.dump() for c in data.certs],
        [c.dump() for c in data.crls],
        [o.dump() for o in data.ocsps],
    )


def test_the_same_bytes_give_the_same_object(pki: DevPki) -> None:
    cache = ParsedCache()
    der = pki.cert("doctor-ecdsa").dump()
    first = cache.certificate(x509.Certificate.load(der))
    again = cache.certificate(x509.Certificate.load(der))
    assert again is first
    assert first.dump() == der
    assert first.sha256 == x509.Certificate.load(der).sha256
    assert (cache.hits, cache.misses) == (1, 1)


def test_different_bytes_never_hit(pki: DevPki) -> None:
    cache = ParsedCache()
    good = pki.cert("doctor-ecdsa")
    bad = _flipped(good)
    assert bad.serial_number == good.serial_number
    assert bad.dump() != good.dump()
    cached_good = cache.certificate(good)
    cached_bad = cache.certificate(bad)
    assert cached_bad is not cached_good
    assert cached_bad.dump() == bad.dump()
    assert cache.certificate(good) is cached_good


@pytest.mark.parametrize("bound", ["entries", "bytes"])
def test_the_cache_stays_within_its_bounds(pki: DevPki, bound: str) -> None:
    labels = ["doctor-ecdsa", "doctor-rsa", "doctor2-ecdsa", "facility-seal", "issuing-ca"]
    certs = [pki.cert(label) for label in labels]
    certs += [_flipped(c) for c in certs]
    largest = max(len(c.dump()) for c in certs)
    if bound == "entries":
        cache = ParsedCache(max_entries=3)
    else:
        cache = ParsedCache(max_bytes=2 * largest + 1)
    for cert in certs:
        assert cache.certificate(cert).dump() == cert.dump()
        assert len(cache) <= cache.max_entries
        assert cache.total_bytes <= cache.max_bytes
    # The most recent entry is kept, the oldest one was dropped.
    hits, misses = cache.hits, cache.misses
    assert cache.cached_certificate(certs[-1]) is not None
    assert (cache.hits, cache.misses) == (hits + 1, misses)
    assert cache.cached_certificate(certs[0]) is not None  # parsed again, not refused
    assert (cache.hits, cache.misses) == (hits + 1, misses + 1)


def test_large_items_are_not_kept(pki: DevPki) -> None:
    cert = pki.cert("doctor-ecdsa")
    cache = ParsedCache(max_item_bytes=len(cert.dump()) - 1)
    assert cache.cached_certificate(cert) is None
    assert cache.certificate(cert) is cert
    assert len(cache) == 0
    assert cache.total_bytes == 0
    cache.remember("derived", b"x" * len(cert.dump()), object())
    assert len(cache) == 0


def test_embedded_data_is_kept_for_identical_fields_only(pki: DevPki) -> None:
    cache = ParsedCache()
    first, second = _signed(pki), _signed(pki, content=b"other content")
    assert first != second
    kept = _data(first, cache)
    # Another document with the same embedded certificates and revocation data.
    assert _data(second, cache) is kept
    # The same content as collected without any cache, item for item.
    assert _encodings(kept) == _encodings(_data(first, None))
    # One certificate of certificate-values differs by a byte: nothing is reused.
    altered = tamper.alter_certificate_value(first, index=1)
    other = _data(altered, cache)
    assert other is not kept
    assert _encodings(other) == _encodings(_data(altered, None))
    assert _encodings(other)[0] != _encodings(kept)[0]


def test_revocation_data_of_another_moment_is_not_reused(pki: DevPki) -> None:
    cache = ParsedCache()
    now = _data(_signed(pki), cache)
    later = _signed(pki, at=VALIDATED_AT)
    assert _data(later, cache) is not now
    assert _encodings(_data(later, cache))[2] != _encodings(now)[2]


def test_merging_data_it_already_holds_changes_nothing(pki: DevPki) -> None:
    data = _data(_signed(pki), ParsedCache())
    assert len(data.certs) > len({c.dump() for c in data.certs})  # it repeats some

    def union(*encodings: list[bytes]) -> list[bytes]:
        return list(dict.fromkeys(e for items in encodings for e in items))

    subset = ValidationData(certs=data.certs[1:3], ocsps=data.ocsps[:1])
    for other in (subset, ValidationData()):
        merged = data.merged(other)
        assert merged.source == data.source
        assert _encodings(merged) == tuple(
            union(mine, theirs)
            for mine, theirs in zip(_encodings(data), _encodings(other), strict=True)
        )
    # Something new: the plain union, in order.
    root = pki.cert("root-ca")
    assert _encodings(data.merged(ValidationData(certs=(root,))))[0] == union(
        _encodings(data)[0], [root.dump()]
    )


def test_each_thread_has_its_own_cache() -> None:
    with Verifier(load_trust_store([DEV_TRUST])) as verifier:
        mine = verifier.parsed_cache()
        assert verifier.parsed_cache() is mine
        theirs: list[ParsedCache] = []
        thread = threading.Thread(target=lambda: theirs.append(verifier.parsed_cache()))
        thread.start()
        thread.join()
        assert theirs[0] is not mine


def _matrix(pki: DevPki) -> dict[str, Callable[[], bytes]]:
    good = _signed(pki)
    return {
        "good": lambda: good,
        "signed over other content": lambda: _signed(pki, content=CONTENT + b"."),
        "rsa signer": lambda: _signed(pki, "doctor-rsa"),
        "seal": lambda: _signed(pki, "facility-seal"),
        "flipped signature byte": lambda: tamper.flip_signature_byte(good),
        "changed signing time": lambda: tamper.change_signing_time(good, year=2024),
        "transplanted time-stamp": lambda: tamper.transplant_timestamp(
            good, sign_cades(pki, b"other", signer="doctor-ecdsa", level="B-T")
        ),
        "altered certificate value": lambda: tamper.alter_certificate_value(good, index=3),
        "altered signer certificate": lambda: tamper.alter_signer_certificate(good),
        "ESS names another certificate": lambda: tamper.resign_with_other_ess(
            good, key=pki.key("doctor-ecdsa"), other=pki.cert("doctor2-ecdsa")
        ),
        "revoked": lambda: _signed(pki, "revoked", at=REVOKED_SIGNING),
        "revoked, time-stamped before": lambda: _signed(pki, "revoked"),
        "expired": lambda: _signed(pki, "expired"),
        "untrusted": lambda: _signed(pki, "untrusted"),
    }


def test_a_warm_verifier_reports_exactly_as_a_cold_one(pki: DevPki) -> None:
    signatures = {name: make() for name, make in _matrix(pki).items()}
    trust = load_trust_store([DEV_TRUST])
    cold_reports = {}
    for name, signature in signatures.items():
        with Verifier(trust) as cold:
            cold_reports[name] = cold.verify(signature, content=CONTENT, at=VALIDATED_AT)
    with Verifier(trust) as warm:
        # Twice through: the second round meets every embedded item in the caches.
        for _ in range(2):
            for name, signature in signatures.items():
                report = warm.verify(signature, content=CONTENT, at=VALIDATED_AT)
                assert report.to_json() == cold_reports[name].to_json(), name
        assert warm.parsed_cache().hits > 0
    # The matrix does hold the defects it names.
    verdicts = {name: (r.indication, r.sub_indication) for name, r in cold_reports.items()}
    assert verdicts["good"] == (Indication.TOTAL_PASSED, None)
    assert verdicts["altered signer certificate"] == (
        Indication.INDETERMINATE,
        SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
    )
    assert verdicts["flipped signature byte"] == (
        Indication.TOTAL_FAILED,
        SubIndication.SIG_CRYPTO_FAILURE,
    )
    assert verdicts["revoked"] == (Indication.TOTAL_FAILED, SubIndication.REVOKED)


def test_ess_binding_is_kept_for_the_exact_certificate_and_identifier(pki: DevPki) -> None:
    cache = ParsedCache()
    cert = pki.cert("doctor-ecdsa")
    certid = tsp.ESSCertIDv2({"hash_algorithm": {"algorithm": "sha256"}, "cert_hash": cert.sha256})
    assert ess_binds(cert, certid, parsed=cache)
    hits = cache.hits
    assert ess_binds(cert, certid, parsed=cache)
    assert cache.hits == hits + 1
    # Same issuer and serial number, other bytes: not the certificate the hash names.
    assert not ess_binds(_flipped(cert), certid, parsed=cache)
    assert not ess_binds(pki.cert("doctor2-ecdsa"), certid, parsed=cache)
    # A version 1 identifier (SHA-1, no algorithm field) is an entry of its own.
    v1 = tsp.ESSCertID({"cert_hash": cert.sha1})
    assert ess_binds(cert, v1, parsed=cache) is ess_binds(cert, v1)
    assert ess_binds(cert, v1, parsed=cache) is True


def test_cached_objects_dump_the_bytes_they_were_loaded_from(pki: DevPki) -> None:
    cache = ParsedCache()
    at = SIGNED_AT
    cert, response, crl = (
        pki.cert("doctor-ecdsa"),
        pki.ocsp_response("doctor-ecdsa", at=at),
        pki.crl(at=at),
    )
    cached_cert = cache.certificate(cert)
    cached_response = cache.cached_ocsp_response(response)
    cached_crl = cache.cached_crl(crl)
    assert cached_response is not None
    assert cached_crl is not None
    # Parsed all the way down, as a validation would.
    assert cached_cert.native == cert.native
    assert cached_response.native == response.native
    assert cached_crl.native == crl.native
    assert cached_cert.dump() == cert.dump() == cached_cert.dump(force=True)
    assert cached_response.dump() == response.dump() == cached_response.dump(force=True)
    assert cached_crl.dump() == crl.dump() == cached_crl.dump(force=True)
    assert isinstance(cached_cert, x509.Certificate)
