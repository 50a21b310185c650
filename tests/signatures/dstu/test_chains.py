"""DSTU 4145 chains through certificate path validation, time-stamps and the whole verifier.

The UAPKI test data: the central root CAO (DSTU 4145, m=431) issued the "Дія" CA and its
TSP certificate; the "Дія" CA issued the test signer (m=257) and a delta CRL current at
``SIGNED_AT``. No base CRL and no OCSP response come with the data, so a path that must be
checked for revocation stays INDETERMINATE: a delta CRL alone says nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import algos, cms, crl, keys, pem, x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)

from docex.signatures.cert_quirks import tolerate_unparsable_aki
from docex.signatures.evidence import ValidationData
from docex.signatures.paths import CertificateEvaluator, CertStatus
from docex.signatures.report import CheckOutcome, Indication, SubIndication
from docex.signatures.signature_validator import (
    ALGORITHM_POLICY,
    SIGNATURE_VALIDATOR,
)
from docex.signatures.trust import load_trust_store, trust_store_from_certificates
from docex.signatures.verifier import Verifier
from tests.signatures.ua_samples import JKURWA, UA_DATA, UAPKI
from tests.signatures.ua_samples import UAPKI_SIGNED_AT as SIGNED_AT

DELTA_CRL = "BED5083160DBC59BCDDF707C10293F58BB6ED263C6EA5893D3781B61F493BE57-delta-0ABEA7.crl"
CA_NAME = '"Дія". Кваліфікований надавач електронних довірчих послуг'
TSA_NAME = 'TSP-сервер КНЕДП "Дія"'
SIGNER_NAME = "ДП ДІЯ (Тестування)"


def cert(name: str, folder: Path = UAPKI) -> x509.Certificate:
    data = (folder / name).read_bytes()
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return x509.Certificate.load(data)


def root() -> x509.Certificate:
    return cert("CAO-05E19E2CD92EA2990100000001000000C1000000.cer")


def dia_ca() -> x509.Certificate:
    return cert("diia-CA-05E19E2CD92EA2990100000001000000E1000000.cer")


def signer() -> x509.Certificate:
    return cert("diia-test-sign-7775603.cer")


def delta_crl() -> crl.CertificateList:
    return crl.CertificateList.load((UAPKI / DELTA_CRL).read_bytes())


def with_signature_flipped(certificate: x509.Certificate) -> x509.Certificate:
    """The same certificate with one bit of its signature value changed."""
    der = bytearray(certificate.dump())
    der[-5] ^= 0x01  # inside r‖s, the last element of the certificate
    return x509.Certificate.load(bytes(der))


# -- the signature validator and the algorithm policy ----------------------------------------


def test_root_signature_on_dia_ca_verifies_on_431_bits() -> None:
    ca = dia_ca()
    SIGNATURE_VALIDATOR.validate_signature(
        ca["signature_value"].native,
        ca["tbs_certificate"].dump(),
        root().public_key,
        ca["signature_algorithm"],
    )


def test_a_changed_dstu_certificate_signature_is_invalid() -> None:
    ca = with_signature_flipped(dia_ca())
    with pytest.raises(InvalidSignature):
        SIGNATURE_VALIDATOR.validate_signature(
            ca["signature_value"].native,
            ca["tbs_certificate"].dump(),
            root().public_key,
            ca["signature_algorithm"],
        )


def test_the_wrong_issuer_key_is_invalid() -> None:
    ca = dia_ca()
    with pytest.raises(InvalidSignature):
        SIGNATURE_VALIDATOR.validate_signature(
            ca["signature_value"].native,
            ca["tbs_certificate"].dump(),
            ca.public_key,  # the CA's own key, not the root's
            ca["signature_algorithm"],
        )


def test_the_dia_delta_crl_signature_verifies_as_certvalidator_checks_it() -> None:
    crl_list = delta_crl()
    args = (crl_list["tbs_cert_list"].dump(), dia_ca().public_key, crl_list["signature_algorithm"])
    SIGNATURE_VALIDATOR.validate_signature(crl_list["signature"].native, *args)
    with pytest.raises(InvalidSignature):
        SIGNATURE_VALIDATOR.validate_signature(crl_list["signature"].native[::-1], *args)


def test_dstu_signature_with_an_ecdsa_key_is_invalid_not_a_crash() -> None:
    ecdsa = cert("CA-Justice-ECDSA-261217.pem", UA_DATA)
    ca = dia_ca()
    with pytest.raises(InvalidSignature, match="does not match the key"):
        SIGNATURE_VALIDATOR.validate_signature(
            ca["signature_value"].native,
            ca["tbs_certificate"].dump(),
            ecdsa.public_key,
            ca["signature_algorithm"],
        )


def test_ecdsa_signatures_go_to_certvalidators_default() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    spki = keys.PublicKeyInfo.load(
        private.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    )
    algorithm = algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"})
    signature = private.sign(b"tbs", ec.ECDSA(hashes.SHA256()))
    SIGNATURE_VALIDATOR.validate_signature(signature, b"tbs", spki, algorithm)
    with pytest.raises(InvalidSignature):
        SIGNATURE_VALIDATOR.validate_signature(signature, b"tbs!", spki, algorithm)


def test_policy_allows_dstu_by_docex_rules_and_keeps_the_default_for_others() -> None:
    ca = dia_ca()
    dstu_algo = ca["signature_algorithm"]
    assert ALGORITHM_POLICY.signature_algorithm_allowed(dstu_algo, SIGNED_AT, root().public_key)
    assert ALGORITHM_POLICY.signature_algorithm_allowed(dstu_algo, SIGNED_AT, None)
    ecdsa_key = cert("CA-Justice-ECDSA-261217.pem", UA_DATA).public_key
    refused = ALGORITHM_POLICY.signature_algorithm_allowed(dstu_algo, SIGNED_AT, ecdsa_key)
    assert not refused
    assert refused.failure_reason == (
        "DSTU 4145 algorithm 1.2.804.2.1.1.1.1.3.1.1 with a non-DSTU key"
    )
    # A DSTU key with an ECDSA mechanism cannot be right.
    ecdsa_algo = algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"})
    mismatch = ALGORITHM_POLICY.signature_algorithm_allowed(
        ecdsa_algo, SIGNED_AT, root().public_key
    )
    assert not mismatch
    assert mismatch.failure_reason == "a DSTU 4145 key cannot sign with sha256_ecdsa"
    # Everything else: certvalidator's default (SHA-1 and MD5 are weak there).
    sha1 = algos.SignedDigestAlgorithm({"algorithm": "sha1_ecdsa"})
    assert not ALGORITHM_POLICY.signature_algorithm_allowed(sha1, SIGNED_AT, ecdsa_key)
    assert ALGORITHM_POLICY.signature_algorithm_allowed(ecdsa_algo, SIGNED_AT, ecdsa_key)
    gost = algos.DigestAlgorithm({"algorithm": "1.2.804.2.1.1.1.1.2.1"})
    assert ALGORITHM_POLICY.digest_algorithm_allowed(gost, SIGNED_AT)
    assert not ALGORITHM_POLICY.digest_algorithm_allowed(
        algos.DigestAlgorithm({"algorithm": "md5"}), SIGNED_AT
    )


def test_full_dstu_path_validates_in_certvalidator_without_revocation_checks() -> None:
    """Signer (m=257) ← Дія CA ← CAO root (m=431), every signature ours to verify."""
    no_check = CertRevTrustPolicy(
        RevocationCheckingPolicy(
            ee_certificate_rule=RevocationCheckingRule.NO_CHECK,
            intermediate_ca_cert_rule=RevocationCheckingRule.NO_CHECK,
        )
    )
    context = ValidationContext(
        trust_roots=[root()],
        other_certs=[dia_ca()],
        moment=SIGNED_AT,
        revinfo_policy=no_check,
        signature_validator=SIGNATURE_VALIDATOR,
        algorithm_usage_policy=ALGORITHM_POLICY,
    )
    validator = CertificateValidator(signer(), validation_context=context)
    path = asyncio.run(validator.async_validate_path())
    names = [c.subject.native["common_name"] for c in path.iter_certs(include_root=True)]
    assert names[1:] == [CA_NAME, SIGNER_NAME]
    assert names[0].startswith("Центральний засвідчувальний орган")


# -- the certificate evaluator (paths.py) ------------------------------------------------


def evaluate(
    anchors: list[x509.Certificate], target: x509.Certificate, data: ValidationData
) -> tuple[CertStatus, str]:
    evaluator = CertificateEvaluator(trust_store_from_certificates(anchors))
    result = asyncio.run(evaluator.evaluate(target, data=data, at=SIGNED_AT, purpose="signature"))
    return result.status, result.message


def test_dia_ca_chains_to_the_root_and_then_needs_revocation_data() -> None:
    # The signature (m=431) verified: what is missing is the root's CRL for the CA.
    status, message = evaluate([root()], dia_ca(), ValidationData())
    assert status is CertStatus.NO_REVOCATION_DATA
    assert message.startswith(
        "The path could not be validated because no revocation information could be found "
        "for the end-entity certificate"
    )


def test_signer_chains_through_dia_ca_and_a_delta_crl_alone_is_not_enough() -> None:
    data = ValidationData(certs=(dia_ca(),), crls=(delta_crl(),))
    status, message = evaluate([root()], signer(), data)
    assert status is CertStatus.NO_REVOCATION_DATA
    assert "no revocation information could be found for intermediate certificate 1" in message


def test_signer_under_the_dia_ca_as_anchor_needs_a_base_crl() -> None:
    status, message = evaluate([dia_ca()], signer(), ValidationData(crls=(delta_crl(),)))
    assert status is CertStatus.NO_REVOCATION_DATA
    assert "no revocation information could be found for the end-entity certificate" in message


def test_a_changed_ca_signature_breaks_the_path() -> None:
    status, message = evaluate([root()], with_signature_flipped(dia_ca()), ValidationData())
    assert status is CertStatus.INVALID
    assert message == (
        "The path could not be validated because the signature of the end-entity "
        "certificate could not be verified"
    )
    data = ValidationData(certs=(with_signature_flipped(dia_ca()),), crls=(delta_crl(),))
    status, message = evaluate([root()], signer(), data)
    assert status is CertStatus.INVALID
    assert message == (
        "The path could not be validated because the signature of intermediate "
        "certificate 1 could not be verified"
    )


# -- the whole verifier ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def uapki_verifier() -> Iterator[Verifier]:
    """Trust as check-corpora gives it: every UAPKI certificate (the signer's among them)."""
    trust = load_trust_store(sorted(UAPKI.glob("*.cer")))
    with Verifier(trust) as verifier:
        yield verifier


def test_in_the_uapki_folder_only_the_central_root_is_an_anchor() -> None:
    # The folder holds the root, the QTSP CA under it, the CA's OCSP and TSP servers and
    # two signer certificates: the CA is an intermediate, the servers and signers known.
    trust = load_trust_store(sorted(UAPKI.glob("*.cer")))
    assert [a.sha256 for a in trust.anchors] == [root().sha256]
    assert dia_ca().sha256 in {c.sha256 for c in trust.certificates}
    assert signer().sha256 in {c.sha256 for c in trust.certificates}


@pytest.mark.parametrize(
    ("name", "detached_content"),
    [
        ("cades-bes-attached.p7s", None),
        ("cades-bes-attached-custom-attrs.p7s", None),
        ("cades-t-attached.p7s", None),
        ("cades-bes-detached.p7s", "cades-bes-detached.data"),
    ],
)
def test_uapki_signatures_with_their_certificates_trusted(
    uapki_verifier: Verifier, name: str, detached_content: str | None
) -> None:
    content = (UAPKI / detached_content).read_bytes() if detached_content else None
    report = uapki_verifier.verify((UAPKI / name).read_bytes(), content=content, at=SIGNED_AT)
    (signature,) = report.signatures
    outcomes = {c.name: c.outcome for c in signature.checks}
    for check in ("message_digest", "signature_value", "algorithms", "signing_certificate"):
        assert outcomes[check] is CheckOutcome.PASSED, check
    assert signature.signer is not None
    assert signature.signer.common_name == SIGNER_NAME
    # The signer's certificate in the trust folder is no anchor: the path runs to the
    # central root, and offline nothing says whether the QTSP CA (the root's CRL is not
    # here) or the signer (only a delta CRL) was revoked. INDETERMINATE, as expected.json
    # says, never TOTAL_PASSED and never failed.
    assert [c.sha256 for c in signature.certificate_chain] == [
        signer().sha256.hex(),
        dia_ca().sha256.hex(),
        root().sha256.hex(),
    ]
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.TRY_LATER,
    )
    (revocation,) = [c for c in signature.checks if c.name == "revocation"]
    assert revocation.outcome is CheckOutcome.INDETERMINATE
    assert "no revocation information could be found for intermediate certificate 1" in (
        revocation.message
    )


