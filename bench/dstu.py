"""DSTU 4145 rows of the verification benchmark (run by ``verify.py`` in the same process).

* **docex warm DSTU**: one warmed-up ``Verifier`` verifying UAPKI's CAdES-T (signer and TSA
  on m=257 curves: three DSTU 4145 verifications, GOST 34.311 hashing of the signed
  attributes, the content, the TSTInfo and the signature value) with every UAPKI
  certificate trusted, as ``check-corpora`` does. The same file is verified each time: it
  is the only DSTU CAdES-T in the data; every pass still hashes and verifies everything.
* **DSTU m=257 / m=431 certificate signature**: the certificate signature check alone,
  as certvalidator calls it (:data:`docex.signatures.signature_validator.SIGNATURE_VALIDATOR`):
  the "Дія" signer's certificate by the "Дія" CA (m=257) and the "Дія" CA's certificate by
  the central root (m=431, the only m=431 signatures in the data).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from asn1crypto import x509

from docex.signatures.report import Indication, ValidationReport
from docex.signatures.signature_validator import SIGNATURE_VALIDATOR
from docex.signatures.trust import load_trust_store
from docex.signatures.verifier import Verifier

UAPKI = Path(__file__).resolve().parents[1] / "tests" / "data" / "ua" / "uapki"
SIGNATURE = UAPKI / "cades-t-attached.p7s"
AT = datetime(2023, 9, 19, 18, 30, tzinfo=UTC)
ROOT_CERT = "CAO-05E19E2CD92EA2990100000001000000C1000000.cer"
CA_CERT = "diia-CA-05E19E2CD92EA2990100000001000000E1000000.cer"
SIGNER_CERT = "diia-test-sign-7775603.cer"
WARMUP = 3


def _timed(work: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def warm_passes(count: int, repeat: int) -> tuple[float, ...]:
    """Seconds of each pass of ``count`` warm verifications of the UAPKI CAdES-T."""
    signature = SIGNATURE.read_bytes()
    trust = load_trust_store(sorted(UAPKI.glob("*.cer")))
    passes: list[float] = []
    with Verifier(trust) as verifier:
        for _ in range(WARMUP):
            verifier.verify(signature, at=AT)
        for _ in range(repeat):
            reports: list[ValidationReport] = []

            def work(into: list[ValidationReport] = reports) -> None:
                for _ in range(count):
                    into.append(verifier.verify(signature, at=AT))

            passes.append(_timed(work))
            for report in reports:
                stamps = [t.indication for s in report.signatures for t in s.timestamps]
                if (
                    report.indication is not Indication.TOTAL_PASSED
                    or stamps != [Indication.TOTAL_PASSED] * 2
                ):
                    raise SystemExit(
                        f"docex did not pass the UAPKI CAdES-T: {report.indication} "
                        f"{report.sub_indication}, time-stamps {stamps}"
                    )
    return tuple(passes)


def _load(name: str) -> x509.Certificate:
    return x509.Certificate.load((UAPKI / name).read_bytes())


def certificate_signature_passes(m: int, count: int, repeat: int) -> tuple[float, ...]:
    """Seconds of each pass of ``count`` certificate-signature checks on an m-bit field."""
    if m == 257:
        cert, issuer = _load(SIGNER_CERT), _load(CA_CERT)
    elif m == 431:
        cert, issuer = _load(CA_CERT), _load(ROOT_CERT)
    else:
        raise ValueError(f"no certificate signature on an m={m} field in the data")
    signature = cert["signature_value"].native
    tbs = cert["tbs_certificate"].dump()
    key = issuer.public_key
    algorithm = cert["signature_algorithm"]

    def work() -> None:
        for _ in range(count):
            SIGNATURE_VALIDATOR.validate_signature(signature, tbs, key, algorithm)

    work()  # first-call costs: curve tables, the loaded key
    return tuple(_timed(work) for _ in range(repeat))
