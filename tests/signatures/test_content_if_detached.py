"""``content_if_detached``: content offered only in case the signature is detached.

``docex verify X.p7s`` offers X (the file beside it) this way, so that a detached signature
is verified once, with its content, and an attached one is still checked against the
content it carries, whatever lies beside it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from docex.errors import InputTooLargeError
from docex.signatures.guarded import GuardedVerifier
from docex.signatures.isolation import IsolatedVerifier, VerifierConfig
from docex.signatures.report import (
    Indication,
    Qualification,
    SubIndication,
    ValidationReport,
)
from docex.signatures.trust import load_trust_store
from docex.signatures.verifier import Verifier
from tests.signatures.conftest import DEV_TRUST, REPO

SAMPLES = REPO / "certs-dev" / "samples"
ATTACHED = (SAMPLES / "referral.p7s").read_bytes()
DETACHED = (SAMPLES / "referral.txt.p7s").read_bytes()
CONTENT = (SAMPLES / "referral.txt").read_bytes()
TAMPERED = (SAMPLES / "referral-tampered.txt").read_bytes()


def _verdict(report: ValidationReport) -> tuple[object, ...]:
    return (
        report.indication,
        report.sub_indication,
        report.qualification,
        report.document.detached,
        [(c.name, c.outcome, c.message) for s in report.signatures for c in s.checks],
    )


def test_an_attached_signature_ignores_the_offered_content(verifier: Verifier) -> None:
    alone = verifier.verify(ATTACHED)
    assert alone.indication is Indication.TOTAL_PASSED
    assert not alone.document.detached
    # Neither different nor tampered content beside it changes its verdict or its checks.
    for offered in (TAMPERED, CONTENT, b""):
        offered_report = verifier.verify(ATTACHED, content_if_detached=offered)
        assert _verdict(offered_report) == _verdict(alone)
    # Given as the content itself, a different content is a failure, as before.
    explicit = verifier.verify(ATTACHED, content=TAMPERED)
    assert explicit.indication is Indication.TOTAL_FAILED


def test_a_detached_signature_uses_the_offered_content(verifier: Verifier) -> None:
    report = verifier.verify(DETACHED, content_if_detached=CONTENT)
    assert (report.indication, report.qualification) == (
        Indication.TOTAL_PASSED,
        Qualification.QESIG,
    )
    assert report.document.detached
    assert _verdict(report) == _verdict(verifier.verify(DETACHED, content=CONTENT))
    tampered = verifier.verify(DETACHED, content_if_detached=TAMPERED)
    assert tampered.indication is Indication.TOTAL_FAILED
    assert _verdict(tampered) == _verdict(verifier.verify(DETACHED, content=TAMPERED))


def test_nothing_offered_is_as_before(verifier: Verifier) -> None:
    report = verifier.verify(DETACHED)
    assert report.indication is Indication.INDETERMINATE
    assert report.sub_indication is SubIndication.SIGNED_DATA_NOT_FOUND


def test_content_and_content_if_detached_exclude_each_other(verifier: Verifier) -> None:
    with pytest.raises(ValueError, match="exclude each other"):
        verifier.verify(DETACHED, content=CONTENT, content_if_detached=CONTENT)


def test_the_offered_content_is_held_to_the_limit_only_when_used() -> None:
    limit = len(ATTACHED) + 10
    big = b"x" * (limit + 1)
    with Verifier(load_trust_store([DEV_TRUST]), max_input_bytes=limit) as small:
        # An attached signature never reads it, so its size does not matter.
        assert small.verify(ATTACHED, content_if_detached=big).indication is (
            Indication.TOTAL_PASSED
        )
        with pytest.raises(InputTooLargeError, match="signed content"):
            small.verify(DETACHED, content_if_detached=big)


@pytest.fixture(scope="module")
def isolated() -> Iterator[IsolatedVerifier]:
    with IsolatedVerifier(VerifierConfig(trust=(str(DEV_TRUST),)), workers=1) as pool:
        yield pool


def test_a_worker_process_passes_it_through(isolated: IsolatedVerifier) -> None:
    detached = isolated.verify(DETACHED, content_if_detached=CONTENT)
    assert detached.indication is Indication.TOTAL_PASSED
    assert detached.document.detached
    attached = isolated.verify(ATTACHED, content_if_detached=TAMPERED)
    assert attached.indication is Indication.TOTAL_PASSED
    assert not attached.document.detached


def test_the_in_process_guard_passes_it_through() -> None:
    with GuardedVerifier(VerifierConfig(trust=(str(DEV_TRUST),))) as guarded:
        assert guarded.verify(DETACHED, content_if_detached=CONTENT).indication is (
            Indication.TOTAL_PASSED
        )
        assert guarded.verify(ATTACHED, content_if_detached=TAMPERED).indication is (
            Indication.TOTAL_PASSED
        )
