"""DSTU 4145 rows of the verification benchmark (run by ``verify.py`` in the same process).

* **docex warm DSTU m=257 / m=431**: one warmed-up ``Verifier`` verifying a detached
  CAdES B-LT of the development PKI's DSTU branch (``docex.devpki.dstu_pki``) over the
  same 20 KB content as the ECDSA rows: the doctor on m=257 (``doctor-dstu``) or m=431
  (``doctor-dstu-431``), the TSA on m=257, the CA on m=257 under the m=431 root, CRLs and
  OCSP responses signed with DSTU 4145 and embedded. Each pass verifies everything again:
  GOST 34.311 of the content, the signed attributes, the TSTInfo and the token's
  attributes, and the signer's and the TSA's DSTU 4145 signatures. Only the certificate
  path results are warm, as in the ECDSA row.
* **docex warm DSTU m=257, 1 KB**: the same over 1 KB, the size of a referral's text: the
  part of a DSTU verification that does not grow with the content.
* **GOST 34.311-95**: the hash's throughput (the C extension where it was built, else pure
  Python), which the content costs.
* **DSTU m=257 / m=431 certificate signature**: the certificate signature check alone, as
  certvalidator calls it (:data:`docex.signatures.signature_validator.SIGNATURE_VALIDATOR`).
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime

from docex.devpki.dstu_pki import (
    DOCTOR_DSTU,
    DOCTOR_DSTU_431,
    ISSUING_CA_DSTU,
    ROOT_CA_DSTU,
    TSA_DSTU,
    DstuPki,
)
from docex.signatures.dstu.gost34311 import gost34311
from docex.signatures.report import Indication, Qualification, ValidationReport
from docex.signatures.signature_validator import SIGNATURE_VALIDATOR
from docex.signatures.trust import trust_store_from_certificates
from docex.signatures.verifier import Verifier

SIGNED_AT = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
"""Signing, time-stamp and revocation-data time of the DSTU signatures."""
WARMUP = 3
SIGNERS = {257: DOCTOR_DSTU, 431: DOCTOR_DSTU_431}


def _timed(work: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def warm_passes(m: int, content_bytes: int, count: int, repeat: int) -> tuple[float, ...]:
    """Seconds of each pass of ``count`` warm verifications of a DSTU B-LT on an m-bit key.

    :raises SystemExit: a verification is not TOTAL_PASSED and QESig with its time-stamp.
    """
    pki = DstuPki.load()
    content = os.urandom(content_bytes)
    signature = pki.sign_cades(
        content, signer=SIGNERS[m], level="B-LT", signing_time=SIGNED_AT, detached=True
    )
    # The DSTU root, and the DSTU TSA named as a time-stamping service (as certs-dev's
    # trust-dstu/tsa/ does): a time-stamp from a TSA the trust does not name proves nothing.
    trust = trust_store_from_certificates(
        [pki.trust_anchor()], name="DSTU root", tsas=[pki.cert(TSA_DSTU)]
    )
    passes: list[float] = []
    with Verifier(trust) as verifier:
        for _ in range(WARMUP):
            _check(verifier.verify(signature, content=content, at=SIGNED_AT))
        for _ in range(repeat):
            reports: list[ValidationReport] = []

            def work(into: list[ValidationReport] = reports) -> None:
                for _ in range(count):
                    into.append(verifier.verify(signature, content=content, at=SIGNED_AT))

            passes.append(_timed(work))
            for report in reports:
                _check(report)
    return tuple(passes)


def _check(report: ValidationReport) -> None:
    stamps = [t.indication for s in report.signatures for t in s.timestamps]
    if (
        report.indication is not Indication.TOTAL_PASSED
        or report.qualification is not Qualification.QESIG
        or stamps != [Indication.TOTAL_PASSED]
    ):
        raise SystemExit(
            f"docex did not pass the DSTU B-LT: {report.indication} {report.sub_indication} "
            f"{report.qualification}, time-stamps {stamps}"
        )


def gost_kilobytes_per_second(size: int = 64 * 1024) -> float:
    """GOST 34.311-95 throughput in kB/s (best of three)."""
    data = os.urandom(size)
    gost34311(data[:64])  # first-call costs: the round and mix tables
    best = min(_timed(lambda: gost34311(data)) for _ in range(3))
    return size / best / 1000


def certificate_signature_passes(m: int, count: int, repeat: int) -> tuple[float, ...]:
    """Seconds of each pass of ``count`` certificate-signature checks on an m-bit field."""
    pki = DstuPki.load()
    if m == 257:
        cert, issuer = pki.cert(DOCTOR_DSTU), pki.cert(ISSUING_CA_DSTU)
    elif m == 431:
        cert, issuer = pki.cert(ISSUING_CA_DSTU), pki.cert(ROOT_CA_DSTU)
    else:
        raise ValueError(f"no certificate signature on an m={m} field in the DSTU branch")
    signature = cert["signature_value"].native
    tbs = cert["tbs_certificate"].dump()
    key = issuer.public_key
    algorithm = cert["signature_algorithm"]

    def work() -> None:
        for _ in range(count):
            SIGNATURE_VALIDATOR.validate_signature(signature, tbs, key, algorithm)

    work()  # first-call costs: curve tables, the loaded key
    return tuple(_timed(work) for _ in range(repeat))