def test_uapki_cades_t_time_stamps_find_the_tsa_certificate_in_the_trust_store(
    uapki_verifier: Verifier,
) -> None:
    report = uapki_verifier.verify((UAPKI / "cades-t-attached.p7s").read_bytes(), at=SIGNED_AT)
    (signature,) = report.signatures
    # The TSA certificate is a known certificate of the store (the token carries none);
    # its revocation is as unknown offline as the signer's, so the tokens prove nothing.
    assert [(t.kind, t.indication) for t in signature.timestamps] == [
        ("content", Indication.INDETERMINATE),
        ("signature", Indication.INDETERMINATE),
    ]
    for timestamp in signature.timestamps:
        assert f"Common Name: {TSA_NAME}" in timestamp.tsa
        assert timestamp.time == datetime(2023, 9, 19, 18, 17, 19, tzinfo=UTC)
        assert "no revocation information could be found for the end-entity" in (timestamp.message)


def test_uapki_signature_over_other_content_is_a_hash_failure(uapki_verifier: Verifier) -> None:
    report = uapki_verifier.verify(
        (UAPKI / "cades-bes-detached-wrong-content.p7s").read_bytes(),
        content=(UAPKI / "cades-bes-detached-wrong-content.data").read_bytes(),
        at=SIGNED_AT,
    )
    assert (report.indication, report.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.HASH_FAILURE,
    )


