"""Online fetching obeys the outbound policy, and only for certificates that chain to an
anchor (issue 13): the real OCSP/CRL responder of test_online.py, counting its requests."""

from __future__ import annotations

from pathlib import Path

from asn1crypto import pem, x509

from docex.devpki.signing import sign_cades
from docex.signatures.report import Indication, SubIndication
from docex.signatures.trust import trust_store_from_certificates
from docex.signatures.verifier import Verifier
from tests.signatures.conftest import CONTENT
from tests.signatures.test_online import (  # the module-scoped responder fixture
    LOOPBACK_RESPONDER,
    Responder,
    responder,  # noqa: F401
)

UNRELATED_CA = Path(__file__).parent.parent / "data" / "ua" / "CA-Justice-ECDSA-261217.pem"


def test_the_production_policy_never_contacts_a_loopback_responder(responder: Responder) -> None:  # noqa: F811
    pki = responder.pki
    before = len(responder.requests)
    # The default policy: the certificates' http://127.0.0.1:… URLs are refused.
    with Verifier(trust_store_from_certificates(pki.trust_anchors()), online=True) as verifier:
        report = verifier.verify(
            sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-B"), content=CONTENT
        )
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.TRY_LATER,
    )
    assert len(responder.requests) == before


def test_an_untrusted_certificate_s_urls_are_never_fetched(responder: Responder) -> None:  # noqa: F811
    pki = responder.pki
    _, _, der = pem.unarmor(UNRELATED_CA.read_bytes())
    # Trusting some other CA: the dev PKI's certificates are as good as self-made here,
    # even though the policy would let the verifier reach their responder.
    trust = trust_store_from_certificates([x509.Certificate.load(der)])
    before = len(responder.requests)
    with Verifier(trust, online=True, outbound=LOOPBACK_RESPONDER) as verifier:
        report = verifier.verify(
            sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-B"), content=CONTENT
        )
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
    )
    assert len(responder.requests) == before
