"""Verification in worker processes: same reports, and budgets that cannot be escaped.

The inputs that blow a budget are real ones (the same-name CA lattice, a DSS CRL bomb),
verified by workers whose bounds are loosened so that only the budget can stop them.
"""

from __future__ import annotations

import asyncio
import pickle
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from docex.devpki.pdf import minimal_pdf
from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.errors import InputTooLargeError, NotASignatureError
from docex.signatures.isolation import IsolatedVerifier, VerifierConfig
from docex.signatures.limits import Limits
from docex.signatures.report import Indication, Qualification, SubIndication, ValidationReport
from docex.signatures.verifier import Verifier
from tests.signatures.conftest import CONTENT, DEV_TRUST
from tests.signatures.hostile_inputs import (
    NOW,
    deflated_zeros,
    lattice_cms,
    pdf_with_crl_bomb,
    pdf_with_deep_catalog,
)

MiB = 1024 * 1024
TRUST = (str(DEV_TRUST),)
# Bounds loose enough that the lattice and the bomb run on until a budget stops them.
UNBOUNDED = Limits(
    max_path_length=100,
    max_issuer_candidates_per_step=1_000_000,
    max_issuer_candidates=1_000_000_000,
    max_validation_data_bytes=8 * 1024 * MiB,
)


@pytest.fixture(scope="module")
def isolated() -> Iterator[IsolatedVerifier]:
    with IsolatedVerifier(VerifierConfig(trust=TRUST, max_input_bytes=MiB), workers=1) as v:
        yield v


@pytest.fixture(scope="module")
def good(pki: DevPki) -> bytes:
    return sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-LT")


def test_isolated_report_is_the_in_process_report(
    isolated: IsolatedVerifier, verifier: Verifier, good: bytes
) -> None:
    # The dev PKI signs at the present time, so validate now (one instant for both).
    now = datetime.now(UTC)
    report = isolated.verify(good, content=CONTENT, at=now)
    assert (report.indication, report.qualification) == (
        Indication.TOTAL_PASSED,
        Qualification.QESIG,
    )
    assert report == verifier.verify(good, content=CONTENT, at=now)


def test_reports_pickle(verifier: Verifier, good: bytes) -> None:
    report = verifier.verify(good, content=CONTENT)
    assert pickle.loads(pickle.dumps(report)) == report  # noqa: S301  # our own report


def test_averify(isolated: IsolatedVerifier, good: bytes) -> None:
    report = asyncio.run(isolated.averify(good, content=CONTENT))
    assert report.indication is Indication.TOTAL_PASSED


def test_input_errors_are_raised_as_themselves(isolated: IsolatedVerifier) -> None:
    with pytest.raises(NotASignatureError, match="not a CMS signature"):
        isolated.verify(b"hello, not a signature")
    with pytest.raises(InputTooLargeError) as raised:
        isolated.verify(b"0" * (MiB + 1))
    assert raised.value.limit == MiB
    # The worker is still the same one: input errors are verdicts of a sort, not crashes.
    assert isolated.replaced == 0


def test_recursion_in_a_worker_is_a_report(isolated: IsolatedVerifier, pki: DevPki) -> None:
    from docex.devpki.signing import sign_pades
    from docex.signatures.isolation import RECURSION_MESSAGE

    signed = sign_pades(pki, minimal_pdf(), signer="doctor-ecdsa", level="B-B")
    report = isolated.verify(pdf_with_deep_catalog(signed, depth=20_000))
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.SIG_CONSTRAINTS_FAILURE,
    )
    assert report.message == RECURSION_MESSAGE
    # A recursion error leaves the worker sound: it is kept.
    assert isolated.replaced == 0


def test_naive_validation_time_is_refused_before_any_worker(isolated: IsolatedVerifier) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        isolated.verify(b"x", at=NOW.replace(tzinfo=None))


def _budget_verdict(report: ValidationReport) -> tuple[Indication, SubIndication | None]:
    return report.indication, report.sub_indication


def test_time_budget_stops_one_verification_while_others_are_served(good: bytes) -> None:
    lattice = lattice_cms(layers=12, width=4, key_ids=False)
    config = VerifierConfig(trust=TRUST, limits=UNBOUNDED)
    with IsolatedVerifier(config, workers=2, timeout_seconds=6) as pool:
        stuck: list[ValidationReport] = []
        runner = threading.Thread(
            target=lambda: stuck.append(pool.verify(lattice, content=CONTENT, at=NOW))
        )
        runner.start()
        time.sleep(0.5)
        served = pool.verify(good, content=CONTENT)
        # Served by the other worker while the lattice still runs in the first.
        assert served.indication is Indication.TOTAL_PASSED
        assert runner.is_alive()
        runner.join(60)
        (report,) = stuck
        assert _budget_verdict(report) == (
            Indication.INDETERMINATE,
            SubIndication.SIG_CONSTRAINTS_FAILURE,
        )
        assert report.message == "verification exceeded its time budget of 6 s"
        assert report.document.kind == "cades"
        assert pool.replaced == 1
        # The replacement worker serves the next verification.
        assert pool.verify(good, content=CONTENT).indication is Indication.TOTAL_PASSED


def test_memory_budget_stops_a_dss_bomb(pki: DevPki, good: bytes) -> None:
    # Three CRL streams of 200 MiB of zeros each: held together, far beyond 384 MiB.
    bomb = pdf_with_crl_bomb(pki, deflated_zeros(200 * MiB), copies=3)
    config = VerifierConfig(trust=TRUST, limits=UNBOUNDED)
    with IsolatedVerifier(config, workers=1, timeout_seconds=120, memory_bytes=384 * MiB) as pool:
        report = pool.verify(bomb)
        assert _budget_verdict(report) == (
            Indication.INDETERMINATE,
            SubIndication.SIG_CONSTRAINTS_FAILURE,
        )
        assert report.message == "verification exceeded its memory budget of 384 MiB"
        assert report.document.kind == "pades"
        assert pool.replaced == 1
        assert pool.verify(good, content=CONTENT).indication is Indication.TOTAL_PASSED


def test_a_bad_trust_configuration_fails_at_start(tmp_path: object) -> None:
    from docex.errors import TrustConfigError

    with pytest.raises(TrustConfigError):
        IsolatedVerifier(VerifierConfig(trust=("/nonexistent/trust",)), workers=1)


def test_minimal_pdf_without_signature_is_an_input_error(isolated: IsolatedVerifier) -> None:
    with pytest.raises(NotASignatureError, match="no signature"):
        isolated.verify(minimal_pdf())


def test_the_light_input_limit_is_the_verifiers() -> None:
    from docex.signatures import inputs, isolation

    assert isolation.DEFAULT_MAX_INPUT_BYTES == inputs.DEFAULT_MAX_INPUT_BYTES