def with_validation_data(
    path: Path, certs: list[x509.Certificate], crls: list[crl.CertificateList]
) -> bytes:
    """The CMS with more certificates and CRLs in SignedData (unsigned sets: still intact)."""
    info = cms.ContentInfo.load(path.read_bytes())
    signed_data = info["content"]
    existing = [c.chosen for c in signed_data["certificates"]]
    signed_data["certificates"] = cms.CertificateSet(
        [cms.CertificateChoices({"certificate": c}) for c in existing + certs]
    )
    signed_data["crls"] = cms.RevocationInfoChoices(
        [cms.RevocationInfoChoice({"crl": c}) for c in crls]
    )
    return bytes(info.dump(force=True))


@pytest.fixture(scope="module")
def root_verifier() -> Iterator[Verifier]:
    """Trust in the central root alone, as a deployment would configure it."""
    with Verifier(trust_store_from_certificates([root()], name="CAO")) as verifier:
        yield verifier


@pytest.mark.parametrize("name", ["cades-bes-attached.p7s", "cades-t-attached.p7s"])
def test_under_the_root_alone_the_chain_validates_and_revocation_is_unknown(
    root_verifier: Verifier, name: str
) -> None:
    signature_file = with_validation_data(UAPKI / name, [dia_ca()], [delta_crl()])
    report = root_verifier.verify(signature_file, at=SIGNED_AT)
    (signature,) = report.signatures
    outcomes = {c.name: c.outcome for c in signature.checks}
    for check in ("message_digest", "signature_value", "algorithms", "signing_certificate"):
        assert outcomes[check] is CheckOutcome.PASSED, check
    assert signature.signer is not None
    assert signature.signer.common_name == SIGNER_NAME
    # Offline, with only a delta CRL, revocation is unknown: INDETERMINATE, never failed.
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.TRY_LATER,
    )
    (revocation,) = [c for c in signature.checks if c.name == "revocation"]
    assert "no revocation information could be found" in revocation.message


