from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import Any

import pytest
from asn1crypto import cms, tsp
from pyhanko.pdf_utils.reader import PdfFileReader

from docex.devpki import DevPki, minimal_pdf, sign_cades, sign_pades
from docex.errors import DevPkiError
from docex.signatures.cades_asn1 import RevocationValues
from tests.devpki.conftest import AFTER_REVOCATION

CONTENT = b"referral 42: please see the patient"
TS_TIME = AFTER_REVOCATION + timedelta(seconds=30)


def _signer_info(der: bytes) -> cms.SignerInfo:
    content_info = cms.ContentInfo.load(der)
    assert content_info["content_type"].native == "signed_data"
    signer_infos = content_info["content"]["signer_infos"]
    assert len(signer_infos) == 1
    info: cms.SignerInfo = signer_infos[0]
    return info


def _attrs(attrs: cms.CMSAttributes) -> dict[str, Any]:
    # The values are asn1crypto objects of as many kinds as there are attributes.
    if not attrs:
        return {}
    return {attr["type"].native: attr["values"][0] for attr in attrs}


def _tst_info(token: cms.ContentInfo) -> tsp.TSTInfo:
    info: tsp.TSTInfo = token["content"]["encap_content_info"]["content"].parsed
    return info


@pytest.fixture(scope="session")
def cades_by_level(pki: DevPki) -> dict[str, bytes]:
    return {
        level: sign_cades(
            pki,
            CONTENT,
            signer="doctor-ecdsa",
            level=level,
            signing_time=AFTER_REVOCATION,
            timestamp_time=TS_TIME,
        )
        for level in ("B-B", "B-T", "B-LT")
    }


@pytest.fixture(scope="session")
def pades_by_level(pki: DevPki) -> dict[str, bytes]:
    return {
        level: sign_pades(
            pki,
            minimal_pdf(),
            signer="doctor-rsa",
            level=level,
            signing_time=AFTER_REVOCATION,
            timestamp_time=TS_TIME,
        )
        for level in ("B-B", "B-T", "B-LT", "B-LTA")
    }


def test_cades_bb_is_detached_with_signed_attributes(
    pki: DevPki, cades_by_level: dict[str, bytes]
) -> None:
    der = cades_by_level["B-B"]
    signed_data = cms.ContentInfo.load(der)["content"]
    assert signed_data["encap_content_info"]["content"].native is None
    info = _signer_info(der)
    signed = _attrs(info["signed_attrs"])
    assert signed.keys() >= {
        "content_type",
        "message_digest",
        "signing_time",
        "signing_certificate_v2",
    }
    assert signed["signing_time"].native == AFTER_REVOCATION
    assert info["digest_algorithm"]["algorithm"].native == "sha256"
    assert info["signature_algorithm"].signature_algo == "ecdsa"
    assert not info["unsigned_attrs"]
    # The chain without the root: the verifier brings its own trust anchor.
    embedded = sorted(c.chosen.subject.human_friendly for c in signed_data["certificates"])
    expected = sorted(
        pki.cert(label).subject.human_friendly for label in ("doctor-ecdsa", "issuing-ca")
    )
    assert embedded == expected


def test_cades_bt_carries_a_signature_time_stamp(cades_by_level: dict[str, bytes]) -> None:
    unsigned = _attrs(_signer_info(cades_by_level["B-T"])["unsigned_attrs"])
    assert set(unsigned) == {"signature_time_stamp_token"}
    assert _tst_info(unsigned["signature_time_stamp_token"])["gen_time"].native == TS_TIME


def test_cades_blt_carries_validation_data(pki: DevPki, cades_by_level: dict[str, bytes]) -> None:
    unsigned = _attrs(_signer_info(cades_by_level["B-LT"])["unsigned_attrs"])
    assert set(unsigned) == {
        "signature_time_stamp_token",
        "certificate_values",
        "revocation_values",
    }
    cert_subjects = [c.subject for c in unsigned["certificate_values"]]
    assert cert_subjects == [
        pki.cert(label).subject
        for label in ("doctor-ecdsa", "issuing-ca", "tsa", "issuing-ca-ocsp")
    ]
    revocation = unsigned["revocation_values"]
    assert isinstance(revocation, RevocationValues)
    ocsp_serials = [
        basic["tbs_response_data"]["responses"][0]["cert_id"]["serial_number"].native
        for basic in revocation["ocsp_vals"]
    ]
    assert ocsp_serials == [pki.cert("doctor-ecdsa").serial_number, pki.cert("tsa").serial_number]
    produced = {
        basic["tbs_response_data"]["produced_at"].native for basic in revocation["ocsp_vals"]
    }
    assert produced == {TS_TIME}
    assert [c.issuer for c in revocation["crl_vals"]] == [
        pki.cert("issuing-ca").subject,
        pki.cert("root-ca").subject,
    ]


