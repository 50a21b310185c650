"""The certificate evaluator's cache never hides an expiry or a revocation."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from docex.devpki.pki import DevPki
from docex.signatures.evidence import ValidationData
from docex.signatures.paths import CertificateEvaluator, CertStatus
from docex.signatures.trust import load_trust_store
from tests.signatures.conftest import DEV_TRUST


def _data(pki: DevPki, signer: str, at: datetime) -> ValidationData:
    return ValidationData(
        certs=tuple(pki.chain(signer)[:-1]),
        crls=(pki.crl(at=at), pki.crl(at=at, issuer="root-ca")),
        ocsps=(pki.ocsp_response(signer, at=at),),
    )


def _evaluate(
    evaluator: CertificateEvaluator, pki: DevPki, signer: str, data: ValidationData, at: datetime
) -> CertStatus:
    result = asyncio.run(
        evaluator.evaluate(pki.cert(signer), data=data, at=at, purpose="signature")
    )
    return result.status


def test_success_is_cached_within_its_window_only(pki: DevPki) -> None:
    evaluator = CertificateEvaluator(load_trust_store([DEV_TRUST]))
    issued = datetime(2026, 3, 1, 12, tzinfo=UTC)
    data = _data(pki, "doctor-ecdsa", issued)
    assert _evaluate(evaluator, pki, "doctor-ecdsa", data, issued) is CertStatus.OK
    assert (evaluator.hits, evaluator.misses) == (0, 1)
    assert (
        _evaluate(evaluator, pki, "doctor-ecdsa", data, issued + timedelta(seconds=30))
        is CertStatus.OK
    )
    assert evaluator.hits == 1
    # Past the revocation data's nextUpdate the cached success must not be reused.
    stale = issued + timedelta(days=2)
    assert _evaluate(evaluator, pki, "doctor-ecdsa", data, stale) is CertStatus.NO_REVOCATION_DATA
    assert evaluator.hits == 1


def test_cache_does_not_outlive_certificate_expiry(pki: DevPki) -> None:
    evaluator = CertificateEvaluator(load_trust_store([DEV_TRUST]))
    not_after = pki.cert("expired").not_valid_after
    before = not_after - timedelta(days=10)
    data = _data(pki, "expired", before)
    first = asyncio.run(
        evaluator.evaluate(pki.cert("expired"), data=data, at=before, purpose="signature")
    )
    assert first.status is CertStatus.OK
    assert first.valid_until is not None
    assert first.valid_until <= not_after
    after = _evaluate(evaluator, pki, "expired", data, not_after + timedelta(hours=1))
    assert after in (CertStatus.EXPIRED, CertStatus.NO_REVOCATION_DATA)
    assert evaluator.hits == 0


def test_revocation_in_the_data_disables_caching(pki: DevPki) -> None:
    evaluator = CertificateEvaluator(load_trust_store([DEV_TRUST]))
    revoked_at = datetime(2026, 1, 15, tzinfo=UTC)
    data = _data(pki, "revoked", revoked_at + timedelta(days=1))
    before = revoked_at - timedelta(days=1)
    assert _evaluate(evaluator, pki, "revoked", data, before) is CertStatus.OK
    assert (
        _evaluate(evaluator, pki, "revoked", data, revoked_at + timedelta(hours=1))
        is CertStatus.REVOKED
    )
    assert evaluator.hits == 0


def test_other_revocation_data_is_a_different_cache_entry(pki: DevPki) -> None:
    evaluator = CertificateEvaluator(load_trust_store([DEV_TRUST]))
    at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    _evaluate(evaluator, pki, "doctor-ecdsa", _data(pki, "doctor-ecdsa", at), at)
    later = at + timedelta(minutes=1)
    _evaluate(evaluator, pki, "doctor-ecdsa", _data(pki, "doctor-ecdsa", later), later)
    assert (evaluator.hits, evaluator.misses) == (0, 2)