def test_under_the_root_alone_a_forged_ca_signature_is_not_a_chain(root_verifier: Verifier) -> None:
    signature_file = with_validation_data(
        UAPKI / "cades-bes-attached.p7s", [with_signature_flipped(dia_ca())], [delta_crl()]
    )
    report = root_verifier.verify(signature_file, at=SIGNED_AT)
    assert report.indication is not Indication.TOTAL_PASSED
    (path_check,) = [c for c in report.signatures[0].checks if c.name == "certificate_path"]
    assert path_check.outcome is not CheckOutcome.PASSED
    assert "could not be verified" in path_check.message


# -- jkurwa: the unparsable authority key identifier -----------------------------------------


def test_a_bare_octet_string_aki_is_read_as_absent() -> None:
    self_signed = cert("SELF_SIGNED1.cer", JKURWA)
    der = self_signed.dump()
    assert tolerate_unparsable_aki(self_signed) is True
    assert self_signed.authority_key_identifier is None
    assert self_signed.key_usage_value.native == {"digital_signature", "non_repudiation"}
    assert self_signed.dump() == der  # the encoding (hash, ESS binding) is untouched
    assert tolerate_unparsable_aki(self_signed) is False  # now readable as it is


def test_well_formed_certificates_are_left_as_asn1crypto_reads_them() -> None:
    ca = dia_ca()
    assert tolerate_unparsable_aki(ca) is False
    assert ca.authority_key_identifier is not None


def _der(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    octets = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(octets)]) + octets + content