def test_cades_blt_of_revoked_signer_embeds_the_revocation(pki: DevPki) -> None:
    der = sign_cades(pki, CONTENT, signer="revoked", level="B-LT", signing_time=AFTER_REVOCATION)
    revocation = _attrs(_signer_info(der)["unsigned_attrs"])["revocation_values"]
    status = revocation["ocsp_vals"][0]["tbs_response_data"]["responses"][0]["cert_status"]
    assert status.name == "revoked"


def test_cades_attached_sha1(pki: DevPki) -> None:
    der = sign_cades(pki, CONTENT, signer="doctor-rsa", detached=False, digest="sha1", level="B-T")
    signed_data = cms.ContentInfo.load(der)["content"]
    assert signed_data["encap_content_info"]["content"].native == CONTENT
    info = _signer_info(der)
    assert info["digest_algorithm"]["algorithm"].native == "sha1"
    assert [a["algorithm"].native for a in signed_data["digest_algorithms"]] == ["sha1"]


def test_cades_refuses_bad_options(pki: DevPki) -> None:
    with pytest.raises(DevPkiError, match="PAdES only"):
        sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-LTA")
    with pytest.raises(DevPkiError, match="digest"):
        sign_cades(pki, CONTENT, signer="doctor-ecdsa", digest="md5")
    with pytest.raises(DevPkiError, match="unknown certificate label"):
        sign_cades(pki, CONTENT, signer="nobody")
    with pytest.raises(DevPkiError, match="timezone-aware"):
        sign_cades(pki, CONTENT, signer="doctor-ecdsa", signing_time=datetime(2026, 1, 1))  # noqa: DTZ001


def _reader(pdf: bytes) -> PdfFileReader:
    return PdfFileReader(BytesIO(pdf))


def test_minimal_pdf_is_deterministic_and_readable() -> None:
    assert minimal_pdf("x") == minimal_pdf("x")
    assert _reader(minimal_pdf()).root["/Pages"]["/Count"] == 1


def test_pades_bb(pades_by_level: dict[str, bytes]) -> None:
    reader = _reader(pades_by_level["B-B"])
    [sig] = reader.embedded_signatures
    assert sig.field_name == "Signature1"
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert sig.self_reported_timestamp == AFTER_REVOCATION
    assert "/DSS" not in reader.root
    assert not _attrs(sig.signer_info["unsigned_attrs"])


def test_pades_bt_has_signature_time_stamp(pades_by_level: dict[str, bytes]) -> None:
    [sig] = _reader(pades_by_level["B-T"]).embedded_signatures
    token = _attrs(sig.signer_info["unsigned_attrs"])["signature_time_stamp_token"]
    assert _tst_info(token)["gen_time"].native == TS_TIME


def test_pades_blt_has_dss(pades_by_level: dict[str, bytes]) -> None:
    reader = _reader(pades_by_level["B-LT"])
    dss = reader.root["/DSS"]
    assert len(dss["/Certs"]) == 4
    assert len(dss["/OCSPs"]) == 2
    assert len(dss["/CRLs"]) == 2
    assert reader.embedded_timestamp_signatures == []


def test_pades_blta_has_document_time_stamp(pades_by_level: dict[str, bytes]) -> None:
    reader = _reader(pades_by_level["B-LTA"])
    assert "/DSS" in reader.root
    [doc_ts] = reader.embedded_timestamp_signatures
    assert doc_ts.field_name == "DocTimeStamp1"
    assert doc_ts.sig_object["/SubFilter"] == "/ETSI.RFC3161"
    assert [s.field_name for s in reader.embedded_signatures] == ["Signature1", "DocTimeStamp1"]


@pytest.mark.parametrize("signer", ["revoked", "expired", "untrusted"])
def test_pades_blt_works_for_certificates_that_do_not_validate(pki: DevPki, signer: str) -> None:
    pdf = sign_pades(pki, minimal_pdf(), signer=signer, level="B-LT", signing_time=AFTER_REVOCATION)
    assert "/DSS" in _reader(pdf).root


def test_pades_sha1_and_field_name(pki: DevPki) -> None:
    pdf = sign_pades(pki, minimal_pdf(), signer="doctor-ecdsa", digest="sha1", field_name="Doctor")
    [sig] = _reader(pdf).embedded_signatures
    assert sig.field_name == "Doctor"
    assert sig.md_algorithm == "sha1"


def test_pades_refuses_non_pdf(pki: DevPki) -> None:
    with pytest.raises(DevPkiError, match="not a PDF"):
        sign_pades(pki, b"plain text", signer="doctor-ecdsa")


def test_timestamp_time_defaults_to_signing_time(pki: DevPki) -> None:
    when = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    der = sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-T", signing_time=when)
    token = _attrs(_signer_info(der)["unsigned_attrs"])["signature_time_stamp_token"]
    assert _tst_info(token)["gen_time"].native == when
