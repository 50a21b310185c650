"""DSTU 4145 inside the CMS signer check: integrity, ESS binding, digests and the policy.

Trusting only the central root, without the Дія CA certificate, a Дія signature is
INDETERMINATE for want of a chain; what is asserted here is that everything up to the path
passes or fails exactly (DSTU chains themselves: ``test_chains.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import cms, core, keys, x509

from docex.signatures.algorithms import check_public_key, check_signer_algorithms
from docex.signatures.dstu import GOST34311, hash_bytes
from docex.signatures.dstu.asn1 import AnyPublicKeyInfo, DSTU4145Params
from docex.signatures.dstu.curves import curve_for
from docex.signatures.dstu.named_curves import NAMED_CURVES
from docex.signatures.integrity import (
    IntegrityError,
    digest_by_name,
    ess_binds,
    find_certificate,
    signer_integrity,
)
from docex.signatures.report import CheckOutcome, Indication, SubIndication
from docex.signatures.timestamps import digest_imprint
from docex.signatures.trust import load_trust_store
from docex.signatures.verifier import Verifier
from tests.signatures.ua_samples import JKURWA, UAPKI
from tests.signatures.ua_samples import UAPKI_SIGNED_AT as SIGNED_AT

ROOT = UAPKI / "CAO-05E19E2CD92EA2990100000001000000C1000000.cer"


def signer_of(path: Path) -> tuple[cms.SignedData, cms.SignerInfo, x509.Certificate]:
    signed_data = cms.ContentInfo.load(path.read_bytes())["content"]
    (signer_info,) = signed_data["signer_infos"]
    cert = find_certificate(signer_info["sid"], [c.chosen for c in signed_data["certificates"]])
    assert cert is not None
    return signed_data, signer_info, cert


def content_digest(path: Path, content: bytes | None = None) -> bytes:
    signed_data, _, _ = signer_of(path)
    data = content if content is not None else signed_data["encap_content_info"]["content"].native
    return hash_bytes(GOST34311, data)


@pytest.mark.parametrize(
    ("name", "detached_content", "intact"),
    [
        ("cades-bes-attached.p7s", None, True),
        ("cades-bes-detached.p7s", "cades-bes-detached.data", True),
        ("cades-bes-detached-wrong-content.p7s", "cades-bes-detached-wrong-content.data", False),
    ],
)
def test_signer_integrity_verifies_dstu_signers(
    name: str, detached_content: str | None, intact: bool
) -> None:
    path = UAPKI / name
    content = (UAPKI / detached_content).read_bytes() if detached_content else None
    _, signer_info, cert = signer_of(path)
    assert signer_integrity(
        signer_info,
        cert,
        expected_content_type="data",
        content_digest=content_digest(path, content),
    ) == (intact, True)


def test_a_changed_signature_value_is_not_valid() -> None:
    path = UAPKI / "cades-bes-attached.p7s"
    _, signer_info, cert = signer_of(path)
    octets = bytearray(signer_info["signature"].native)
    octets[5] ^= 0x10
    signer_info["signature"] = core.OctetString(bytes(octets))
    assert signer_integrity(
        signer_info, cert, expected_content_type="data", content_digest=content_digest(path)
    ) == (True, False)


def test_a_malformed_signature_value_is_a_format_failure() -> None:
    path = UAPKI / "cades-bes-attached.p7s"
    _, signer_info, cert = signer_of(path)
    signer_info["signature"] = core.OctetString(bytes(signer_info["signature"].native)[:-1])
    with pytest.raises(IntegrityError, match="cannot be split into r and s") as caught:
        signer_integrity(
            signer_info, cert, expected_content_type="data", content_digest=content_digest(path)
        )
    assert caught.value.sub_indication == "FORMAT_FAILURE"


def test_ess_binding_and_imprints_use_gost34311() -> None:
    _, signer_info, cert = signer_of(UAPKI / "cades-bes-attached.p7s")
    (attr,) = (
        a for a in signer_info["signed_attrs"] if a["type"].native == "signing_certificate_v2"
    )
    certid = attr["values"][0]["certs"][0]
    assert certid["hash_algorithm"]["algorithm"].dotted == GOST34311
    assert ess_binds(cert, certid)
    assert digest_imprint(b"123")(GOST34311) == hash_bytes(GOST34311, b"123")
    assert digest_by_name("sha3_256", b"123") == digest_imprint(b"123")("sha3_256")
    with pytest.raises(ValueError, match="unsupported hash type"):
        digest_by_name("1.2.3.4", b"123")


def test_policy_accepts_dstu_on_257_bits_and_refuses_smaller_fields() -> None:
    _, signer_info, cert = signer_of(UAPKI / "cades-bes-attached.p7s")
    verdict = check_signer_algorithms(signer_info, cert.public_key)
    assert (verdict.acceptable, verdict.message) == (True, "DSTU 4145 m=257")
    root = x509.Certificate.load(ROOT.read_bytes())
    assert check_public_key(root.public_key).message == "DSTU 4145 m=431"
    small = NAMED_CURVES["1.2.804.2.1.1.1.1.3.1.1.2.0"]
    curve = curve_for(small)
    point = curve.compress(curve.g).to_bytes(21, "little")
    spki = AnyPublicKeyInfo(
        {
            "algorithm": {
                "algorithm": "1.2.804.2.1.1.1.1.3.1.1",
                "parameters": core.Any.load(
                    DSTU4145Params({"curve": {"named_curve": "1.2.804.2.1.1.1.1.3.1.1.2.0"}}).dump()
                ),
            },
            "public_key": core.OctetString(point).dump(),
        }
    )
    verdict = check_public_key(keys.PublicKeyInfo.load(spki.dump()))
    assert (verdict.acceptable, verdict.message) == (
        False,
        "DSTU 4145 key on a 163-bit field is below 257",
    )


@pytest.fixture(scope="module")
def ua_verifier() -> Iterator[Verifier]:
    with Verifier(load_trust_store([ROOT])) as verifier:
        yield verifier


@pytest.mark.parametrize(
    ("name", "detached_content"),
    [
        ("cades-bes-attached.p7s", None),
        ("cades-bes-attached-custom-attrs.p7s", None),
        ("cades-t-attached.p7s", None),
        ("cades-bes-detached.p7s", "cades-bes-detached.data"),
    ],
)
def test_dia_signatures_pass_integrity_end_to_end(
    ua_verifier: Verifier, name: str, detached_content: str | None
) -> None:
    content = (UAPKI / detached_content).read_bytes() if detached_content else None
    report = ua_verifier.verify((UAPKI / name).read_bytes(), content=content, at=SIGNED_AT)
    (signature,) = report.signatures
    outcomes = {c.name: c.outcome for c in signature.checks}
    for check in ("message_digest", "signature_value", "algorithms", "signing_certificate"):
        assert outcomes[check] is CheckOutcome.PASSED
    # The Дія CA certificate is neither in the signature nor trusted: no chain to the root
    # (test_chains.py validates it when the certificate is offered).
    assert (signature.indication, signature.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
    )


def test_dia_signature_over_other_content_is_a_hash_failure(ua_verifier: Verifier) -> None:
    report = ua_verifier.verify(
        (UAPKI / "cades-bes-detached-wrong-content.p7s").read_bytes(),
        content=(UAPKI / "cades-bes-detached-wrong-content.data").read_bytes(),
        at=SIGNED_AT,
    )
    assert (report.indication, report.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.HASH_FAILURE,
    )


def test_jkurwa_signatures_pass_integrity_end_to_end() -> None:
    jkurwa = JKURWA
    with Verifier(load_trust_store([jkurwa / "SELF_SIGNED1.cer"])) as verifier:
        at = datetime(2019, 1, 1, tzinfo=UTC)
        attached = verifier.verify((jkurwa / "message.p7").read_bytes(), at=at)
        detached = verifier.verify(
            (jkurwa / "message_detached.p7").read_bytes(),
            content=(jkurwa / "message_detached.data").read_bytes(),
            at=at,
        )
        wrong = verifier.verify(
            (jkurwa / "message_detached.p7").read_bytes(),
            content=(jkurwa / "message_detached-wrong.data").read_bytes(),
            at=at,
        )
    for report in (attached, detached):
        outcomes = {c.name: c.outcome for c in report.signatures[0].checks}
        assert outcomes["message_digest"] is CheckOutcome.PASSED
        assert outcomes["signature_value"] is CheckOutcome.PASSED
    assert (wrong.indication, wrong.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.HASH_FAILURE,
    )
