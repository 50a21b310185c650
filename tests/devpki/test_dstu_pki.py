"""The DSTU 4145 branch of the development PKI, checked with our own DSTU verifier."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import cms, pem, x509
from click.testing import CliRunner

from docex.cli.main import app
from docex.devpki.dstu_pki import (
    DOCTOR_DSTU,
    DOCTOR_DSTU_431,
    DSTU_LABELS,
    ISSUING_CA_DSTU,
    ROOT_CA_DSTU,
    TSA_DSTU,
    DstuPki,
)
from docex.devpki.dstu_signing import CURVE_M257, CURVE_M431, DstuPrivateKey
from docex.devpki.generate import _dstu_files
from docex.devpki.pdf import minimal_pdf
from docex.services.demo import read_demo_people
from docex.signatures import dstu
from docex.signatures.identity_ua import ua_identifiers, ua_markers
from docex.signatures.report import SignatureReport
from docex.signatures.trust import load_trust_store
from docex.signatures.verifier import Verifier

REPO_CERTS_DEV = Path(__file__).resolve().parents[2] / "certs-dev"
AT = datetime(2026, 11, 2, 9, 30, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def dstu_pki() -> DstuPki:
    return DstuPki.load()


@pytest.mark.parametrize("curve", [CURVE_M257, CURVE_M431])
def test_signatures_verify_with_our_verifier_and_only_over_their_message(curve: str) -> None:
    key = DstuPrivateKey.generate(curve)
    spki = key.public_key_info()
    dstu.verify(spki, key.sign(b"referral"), b"referral")
    x509_signature = key.sign(b"tbs", encoding=dstu.SignatureEncoding.X509)
    dstu.verify(spki, x509_signature, b"tbs", encoding=dstu.SignatureEncoding.X509)
    with pytest.raises(dstu.DstuInvalidSignatureError, match="does not verify"):
        dstu.verify(spki, key.sign(b"referral"), b"referrak")


def test_key_round_trips_through_pem() -> None:
    key = DstuPrivateKey.generate(CURVE_M257)
    assert DstuPrivateKey.from_pem(key.to_pem()) == key


def test_curves_of_the_branch(dstu_pki: DstuPki) -> None:
    bits = {
        label: dstu.load_public_key(
            dstu_pki.cert(label)["tbs_certificate"]["subject_public_key_info"]
        ).field_bits
        for label in DSTU_LABELS
    }
    assert bits == {
        ROOT_CA_DSTU: 431,
        ISSUING_CA_DSTU: 257,
        DOCTOR_DSTU: 257,
        DOCTOR_DSTU_431: 431,
        TSA_DSTU: 257,
    }


def test_certificates_crls_and_ocsp_verify(dstu_pki: DstuPki) -> None:
    for label in DSTU_LABELS:
        issuer = dstu_pki.cert(dstu_pki.issuer_label(label))
        dstu.verify_certificate_signature(dstu_pki.cert(label), issuer)
    for ca in (ROOT_CA_DSTU, ISSUING_CA_DSTU):
        dstu.verify_crl_signature(dstu_pki.crl(at=AT, issuer=ca), dstu_pki.cert(ca))
    response = dstu_pki.ocsp_response(DOCTOR_DSTU, at=AT)
    basic = response["response_bytes"]["response"].parsed
    dstu.verify_ocsp_signature(basic, dstu_pki.cert(ISSUING_CA_DSTU))
    # The doctor's certificate is not the root's to sign.
    with pytest.raises(dstu.DstuInvalidSignatureError):
        dstu.verify_certificate_signature(dstu_pki.cert(DOCTOR_DSTU), dstu_pki.cert(ROOT_CA_DSTU))


def test_doctor_certificate_carries_the_ukrainian_profile(dstu_pki: DstuPki) -> None:
    cert = dstu_pki.cert(DOCTOR_DSTU)
    ids = ua_identifiers(cert)
    # Both profiles state both identifiers, and agree.
    assert (ids.drfo_subject, ids.drfo_attribute, ids.drfo) == ("3244556677",) * 3
    assert (ids.edrpou_subject, ids.edrpou_attribute, ids.edrpou) == ("38291045",) * 3
    markers = ua_markers(cert)
    assert markers.etsi_qualified
    assert markers.ua_qualified
    assert markers.qscd
    assert not markers.seal


def test_committed_branch_is_what_the_generator_makes(dstu_pki: DstuPki) -> None:
    for relative, data in _dstu_files(dstu_pki).items():
        assert (REPO_CERTS_DEV / relative).read_bytes() == data, f"certs-dev/{relative} is stale"


def _check_outcomes(signature: SignatureReport) -> dict[str, str]:
    return {check.name: check.outcome.value for check in signature.checks}


def test_verifier_passes_integrity_of_the_dstu_sample() -> None:
    samples = REPO_CERTS_DEV / "dstu" / "samples"
    trust = load_trust_store([REPO_CERTS_DEV / "trust"])
    with Verifier(trust) as verifier:
        report = verifier.verify(
            (samples / "referral-dstu.txt.p7s").read_bytes(),
            content=(samples / "referral-dstu.txt").read_bytes(),
            at=AT,
        )
    [signature] = report.signatures
    outcomes = _check_outcomes(signature)
    assert outcomes["message_digest"] == "passed"
    assert outcomes["signature_value"] == "passed"
    assert outcomes["signing_certificate"] == "passed"
    assert outcomes["algorithms"] == "passed"
    # Against the default (ECDSA/RSA) anchors the DSTU chain has no anchor at all. With
    # certs-dev/trust-dstu the path step ends in an internal error instead, because
    # pyhanko-certvalidator cannot check DSTU 4145 certificate signatures: the DSTU path
    # plug-in (docex issue 9) is the missing piece; then this becomes TOTAL_PASSED.
    assert report.indication.value == "INDETERMINATE"
    assert report.sub_indication is not None
    assert report.sub_indication.value == "NO_CERTIFICATE_CHAIN_FOUND"
    assert signature.signer is not None


def test_docex_sign_doctor_dstu(tmp_path: Path) -> None:
    content = tmp_path / "referral.txt"
    content.write_bytes(b"referral text")
    result = CliRunner().invoke(
        app, ["sign", str(content), "--signer", "doctor-dstu", "--attached"]
    )
    assert result.exit_code == 0, result.output
    assert "gost34311, signer doctor-dstu; development only" in result.output
    info = cms.ContentInfo.load((tmp_path / "referral.txt.p7s").read_bytes())
    signed = info["content"]
    assert signed["encap_content_info"]["content"].native == b"referral text"
    signer_info = signed["signer_infos"][0]
    assert signer_info["digest_algorithm"]["algorithm"].dotted == dstu.GOST34311
    doctor = next(c.chosen for c in signed["certificates"] if c.chosen.serial_number == 0x414510)
    dstu.verify(
        doctor["tbs_certificate"]["subject_public_key_info"],
        bytes(signer_info["signature"].native),
        signer_info["signed_attrs"].untag().dump(),
    )


def test_docex_sign_doctor_dstu_signs_a_pdf_as_pades(tmp_path: Path) -> None:
    pdf = tmp_path / "result.pdf"
    pdf.write_bytes(minimal_pdf("examination result"))
    result = CliRunner().invoke(
        app, ["sign", str(pdf), "--signer", "doctor-dstu-431", "--level", "B-LT"]
    )
    assert result.exit_code == 0, result.output
    target = tmp_path / "result-signed.pdf"
    assert f"wrote {target} (PAdES B-LT, gost34311, signer doctor-dstu-431" in result.output
    trust = load_trust_store([REPO_CERTS_DEV / "trust-dstu"])
    with Verifier(trust) as verifier:
        report = verifier.verify(target.read_bytes())
    assert (report.indication.value, report.qualification.value) == ("TOTAL_PASSED", "QESig")
    assert report.signatures[0].format == "PAdES-BASELINE-LT"
    refused = CliRunner().invoke(app, ["sign", str(pdf), "--signer", "doctor-dstu", "--attached"])
    assert refused.exit_code == 3
    assert "--attached is for CAdES" in refused.output


def test_docex_sign_doctor_dstu_refuses_other_digests(tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_bytes(b"x")
    result = CliRunner().invoke(
        app, ["sign", str(note), "--signer", "doctor-dstu", "--digest", "sha256"]
    )
    assert result.exit_code == 3
    assert "GOST 34.311-95" in result.output


def test_trust_dstu_holds_the_dstu_root(dstu_pki: DstuPki) -> None:
    _, _, der = pem.unarmor((REPO_CERTS_DEV / "trust-dstu" / "root-ca-dstu.pem").read_bytes())
    assert x509.Certificate.load(der).dump() == dstu_pki.trust_anchor().dump()


def test_demo_seed_reads_the_dstu_doctor() -> None:
    people = {p.label: p for p in read_demo_people(REPO_CERTS_DEV / "certs")}
    doctor = people[DOCTOR_DSTU]
    assert (doctor.rnokpp, doctor.edrpou) == ("3244556677", "38291045")
    # The ECDSA/RSA doctors are still read from certs/ itself.
    assert people["doctor-ecdsa"].rnokpp == "3012345670"


def test_b_lt_carries_a_dstu_time_stamp_and_validation_data(dstu_pki: DstuPki) -> None:
    signed = cms.ContentInfo.load(dstu_pki.sign_cades(b"referral", level="B-LT", signing_time=AT))
    signer_info = signed["content"]["signer_infos"][0]
    unsigned = {attr["type"].native: attr["values"][0] for attr in signer_info["unsigned_attrs"]}
    assert set(unsigned) == {
        "signature_time_stamp_token",
        "certificate_values",
        "revocation_values",
    }
    token = unsigned["signature_time_stamp_token"]["content"]
    tst_info = token["encap_content_info"]["content"].parsed
    imprint = tst_info["message_imprint"]
    assert imprint["hash_algorithm"]["algorithm"].dotted == dstu.GOST34311
    assert imprint["hashed_message"].native == dstu.hash_bytes(
        dstu.GOST34311, bytes(signer_info["signature"].native)
    )
    assert tst_info["gen_time"].native == AT
    tsa_info = token["signer_infos"][0]
    dstu.verify(
        dstu_pki.cert(TSA_DSTU)["tbs_certificate"]["subject_public_key_info"],
        bytes(tsa_info["signature"].native),
        tsa_info["signed_attrs"].untag().dump(),
    )
    revocation = unsigned["revocation_values"]
    assert len(revocation["crl_vals"]) == 2
    assert len(revocation["ocsp_vals"]) == 2


def test_verifier_with_the_dstu_anchor_passes_the_whole_chain() -> None:
    samples = REPO_CERTS_DEV / "dstu" / "samples"
    trust = load_trust_store([REPO_CERTS_DEV / "trust-dstu"])
    with Verifier(trust) as verifier:
        report = verifier.verify(
            (samples / "referral-dstu.txt.p7s").read_bytes(),
            content=(samples / "referral-dstu.txt").read_bytes(),
            at=AT,
        )
    # Doctor (m=257) -> CA (m=257) -> root (m=431), CRL/OCSP and time-stamp all DSTU 4145.
    assert (report.indication.value, report.qualification.value) == ("TOTAL_PASSED", "QESig")
    (sig,) = report.signatures
    assert sig.format == "CAdES-BASELINE-LT"
    assert [c.name for c in sig.checks if c.outcome.value != "passed"] == []


def test_the_m431_doctor_signs_b_lt_that_passes_as_a_qualified_signature(
    dstu_pki: DstuPki,
) -> None:
    trust = load_trust_store([REPO_CERTS_DEV / "trust-dstu"])
    signed = dstu_pki.sign_cades(b"referral", signer=DOCTOR_DSTU_431, level="B-LT", signing_time=AT)
    with Verifier(trust) as verifier:
        report = verifier.verify(signed, content=b"referral", at=AT)
    (sig,) = report.signatures
    # Doctor (m=431) -> CA (m=257) -> root (m=431); the signer named from its profile.
    assert (report.indication.value, report.qualification.value) == ("TOTAL_PASSED", "QESig")
    assert sig.signer is not None
    assert (sig.signer.common_name, sig.signer.rnokpp) == ("Коваль Олег Петрович", "3355667788")
    algorithms = next(c for c in sig.checks if c.name == "algorithms")
    assert algorithms.message.endswith("DSTU 4145 m=431)")
    assert [c.name for c in sig.checks if c.outcome.value != "passed"] == []