def with_critical_aki(certificate: x509.Certificate) -> x509.Certificate:
    """The certificate with its AKI extension marked critical (re-encoded by hand, since
    asn1crypto cannot re-encode an extension it cannot parse)."""
    tbs = certificate["tbs_certificate"]
    extensions = []
    for extension in tbs["extensions"]:
        oid = extension["extn_id"].dump()
        if extension["extn_id"].dotted == "2.5.29.35":
            value = extension.contents[len(oid) :]
            extensions.append(_der(0x30, oid + b"\x01\x01\xff" + value))
        else:
            extensions.append(extension.dump())
    old = tbs["extensions"].dump()
    assert old.startswith(b"\xa3")  # the explicit [3] wrapper is part of the dump
    new = _der(0xA3, _der(0x30, b"".join(extensions)))
    assert tbs.contents.count(old) == 1
    new_tbs = _der(0x30, tbs.contents.replace(old, new))
    rest = certificate["signature_algorithm"].dump() + certificate["signature_value"].dump()
    return x509.Certificate.load(_der(0x30, new_tbs + rest))


def test_a_critical_unparsable_aki_is_not_tolerated() -> None:
    critical = with_critical_aki(cert("SELF_SIGNED1.cer", JKURWA))
    (aki,) = [
        e for e in critical["tbs_certificate"]["extensions"] if e["extn_id"].dotted == "2.5.29.35"
    ]
    assert aki["critical"].native is True
    assert tolerate_unparsable_aki(critical) is False
    with pytest.raises(ValueError, match="AuthorityKeyIdentifier"):
        _ = critical.key_usage_value


def test_jkurwa_signatures_with_the_self_signed_certificate_trusted() -> None:
    with Verifier(load_trust_store([JKURWA / "SELF_SIGNED1.cer"])) as verifier:
        at = datetime(2019, 1, 1, tzinfo=UTC)
        attached = verifier.verify((JKURWA / "message.p7").read_bytes(), at=at)
        detached = verifier.verify(
            (JKURWA / "message_detached.p7").read_bytes(),
            content=(JKURWA / "message_detached.data").read_bytes(),
            at=at,
        )
        wrong = verifier.verify(
            (JKURWA / "message_detached.p7").read_bytes(),
            content=(JKURWA / "message_detached-wrong.data").read_bytes(),
            at=at,
        )
    for report in (attached, detached):
        (signature,) = report.signatures
        outcomes = {c.name: c.outcome for c in signature.checks}
        assert outcomes["certificate_path"] is CheckOutcome.PASSED
        assert outcomes["key_usage"] is CheckOutcome.PASSED
        assert signature.signer is not None
        assert signature.signer.subject
        # The self-signed test key declares no qualified status: valid, not qualified.
        assert (report.indication, report.sub_indication) == (Indication.TOTAL_PASSED, None)
    assert (wrong.indication, wrong.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.HASH_FAILURE,
    )


def test_an_anchor_path_is_cached_within_the_certificates_validity() -> None:
    """A self-signed key trusted directly has no revocation data to bound the result: the
    certificate's validity does, so a warm verifier evaluates it once."""
    signature_file = (JKURWA / "message.p7").read_bytes()
    inside = datetime(2022, 6, 1, tzinfo=UTC)
    with Verifier(load_trust_store([JKURWA / "SELF_SIGNED1.cer"])) as verifier:
        first = verifier.verify(signature_file, at=inside)
        second = verifier.verify(signature_file, at=inside)
        assert (verifier.evaluator.misses, verifier.evaluator.hits) == (1, 1)
        # After the certificate expired (2023-11-14) the entry does not apply.
        verifier.verify(signature_file, at=datetime(2024, 5, 1, tzinfo=UTC))
        assert (verifier.evaluator.misses, verifier.evaluator.hits) == (2, 1)
    assert first.indication is second.indication is Indication.TOTAL_PASSED


def test_an_expired_self_signed_anchor_does_not_pass_today() -> None:
    # pyhanko-certvalidator does not check an anchor's validity; docex checks the signing
    # certificate's own validity whether or not it is the anchor. SELF_SIGNED1 expired in
    # 2023 and nothing proves the signature existed before.
    with Verifier(load_trust_store([JKURWA / "SELF_SIGNED1.cer"])) as verifier:
        report = verifier.verify((JKURWA / "message.p7").read_bytes())
    (sig,) = report.signatures
    assert (sig.indication, sig.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.OUT_OF_BOUNDS_NO_POE,
    )
    assert sig.checks[-1].message.startswith("the signing certificate expired 2023-")
    assert sig.signer is not None
